package io.lockstep.security;

import com.nimbusds.jose.jwk.ECKey;
import java.util.Optional;

/** Where the public keys that verify tokens come from: a JWK set file or a JWK set URL. */
public interface VerificationKeys {

  /**
   * The public EC P-256 key with this {@code kid}, if the source knows it.
   *
   * @throws InvalidTokenException when the source cannot be read (reported as unknown key)
   */
  Optional<ECKey> verificationKey(String kid) throws InvalidTokenException;
}
