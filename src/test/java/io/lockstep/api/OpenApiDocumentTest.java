package io.lockstep.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The OpenAPI document lists exactly the routes of {@link ApiRoute}, with the same methods. */
@ExtendWith(LogCapturingExtension.class)
class OpenApiDocumentTest {
  private static final Pattern PATH = Pattern.compile("^  (/\\S*):\\s*$");
  private static final Pattern METHOD = Pattern.compile("^    (get|put|post|delete|patch|head|options):");

  @Test
  void theDocumentDescribesExactlyTheImplementedRoutes() throws IOException {
    Set<String> implemented = Stream.of(ApiRoute.values())
        .map(r -> r.method() + " " + r.template())
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(implemented, documented(), "routes in code vs in " + ProductApi.OPENAPI_RESOURCE);
  }

  /** "METHOD /path" for every operation under the document's top-level {@code paths}. */
  static Set<String> documented() throws IOException {
    Set<String> operations = new TreeSet<>();
    boolean inPaths = false;
    String path = null;
    for (String line : document().split("\n")) {
      if (!line.startsWith(" ") && !line.isBlank()) {
        inPaths = line.startsWith("paths:");
        continue;
      }
      if (!inPaths) continue;
      Matcher p = PATH.matcher(line);
      if (p.matches()) {
        path = p.group(1);
        continue;
      }
      Matcher m = METHOD.matcher(line);
      if (m.find() && path != null) operations.add(m.group(1).toUpperCase() + " " + path);
    }
    return operations;
  }

  static String document() throws IOException {
    try (InputStream in = OpenApiDocumentTest.class.getClassLoader().getResourceAsStream(ProductApi.OPENAPI_RESOURCE)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void theParserSeesTheDocument() throws IOException {
    // Guards the check above against a parser that finds nothing.
    assertEquals(ApiRoute.values().length, documented().size());
  }
}
