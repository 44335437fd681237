package io.lockstep.security;

/** A person or tool running the cluster through the operator routes. */
public record OperatorPrincipal(String name) implements Principal {

  public OperatorPrincipal {
    TokenClaims.requireId("name", name);
  }

  @Override
  public String kind() {
    return TokenClaims.KIND_OPERATOR;
  }
}
