package io.lockstep.security;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MessageOrBuilder;
import io.lockstep.config.LimitSettings;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The bounds of a push, checked at every edge (device WebSocket, product API) before the merchant
 * sees it: at most {@code max-mutations-per-push} mutations, each with an op this server knows,
 * every string field at most {@code max-string-length} characters, the base version vector at
 * most {@code max-version-vector-entries} entries, every other repeated field at most as long.
 * A push that breaks one is refused whole.
 *
 * <p>Walks each mutation by reflection, so a field added to the protocol is bounded without a
 * change here. Pure and thread-safe.
 */
public final class MutationLimits {
  /** The first bound a push breaks; {@code message} names the bad value. */
  public record Violation(Kind kind, String message) {
    /** Which bound; {@link #code()} is the device protocol's error code for it. */
    public enum Kind {
      TOO_MANY_MUTATIONS("too-many-mutations"),
      UNKNOWN_OP("unknown-op"),
      LIMIT_EXCEEDED("limit-exceeded");

      private final String code;

      Kind(String code) {
        this.code = code;
      }

      public String code() {
        return code;
      }
    }
  }

  private final LimitSettings limits;

  public MutationLimits(LimitSettings limits) {
    this.limits = limits;
  }

  /** The first bound {@code push} breaks, or empty when it keeps them all. */
  public Optional<Violation> check(Push push) {
    if (push.getMutationsCount() > limits.maxMutationsPerPush()) {
      return Optional.of(new Violation(Violation.Kind.TOO_MANY_MUTATIONS,
          "a push may hold at most " + limits.maxMutationsPerPush() + " mutations, got " + push.getMutationsCount()));
    }
    for (Mutation m : push.getMutationsList()) {
      if (m.getOpCase() == Mutation.OpCase.OP_NOT_SET) {
        return Optional.of(new Violation(Violation.Kind.UNKNOWN_OP, "mutation with counter " + m.getCounter()
            + " has no op this server knows; nothing of this push was applied"));
      }
      Optional<String> tooBig = problem(m);
      if (tooBig.isPresent()) {
        return Optional.of(new Violation(Violation.Kind.LIMIT_EXCEEDED, tooBig.get() + "; nothing of this push was applied"));
      }
    }
    return Optional.empty();
  }

  /** Why {@code mutation} exceeds a bound, or empty when it does not. */
  public Optional<String> problem(Mutation mutation) {
    if (mutation.getBase().getCountersCount() > limits.maxVersionVectorEntries()) {
      return Optional.of("mutation " + Long.toUnsignedString(mutation.getCounter()) + ": base version vector has "
          + mutation.getBase().getCountersCount() + " entries, at most " + limits.maxVersionVectorEntries());
    }
    if (fitsEveryBound(mutation)) return Optional.empty();
    return Optional.ofNullable(walk(mutation, "mutation " + Long.toUnsignedString(mutation.getCounter()), 0));
  }

  /**
   * A mutation that encodes in no more bytes than the smallest bound keeps every bound without a
   * walk: a string takes at least a byte per character (UTF-8; a surrogate pair is two characters
   * in four bytes), an element of a repeated field at least one byte, and the schema nests no
   * deeper than the walk allows. The usual mutation (an id, a delta, a counter) is far below it;
   * the reflective walk, which built a field map and a name per field, was the costliest part of
   * decoding a push (JFR of the fan-out run).
   */
  private boolean fitsEveryBound(Mutation mutation) {
    return SCHEMA_DEPTH <= MAX_DEPTH
        && mutation.getSerializedSize() <= Math.min(limits.maxStringLength(), limits.maxVersionVectorEntries());
  }

  private static final int MAX_DEPTH = 8;

  /** How deep {@link Mutation}'s schema nests messages; above {@link #MAX_DEPTH} when it recurses. */
  static final int SCHEMA_DEPTH = depth(Mutation.getDescriptor(), 0);

  private static int depth(com.google.protobuf.Descriptors.Descriptor message, int depth) {
    if (depth > MAX_DEPTH) return depth;
    int deepest = depth;
    for (FieldDescriptor field : message.getFields()) {
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        deepest = Math.max(deepest, depth(field.getMessageType(), depth + 1));
      }
    }
    return deepest;
  }

  private String walk(MessageOrBuilder message, String where, int depth) {
    if (depth > MAX_DEPTH) {
      return where + ": nested too deeply";
    }
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      FieldDescriptor descriptor = field.getKey();
      String name = where + "." + descriptor.getName();
      if (descriptor.isRepeated()) {
        List<?> values = (List<?>) field.getValue();
        if (values.size() > limits.maxVersionVectorEntries()) {
          return name + " has " + values.size() + " entries, at most " + limits.maxVersionVectorEntries();
        }
        for (Object value : values) {
          String problem = check(descriptor, value, name, depth);
          if (problem != null) return problem;
        }
      } else {
        String problem = check(descriptor, field.getValue(), name, depth);
        if (problem != null) return problem;
      }
    }
    return null;
  }

  private String check(FieldDescriptor descriptor, Object value, String name, int depth) {
    if (value instanceof String text && text.length() > limits.maxStringLength()) {
      return name + " longer than " + limits.maxStringLength() + " characters: " + text.length();
    }
    if (descriptor.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      return walk((MessageOrBuilder) value, name, depth + 1);
    }
    return null;
  }
}
