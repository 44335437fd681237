package io.lockstep.merchant;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.domain.MerchantState;
import io.lockstep.serialization.MerchantStateCodec;
import java.io.NotSerializableException;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Protobuf serializer for everything the journal and snapshot store hold. It lives beside the
 * entity whose events it stores, so the protobuf mapping below ({@code serialization}) knows no
 * entity.
 *
 * <p>Manifests are stable names, never class names, so classes can be renamed or moved without
 * breaking replay. Protobuf's field rules make old events readable after fields are added.
 *
 * <pre>
 *  manifest            type                       proto
 *  mutation-recorded   Recorded    lockstep.storage.v1.MutationRecorded
 *  merchant-state      domain.MerchantState       lockstep.storage.v1.MerchantSnapshot
 * </pre>
 */
public final class StoredEventSerializer extends SerializerWithStringManifest {
  static final int IDENTIFIER = 7301;
  public static final String MUTATION_RECORDED = "mutation-recorded";
  public static final String MERCHANT_STATE = "merchant-state";

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof Recorded) return MUTATION_RECORDED;
    if (o instanceof MerchantState) return MERCHANT_STATE;
    throw new IllegalArgumentException("not a stored type: " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof Recorded recorded) return recorded.bytesForJournal(); // encoded once, when resolved
    if (o instanceof MerchantState state) return MerchantStateCodec.toBytes(state);
    throw new IllegalArgumentException("not a stored type: " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      switch (manifest) {
        case MUTATION_RECORDED:
          return Recorded.stored(bytes); // decoded when the entity or a reader asks
        case MERCHANT_STATE:
          return MerchantStateCodec.fromBytes(bytes);
        default:
          throw new NotSerializableException("unknown manifest: " + manifest);
      }
    } catch (InvalidProtocolBufferException e) {
      NotSerializableException failure = new NotSerializableException("corrupt " + manifest + ": " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }
}
