package io.lockstep.security;

import java.time.Instant;
import java.util.Objects;

/** A token that passed verification: who it speaks for and until when. */
public record VerifiedToken(Principal principal, Instant expiresAt) {

  public VerifiedToken {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
