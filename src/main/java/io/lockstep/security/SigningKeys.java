package io.lockstep.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A JWK set of EC P-256 keys, each with a {@code kid}. The first key that holds a private part
 * signs; every key verifies. Rotating means putting a new key first and keeping the old ones
 * until the tokens they signed have expired.
 */
public final class SigningKeys implements VerificationKeys {

  private final List<ECKey> keys;
  // The same public key object on every lookup: verified tokens remembered with it share it.
  private final List<ECKey> publicKeys;
  private final ECKey signingKey;

  private SigningKeys(List<ECKey> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("a key set needs at least one key");
    }
    Set<String> kids = new HashSet<>();
    for (ECKey key : keys) {
      if (key.getKeyID() == null || key.getKeyID().isBlank()) {
        throw new IllegalArgumentException("key without kid");
      }
      if (!kids.add(key.getKeyID())) {
        throw new IllegalArgumentException("kid used twice: " + key.getKeyID());
      }
      if (!Curve.P_256.equals(key.getCurve())) {
        throw new IllegalArgumentException("key " + key.getKeyID() + " is not on curve P-256");
      }
      if (key.getAlgorithm() != null && !JWSAlgorithm.ES256.equals(key.getAlgorithm())) {
        throw new IllegalArgumentException("key " + key.getKeyID() + " is not for ES256");
      }
    }
    this.keys = List.copyOf(keys);
    this.publicKeys = keys.stream().map(ECKey::toPublicJWK).toList();
    this.signingKey = keys.stream().filter(ECKey::isPrivate).findFirst().orElse(null);
  }

  /** A set of the given keys, in order (the first private one signs). */
  public static SigningKeys of(List<ECKey> keys) {
    return new SigningKeys(keys);
  }

  /** A set holding one new P-256 key whose {@code kid} is its RFC 7638 thumbprint. */
  public static SigningKeys generate() {
    try {
      ECKey key =
          new ECKeyGenerator(Curve.P_256)
              .keyUse(KeyUse.SIGNATURE)
              .algorithm(JWSAlgorithm.ES256)
              .keyIDFromThumbprint(true)
              .issueTime(new Date())
              .generate();
      return new SigningKeys(List.of(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("EC P-256 key generation unavailable in this JVM", e);
    }
  }

  /** Reads a JWK set file. */
  public static SigningKeys load(Path file) throws SigningKeyException {
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SigningKeyException("cannot read token key file " + file + ": " + e, e);
    }
    try {
      List<ECKey> keys = new ArrayList<>();
      for (JWK jwk : JWKSet.parse(json).getKeys()) {
        if (!(jwk instanceof ECKey ec)) {
          throw new SigningKeyException(
              "token key file " + file + " holds a non-EC key " + jwk.getKeyID());
        }
        keys.add(ec);
      }
      return new SigningKeys(keys);
    } catch (ParseException e) {
      throw new SigningKeyException("token key file " + file + " is not a JWK set", e);
    } catch (IllegalArgumentException e) {
      throw new SigningKeyException("token key file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads the development key at {@code file}, creating it (owner-only permissions) on first
   * use. Two processes starting together end up with the same key.
   */
  public static SigningKeys loadOrCreate(Path file) throws SigningKeyException {
    if (!Files.exists(file)) {
      try {
        generate().writeNew(file);
      } catch (FileAlreadyExistsException raced) {
        // Another process created it first: use theirs.
      } catch (IOException e) {
        throw new SigningKeyException("cannot create development key " + file + ": " + e, e);
      }
    }
    return load(file);
  }

  /**
   * Writes this set, private parts included, to a new file readable only by its owner.
   *
   * @throws FileAlreadyExistsException if {@code file} exists; keys are never overwritten
   */
  public void writeNew(Path file) throws IOException {
    Path target = file.toAbsolutePath();
    if (Files.exists(target)) {
      throw new FileAlreadyExistsException(target.toString(), null, "refusing to overwrite a key file");
    }
    Files.createDirectories(target.getParent());
    Path temp = Files.createTempFile(target.getParent(), ".jwks-", ".tmp");
    try {
      restrictToOwner(temp);
      Files.writeString(temp, toJson(), StandardCharsets.UTF_8);
      try {
        // A hard link fails if the target exists, so a concurrent writer never gets overwritten.
        Files.createLink(target, temp);
      } catch (UnsupportedOperationException noLinks) {
        Files.move(temp, target);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** The key that signs new tokens, if this set holds a private key. */
  public Optional<ECKey> signingKey() {
    return Optional.ofNullable(signingKey);
  }

  /** The public key with this {@code kid}, if any. */
  @Override
  public Optional<ECKey> verificationKey(String kid) {
    return publicKeys.stream().filter(k -> k.getKeyID().equals(kid)).findFirst();
  }

  /** Every {@code kid}, in file order. */
  public List<String> keyIds() {
    return keys.stream().map(ECKey::getKeyID).toList();
  }

  /** This set without private parts, for a verifier that must not sign. */
  public SigningKeys publicOnly() {
    return new SigningKeys(keys.stream().map(ECKey::toPublicJWK).toList());
  }

  /** The set as JWK set JSON, private parts included. */
  String toJson() {
    return new JWKSet(new ArrayList<>(keys)).toString(false);
  }

  private static void restrictToOwner(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // Non-POSIX file systems keep their default ACLs.
    }
  }

  @Override
  public String toString() {
    return "SigningKeys" + keyIds();
  }
}
