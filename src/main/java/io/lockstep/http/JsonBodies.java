package io.lockstep.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.lockstep.api.v1.Problem;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;

/**
 * JSON bodies of the HTTP endpoints: protobuf messages in the proto3 JSON mapping (lowerCamelCase
 * names, 64-bit integers as strings, fields with default values included so clients see every
 * field). The one place that turns messages into responses and request bodies into messages.
 */
public final class JsonBodies {
  private JsonBodies() {}

  /** {@code application/problem+json} (RFC 9457). */
  public static final ContentType PROBLEM_JSON =
      MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8, "json").toContentType();

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  /** 200 with {@code message} as JSON. */
  public static HttpResponse ok(Message message) {
    return HttpResponse.create()
        .withStatus(StatusCodes.OK)
        .withEntity(ContentTypes.APPLICATION_JSON, print(message));
  }

  /** The problem response of {@code type} with {@code detail}. */
  public static HttpResponse problem(ProblemType type, String detail) {
    Problem problem =
        Problem.newBuilder()
            .setType(type.uri())
            .setTitle(type.title())
            .setStatus(type.status())
            .setDetail(detail)
            .build();
    HttpResponse response = HttpResponse.create().withStatus(type.status()).withEntity(PROBLEM_JSON, print(problem));
    // RFC 6750: a 401 names the scheme the client should use.
    return type == ProblemType.UNAUTHENTICATED
        ? response.addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "lockstep")))
        : response;
  }

  /**
   * Parses {@code json} into {@code builder}.
   *
   * @throws ApiProblem {@link ProblemType#MALFORMED_JSON} naming the parser's complaint
   */
  public static <B extends Message.Builder> B parse(String json, B builder) {
    try {
      PARSER.merge(json, builder);
      return builder;
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // The parser's message names the offending field or token, never server state.
      throw new ApiProblem(ProblemType.MALFORMED_JSON, "request body is not a valid "
          + builder.getDescriptorForType().getFullName() + " in the proto3 JSON mapping: " + e.getMessage());
    }
  }

  private static byte[] print(Message message) {
    try {
      return PRINTER.print(message).getBytes(StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      // Only Any fields with unknown types fail; none of our messages has one.
      throw new IllegalStateException("cannot print " + message.getDescriptorForType().getFullName(), e);
    }
  }
}
