package io.lockstep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On a 2-core machine the JDK's common pool has a parallelism of 1, and every async callback of
 * a CompletableFuture (Scala's CompletionStage, so every {@code thenApply} on a Pekko ask) then
 * gets a thread of its own. Loading {@link Main} must prevent that. Checked in a fresh JVM that
 * believes it has 2 cores.
 */
class CommonPoolTest {

  /** Loads Main as the launcher does, then prints which executor async callbacks run on. */
  public static final class Probe {
    public static void main(String[] args) throws Exception {
      Class.forName("io.lockstep.Main");
      System.out.println(ForkJoinPool.getCommonPoolParallelism() + " "
          + (new CompletableFuture<Void>().defaultExecutor() instanceof ForkJoinPool ? "common-pool" : "thread-per-task"));
    }
  }

  @Test
  void onTwoCoresAsyncCallbacksRunOnTheCommonPoolNotOnANewThreadEach() throws Exception {
    Process probe = new ProcessBuilder(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:ActiveProcessorCount=2",
            "-cp", System.getProperty("java.class.path"),
            Probe.class.getName()))
        .redirectErrorStream(true)
        .start();
    String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    probe.waitFor(30, TimeUnit.SECONDS);
    assertEquals("2 common-pool", output.lines().reduce((a, b) -> b).orElse(""), output);
  }
}
