package io.lockstep.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.LockstepNode;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Push;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.Mutations;
import io.lockstep.testing.TestDatabase;
import io.lockstep.testing.TestDevice;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * No cross-merchant read or write, over random principals and target merchants, through the real
 * HTTP API and device WebSocket of one node: a request is allowed iff its token covers the
 * merchant in the path; what is written for merchant A never appears in another merchant's items
 * or change feed; a device writes to its token's merchant whatever its frames say. Runs on H2 by
 * default and on PostgreSQL with {@code -Ppostgres}.
 */
@Tag("postgres")
class TenancyPropertiesTest {
  /** A few fixed merchants so that principals and targets often coincide, plus random ids. */
  private static final List<String> KNOWN = List.of("m-alpha", "m-beta", "m-gamma");
  private static final AtomicLong COUNTER = new AtomicLong(1);

  static TestDatabase database;
  static LockstepNode node;
  static HttpApi http;

  @BeforeContainer
  static void start() throws Exception {
    database = TestDatabase.create(TenancyPropertiesTest.class);
    node = LockstepNode.start(database.config());
    http = new HttpApi(node.httpPort());
  }

  @AfterContainer
  static void stop() {
    if (node != null) node.close();
    if (database != null) database.close();
  }

  @Provide
  Arbitrary<String> merchants() {
    return Arbitraries.oneOf(Arbitraries.of(KNOWN), Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('-', '_')
        .ofMinLength(1).ofMaxLength(20));
  }

  @Provide
  Arbitrary<Principal> principals() {
    Arbitrary<String> merchant = merchants();
    return Arbitraries.oneOf(
        merchant.map(m -> new ServicePrincipal("svc", Optional.of(m))),
        Arbitraries.just(new ServicePrincipal("svc-all", Optional.empty())),
        merchant.map(m -> new DevicePrincipal(m, "till")),
        Arbitraries.just(new OperatorPrincipal("ops")));
  }

  private static String path(String merchant, String rest) {
    return "/v1/merchants/" + java.net.URLEncoder.encode(merchant, java.nio.charset.StandardCharsets.UTF_8) + rest;
  }

  private static String reader(String merchant) {
    return node.tokens().mint(new ServicePrincipal("reader", Optional.of(merchant)));
  }

  private static boolean visible(String merchant, String marker) {
    String token = reader(merchant);
    return http.get(path(merchant, "/items"), token).body().contains(marker)
        || http.get(path(merchant, "/changes"), token).body().contains(marker);
  }

  @Property(tries = 30)
  void aTokenReachesExactlyTheMerchantsItCovers(
      @ForAll("principals") Principal principal, @ForAll("merchants") String target) {
    boolean allowed = principal instanceof ServicePrincipal s && s.covers(target);
    String token = node.tokens().mint(principal);

    assertEquals(allowed ? 200 : 403, http.get(path(target, "/items"), token).statusCode());
    assertEquals(allowed ? 200 : 403, http.get(path(target, "/devices"), token).statusCode());

    String marker = "marker-" + COUNTER.incrementAndGet();
    String body = HttpApi.json(Push.newBuilder().addMutations(Mutations.upsertItem(COUNTER.incrementAndGet(), marker, "n", 1)).build());
    assertEquals(allowed ? 200 : 403, http.post(path(target, "/mutations"), token, body).statusCode());

    assertEquals(allowed, visible(target, marker), "marker at the target");
    for (String other : KNOWN) {
      if (!other.equals(target)) assertFalse(visible(other, marker), "marker leaked to " + other);
    }
  }

  @Property(tries = 5)
  void aDeviceWritesOnlyToItsTokensMerchant(
      @ForAll("merchants") String merchant, @ForAll("merchants") String claimedInPath) {
    String device = "till-" + COUNTER.incrementAndGet();
    String token = node.tokens().mint(new DevicePrincipal(merchant, device));
    String marker = "device-marker-" + COUNTER.incrementAndGet();
    try (TestDevice socket = TestDevice.hello(node.devicePort(), device, token, 0)) {
      assertEquals(merchant, socket.welcome().getMerchantId());
      socket.push(Mutations.upsertItem(1, marker, "n", 1));
      assertEquals(AckStatus.ACCEPTED, socket.ack().getStatus());
    }
    assertTrue(visible(merchant, marker));
    if (!claimedInPath.equals(merchant)) assertFalse(visible(claimedInPath, marker));
    for (String other : KNOWN) {
      if (!other.equals(merchant)) assertFalse(visible(other, marker), "marker leaked to " + other);
    }
  }
}
