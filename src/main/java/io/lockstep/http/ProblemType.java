package io.lockstep.http;

/**
 * The errors of Lockstep's HTTP endpoints, each with a stable {@code type} URI
 * ({@value #BASE}{@code <slug>}) that clients may switch on. Titles are fixed per type; the
 * {@code detail} of a problem explains the particular case.
 */
public enum ProblemType {
  UNAUTHENTICATED("unauthenticated", 401, "Authentication required"),
  FORBIDDEN("forbidden", 403, "Forbidden"),
  NOT_FOUND("not-found", 404, "Not found"),
  METHOD_NOT_ALLOWED("method-not-allowed", 405, "Method not allowed"),
  MALFORMED_JSON("malformed-json", 400, "Malformed JSON"),
  INVALID_REQUEST("invalid-request", 400, "Invalid request"),
  UNKNOWN_OP("unknown-op", 400, "Mutation without a known op"),
  PAYLOAD_TOO_LARGE("payload-too-large", 413, "Request body too large"),
  TOO_MANY_MUTATIONS("too-many-mutations", 413, "Too many mutations"),
  UNAVAILABLE("unavailable", 503, "Service unavailable"),
  BUSY("busy", 503, "Merchant at capacity"),
  INTERNAL("internal-error", 500, "Internal error");

  /** Prefix of every problem type URI. The URIs identify; they need not resolve. */
  public static final String BASE = "https://lockstep.dev/problems/";

  private final String slug;
  private final int status;
  private final String title;

  ProblemType(String slug, int status, String title) {
    this.slug = slug;
    this.status = status;
    this.title = title;
  }

  /** The {@code type} member: {@value #BASE} followed by the slug. */
  public String uri() {
    return BASE + slug;
  }

  public String slug() {
    return slug;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }
}
