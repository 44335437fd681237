package io.lockstep.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.LockstepNode;
import io.lockstep.client.ClientConfig;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.ServicePrincipal;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One running Lockstep node for a test class, on a database of its own ({@link TestDatabase}),
 * started before the class's first test and stopped (database dropped) after its last:
 *
 * <pre>
 *   &#64;RegisterExtension static final RunningNode node = RunningNode.create();
 *   &#64;RegisterExtension static final RunningNode tuned = RunningNode.with("lockstep.device.heartbeat = 200ms");
 * </pre>
 *
 * Replaces the {@code @BeforeAll}/{@code @AfterAll} pair each integration test used to copy.
 */
public final class RunningNode implements BeforeAllCallback, AfterAllCallback {
  private final Config overrides;
  private TestDatabase database;
  private LockstepNode node;
  private HttpApi http;
  private HttpApi management;

  private RunningNode(Config overrides) {
    this.overrides = overrides;
  }

  /** A node on the test defaults. */
  public static RunningNode create() {
    return new RunningNode(ConfigFactory.empty());
  }

  /** A node with {@code hocon} over the test defaults. */
  public static RunningNode with(String hocon) {
    return new RunningNode(ConfigFactory.parseString(hocon));
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    database = TestDatabase.create(context.getRequiredTestClass());
    node = LockstepNode.start(overrides.withFallback(database.config()).resolve());
    http = new HttpApi(node.httpPort());
    management = new HttpApi(node.managementPort());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      if (node != null) node.close();
    } finally {
      if (database != null) database.close();
    }
  }

  public LockstepNode node() {
    return require(node);
  }

  public TestDatabase database() {
    return require(database);
  }

  /** The product API's port. */
  public HttpApi http() {
    return require(http);
  }

  /** The management port (operator routes, metrics, console). */
  public HttpApi management() {
    return require(management);
  }

  public URI deviceUri() {
    return URI.create("ws://127.0.0.1:" + node().devicePort() + "/v1/devices/ws");
  }

  public String deviceToken(String merchantId, String deviceId) {
    return node().tokens().mint(new DevicePrincipal(merchantId, deviceId));
  }

  public String serviceToken(String merchantId) {
    return node().tokens().mint(new ServicePrincipal("backoffice", Optional.of(merchantId)));
  }

  /** The settings of a client of {@code deviceId} with its store in {@code dir}, quick to reconnect. */
  public ClientConfig.Builder client(String merchantId, String deviceId, Path dir) {
    String token = deviceToken(merchantId, deviceId);
    return ClientConfig.builder()
        .serverUri(deviceUri())
        .deviceId(deviceId)
        .token(() -> token)
        .storePath(dir.resolve(deviceId + ".store"))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .random(new Random(1));
  }

  private <T> T require(T part) {
    if (part == null) throw new IllegalStateException("the node runs only while its test class runs (register it static)");
    return part;
  }
}
