package io.lockstep.http;

import java.util.Objects;

/**
 * A request that ends in a problem response: thrown (or completes a stage exceptionally) where
 * the cause is known, rendered once by {@link HttpErrors}. The detail is shown to the caller, so
 * it must name the caller's mistake and never carry internal state.
 */
public final class ApiProblem extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ProblemType type;

  public ApiProblem(ProblemType type, String detail) {
    super(Objects.requireNonNull(detail, "detail"), null, false, false);
    this.type = Objects.requireNonNull(type, "type");
  }

  public ProblemType type() {
    return type;
  }

  public String detail() {
    return getMessage();
  }
}
