package io.lockstep.security;

/**
 * A token was refused. The message is a short, fixed reason safe to log and to return to the
 * caller ("token expired", "unknown key id"); it never contains the token or key material.
 */
public final class InvalidTokenException extends Exception {
  private static final long serialVersionUID = 1L;

  InvalidTokenException(String reason) {
    super(reason, null, false, false);
  }
}
