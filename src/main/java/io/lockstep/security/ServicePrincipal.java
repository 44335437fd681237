package io.lockstep.security;

import java.util.Objects;
import java.util.Optional;

/** A product service: scoped to {@code merchantId} when present, to every merchant otherwise. */
public record ServicePrincipal(String name, Optional<String> merchantId) implements Principal {

  public ServicePrincipal {
    TokenClaims.requireId("name", name);
    Objects.requireNonNull(merchantId, "merchantId");
    merchantId.ifPresent(id -> TokenClaims.requireId("merchantId", id));
  }

  /** Whether this service may act on {@code merchant}. */
  public boolean covers(String merchant) {
    return merchantId.map(merchant::equals).orElse(true);
  }

  @Override
  public String kind() {
    return TokenClaims.KIND_SERVICE;
  }
}
