package io.lockstep.http;

import io.lockstep.security.InvalidTokenException;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.security.Principal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.security.TokenService;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * {@code Authorization: Bearer <token>} for the HTTP endpoints, and who may do what:
 *
 * <pre>
 *   credentials                       product API (merchant M)     operator routes
 *   none / malformed / invalid        401 + WWW-Authenticate       401 + WWW-Authenticate
 *   service token covering M          allowed                      403
 *   service token for another M       403                          403
 *   device token                      403                          403
 *   operator token                    403                          allowed
 * </pre>
 *
 * The reason a token was refused is not returned: it would help a forger more than a client.
 */
public final class BearerAuthentication {
  private static final String SCHEME = "Bearer ";

  private final TokenService tokens;

  public BearerAuthentication(TokenService tokens) {
    this.tokens = tokens;
  }

  /**
   * The principal of the request's bearer token.
   *
   * @throws ApiProblem {@link ProblemType#UNAUTHENTICATED} when there is no valid one
   */
  public Principal principal(HttpRequest request) {
    Optional<String> header = request.getHeader("Authorization").map(h -> h.value());
    if (header.isEmpty() || !header.get().regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      throw new ApiProblem(ProblemType.UNAUTHENTICATED, "send Authorization: Bearer <token>");
    }
    try {
      return tokens.verify(header.get().substring(SCHEME.length()).trim());
    } catch (InvalidTokenException e) {
      throw new ApiProblem(ProblemType.UNAUTHENTICATED, "the bearer token is not valid");
    }
  }

  /**
   * The service allowed to act on {@code merchantId}.
   *
   * @throws ApiProblem 401 without a valid token, 403 for any other principal or merchant
   */
  public ServicePrincipal service(HttpRequest request, String merchantId) {
    Principal principal = principal(request);
    if (!(principal instanceof ServicePrincipal service)) {
      throw new ApiProblem(ProblemType.FORBIDDEN, "the product API needs a service token, not a " + principal.kind() + " token");
    }
    if (!service.covers(merchantId)) {
      throw new ApiProblem(ProblemType.FORBIDDEN, "this service token is not scoped to merchant " + merchantId);
    }
    return service;
  }

  /**
   * The operator of the request.
   *
   * @throws ApiProblem 401 without a valid token, 403 for any other principal
   */
  public OperatorPrincipal operator(HttpRequest request) {
    Principal principal = principal(request);
    if (principal instanceof OperatorPrincipal operator) {
      return operator;
    }
    throw new ApiProblem(ProblemType.FORBIDDEN, "operator routes need an operator token, not a " + principal.kind() + " token");
  }
}
