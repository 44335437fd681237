package io.lockstep.http;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.AuthorizationFailedRejection;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure of an HTTP endpoint into a problem response: an {@link ApiProblem} as it
 * says, an expired ask as {@code unavailable}, an oversized body as {@code payload-too-large},
 * anything else as a generic {@code internal-error} whose cause is logged, never returned.
 */
public final class HttpErrors extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(HttpErrors.class);

  /** {@code route} with Lockstep's rejection and exception handlers around it. */
  public Route seal(Route route) {
    return handleExceptions(exceptionHandler(), () -> handleRejections(rejectionHandler(), () -> route));
  }

  /** The response for a failure of a request's processing. */
  public static HttpResponse response(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof ApiProblem problem) {
      return JsonBodies.problem(problem.type(), problem.detail());
    }
    if (cause instanceof AskTimeoutException || cause instanceof TimeoutException) {
      return JsonBodies.problem(ProblemType.UNAVAILABLE, "the merchant did not answer in time; retry later");
    }
    if (cause instanceof EntityStreamSizeException size) {
      return JsonBodies.problem(ProblemType.PAYLOAD_TOO_LARGE,
          "request body exceeds the limit of " + size.limit() + " bytes");
    }
    log.error("Request failed with an internal error", cause);
    return JsonBodies.problem(ProblemType.INTERNAL, "the request failed on the server; it has been logged");
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder().matchAny(e -> complete(response(e))).build();
  }

  private RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, r -> complete(r.getCause() instanceof EntityStreamSizeException
            ? response(r.getCause())
            : JsonBodies.problem(ProblemType.INVALID_REQUEST, "malformed request content")))
        .handleAll(MethodRejection.class, r -> complete(JsonBodies.problem(ProblemType.METHOD_NOT_ALLOWED,
            "allowed: " + r.stream().map(m -> m.supported().name()).distinct().toList())))
        .handle(AuthorizationFailedRejection.class, r -> complete(JsonBodies.problem(ProblemType.FORBIDDEN,
            "not allowed for these credentials")))
        .handleNotFound(complete(JsonBodies.problem(ProblemType.NOT_FOUND, "no such resource")))
        .handle(Rejection.class, r -> complete(JsonBodies.problem(ProblemType.INVALID_REQUEST, describe(r))))
        .build();
  }

  private static String describe(Rejection rejection) {
    // Rejection names say what was wrong (missing header, unsupported media type) without internals.
    String name = rejection.getClass().getSimpleName();
    return "request rejected: " + (name.endsWith("Rejection") ? name.substring(0, name.length() - 9) : name);
  }
}
