package io.lockstep.security;

/**
 * The token or TLS keys cannot be used: the key file is missing, unreadable or malformed, or no key is
 * configured where a development key is not allowed. The message names the file and the
 * remedy, never key material.
 */
public final class SigningKeyException extends Exception {
  private static final long serialVersionUID = 1L;

  SigningKeyException(String message) {
    super(message);
  }

  SigningKeyException(String message, Throwable cause) {
    super(message, cause);
  }
}
