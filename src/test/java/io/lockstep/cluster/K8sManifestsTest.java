package io.lockstep.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The manifests in {@code k8s/} pass yamllint and the Kubernetes schema validation of {@code
 * k8s/validate/validate.mjs} (kubernetes-models), so a broken manifest fails the build.
 *
 * <p>Needs {@code node}/{@code npm} and {@code yamllint} on the PATH. Without them the test is
 * skipped with a message, unless {@code LOCKSTEP_REQUIRE_K8S_TOOLS=1} (set by {@code .ci/run}),
 * which turns a missing tool into a failure.
 */
class K8sManifestsTest {

  private static final Path K8S = Path.of("k8s");
  private static final Path VALIDATE = K8S.resolve("validate");

  @Test
  void manifestsMatchTheKubernetesSchemas() throws Exception {
    requireTool("node", "--version");
    requireTool("npm", "--version");
    if (!Files.isDirectory(VALIDATE.resolve("node_modules"))) {
      assertEquals(0, run(VALIDATE, "npm", "ci", "--no-audit", "--no-fund", "--prefer-offline").exitCode,
          "npm ci in k8s/validate");
    }
    Result result = run(VALIDATE, "node", "validate.mjs");
    assertEquals(0, result.exitCode, "k8s/validate/validate.mjs:\n" + result.output);
  }

  @Test
  void manifestsPassYamllint() throws Exception {
    requireTool("yamllint", "--version");
    Result result = run(K8S, "yamllint", "--strict", "-c", ".yamllint", ".");
    assertEquals(0, result.exitCode, "yamllint k8s/:\n" + result.output);
  }

  private static void requireTool(String tool, String versionFlag) {
    boolean present;
    try {
      present = run(Path.of("."), tool, versionFlag).exitCode == 0;
    } catch (IOException | InterruptedException e) {
      present = false;
    }
    String message = "SKIPPED: '" + tool + "' is not on the PATH; the k8s/ manifests were NOT validated "
        + "(install it, see .ci/run)";
    if (!present && "1".equals(System.getenv("LOCKSTEP_REQUIRE_K8S_TOOLS"))) {
      throw new AssertionError(message.replace("SKIPPED: ", "") + " and LOCKSTEP_REQUIRE_K8S_TOOLS=1");
    }
    if (!present) {
      System.err.println(message);
    }
    Assumptions.assumeTrue(present, message);
  }

  private record Result(int exitCode, String output) {}

  private static Result run(Path dir, String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(180, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within 180 s");
    }
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }
}
