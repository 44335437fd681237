package io.lockstep.security;

/** A point-of-sale device; its session is pinned to {@code merchantId}. */
public record DevicePrincipal(String merchantId, String deviceId) implements Principal {

  public DevicePrincipal {
    TokenClaims.requireId("merchantId", merchantId);
    TokenClaims.requireId("deviceId", deviceId);
  }

  @Override
  public String kind() {
    return TokenClaims.KIND_DEVICE;
  }
}
