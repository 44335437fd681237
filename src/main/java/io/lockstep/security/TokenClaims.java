package io.lockstep.security;

/** Claim names and kinds of Lockstep tokens: the token format in one place. */
final class TokenClaims {
  static final String KIND = "kind";
  static final String MERCHANT_ID = "merchant_id";
  static final String DEVICE_ID = "device_id";
  static final String NAME = "name";

  static final String KIND_DEVICE = "device";
  static final String KIND_SERVICE = "service";
  static final String KIND_OPERATOR = "operator";

  static final int MAX_ID_LENGTH = 128;

  private TokenClaims() {}

  static void requireId(String what, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " is blank");
    }
    if (value.length() > MAX_ID_LENGTH) {
      throw new IllegalArgumentException(what + " longer than " + MAX_ID_LENGTH + ": " + value.length());
    }
  }
}
