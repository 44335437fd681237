package io.lockstep.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lockstep.config.LimitSettings;
import io.lockstep.domain.Authority;
import io.lockstep.domain.MerchantState;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.Push;
import io.lockstep.protocol.v1.UpsertItem;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.testing.Mutations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The pure edge controls: mutation bounds, the push token bucket, the revocation file. */
class EdgeLimitsTest {
  @TempDir Path dir;

  private static LimitSettings limits(int maxString, int maxEntries) {
    return new LimitSettings(262144, 500, maxString, maxEntries, 50, 1);
  }

  @Test
  void everyStringFieldIsBoundedWhateverTheOp() {
    MutationLimits bounds = new MutationLimits(limits(8, 4));
    assertTrue(bounds.problem(Mutations.upsertItem(1, "1234", "12345678", 1)).isEmpty());
    assertTrue(bounds.problem(Mutations.upsertItem(1, "123456789", "n", 1)).orElseThrow().contains("item_id"));
    assertTrue(bounds.problem(Mutations.upsertItem(1, "i", "123456789", 1)).orElseThrow().contains("name"));
    assertTrue(bounds.problem(Mutations.addLine(1, "o", "line-id-too-long", "i", 1)).orElseThrow().contains("line_id"));
    Mutation longBaseKey = Mutations.upsertItem(1, "i", "n", 1).toBuilder()
        .setBase(Mutations.base(java.util.Map.of("device-id-too-long", 1L))).build();
    assertTrue(bounds.problem(longBaseKey).orElseThrow().contains("base"));
  }

  @Test
  void theSizeShortcutAgreesWithTheWalkAtEveryLengthAroundTheBound() {
    assertTrue(MutationLimits.SCHEMA_DEPTH <= 8, "the schema nests deeper than the walk allows: no shortcut");
    MutationLimits bounds = new MutationLimits(limits(64, 1000));
    for (String unit : new String[] {"n", "\u00e9", "\u20ac", "\ud83d\ude00"}) { // 1, 2, 3 and 4 bytes in UTF-8
      for (int chars = 40; chars <= 80; chars++) {
        String name = unit.repeat(chars / unit.length() + 1).substring(0, chars);
        if (Character.isHighSurrogate(name.charAt(name.length() - 1))) continue;
        var problem = bounds.problem(Mutations.upsertItem(1, "i", name, 1));
        assertEquals(name.length() > 64, problem.isPresent(), name.length() + " chars of " + unit + ": " + problem);
      }
    }
  }

  @Test
  void theBaseVersionVectorIsBounded() {
    MutationLimits bounds = new MutationLimits(limits(64, 2));
    Mutation three = Mutations.upsertItem(1, "i", "n", 1).toBuilder()
        .setBase(Mutations.base(java.util.Map.of("a", 1L, "b", 1L, "c", 1L))).build();
    assertTrue(bounds.problem(three).orElseThrow().contains("version vector"));
  }

  @Test
  void aPushIsCheckedWholeTheSameForEveryEdge() {
    MutationLimits bounds = new MutationLimits(limits(8, 4)); // at most 500 mutations
    Push ok = Push.newBuilder().addMutations(Mutations.upsertItem(1, "i", "n", 1)).build();
    assertEquals(Optional.empty(), bounds.check(ok));
    assertEquals(Optional.empty(), bounds.check(Push.getDefaultInstance()), "an empty push is the API's own rule");

    Push.Builder many = Push.newBuilder();
    for (int i = 1; i <= 501; i++) many.addMutations(Mutations.upsertItem(i, "i", "n", 1));
    assertEquals(Optional.of(new MutationLimits.Violation(MutationLimits.Violation.Kind.TOO_MANY_MUTATIONS,
        "a push may hold at most 500 mutations, got 501")), bounds.check(many.build()));

    MutationLimits.Violation unknown = bounds.check(ok.toBuilder().addMutations(Mutations.noOp(2)).build()).orElseThrow();
    assertEquals("unknown-op", unknown.kind().code());
    assertTrue(unknown.message().startsWith("mutation with counter 2 has no op"), unknown.message());

    MutationLimits.Violation tooLong = bounds.check(ok.toBuilder().addMutations(Mutations.upsertItem(3, "i", "123456789", 1)).build()).orElseThrow();
    assertEquals("limit-exceeded", tooLong.kind().code());
    assertTrue(tooLong.message().contains("name") && tooLong.message().endsWith("nothing of this push was applied"), tooLong.message());
  }

  @Test
  void theConfiguredStringLimitCannotExceedTheDomainCeilingWhichTheDomainEnforces() {
    assertThrows(IllegalArgumentException.class, () -> limits(LimitSettings.DOMAIN_MAX_STRING_LENGTH + 1, 4));
    String atCeiling = "n".repeat(LimitSettings.DOMAIN_MAX_STRING_LENGTH);
    String above = atCeiling + "n";
    assertEquals("ACCEPTED", apply(UpsertItem.newBuilder().setItemId("i").setName(atCeiling)));
    assertEquals("REJECTED", apply(UpsertItem.newBuilder().setItemId("i").setName(above)));
  }

  private static String apply(UpsertItem.Builder upsert) {
    Mutation wire = Mutation.newBuilder().setCounter(1).setHlc(Mutations.HLC).setUpsertItem(upsert).build();
    var outcome = MerchantState.empty().apply(1, DeviceProtocolMapper.toDomain("d", Authority.DEVICE, wire));
    return outcome.getClass().getSimpleName().toUpperCase(java.util.Locale.ROOT);
  }

  @Test
  void theTokenBucketAllowsOneSecondsBurstThenTheRate() {
    long t = 0;
    PushRateLimiter bucket = new PushRateLimiter(5, t);
    for (int i = 0; i < 5; i++) assertTrue(bucket.tryAcquire(t));
    assertFalse(bucket.tryAcquire(t));
    t += 200_000_000L; // 0.2 s: one more token
    assertTrue(bucket.tryAcquire(t));
    assertFalse(bucket.tryAcquire(t));
    t += 60_000_000_000L; // a minute idle refills only up to the burst
    for (int i = 0; i < 5; i++) assertTrue(bucket.tryAcquire(t));
    assertFalse(bucket.tryAcquire(t));
  }

  @Test
  void theRevocationFileIsReloadedOnChangeAndAnUnreadableFileKeepsTheLastList() throws Exception {
    Path file = dir.resolve("revoked.txt");
    Files.writeString(file, "m1/lost-1 # stolen\n\n# comment\n  m1 / lost-2  \n");
    DeviceRevocations revocations = DeviceRevocations.fromFile(file);
    AtomicReference<Set<DevicePrincipal>> heard = new AtomicReference<>();
    revocations.onChange(heard::set);
    assertTrue(revocations.isRevoked("m1", "lost-1"));
    assertTrue(revocations.isRevoked("m1", "lost-2"));
    assertFalse(revocations.isRevoked("m2", "lost-1"));
    assertFalse(revocations.isRevoked("m1", "stolen"));
    assertFalse(revocations.reload()); // unchanged

    Files.writeString(file, "m1/lost-3\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
    assertTrue(revocations.reload());
    assertEquals(Set.of(new DevicePrincipal("m1", "lost-3")), heard.get());
    assertFalse(revocations.isRevoked("m1", "lost-1"));

    Files.delete(file);
    assertFalse(revocations.reload());
    assertTrue(revocations.isRevoked("m1", "lost-3"));
  }

  @Test
  void aRevocationLineWithoutMerchantAndDeviceIsRefusedWithAWarningNamingIt() throws Exception {
    Path file = dir.resolve("revoked.txt");
    Files.writeString(file, "register-1 # old format\nm1/\n/register-2\nm1/register-3\n");
    Logger logger = (Logger) LoggerFactory.getLogger(DeviceRevocations.class);
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    logger.addAppender(captured);
    DeviceRevocations revocations;
    try {
      revocations = DeviceRevocations.fromFile(file);
    } finally {
      logger.detachAppender(captured);
    }
    List<String> warnings = captured.list.stream()
        .filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    assertEquals(3, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("line 1") && warnings.get(0).endsWith("register-1 # old format"), warnings.get(0));
    assertTrue(warnings.get(1).endsWith("m1/"), warnings.get(1));
    assertTrue(warnings.get(2).endsWith("/register-2"), warnings.get(2));
    assertFalse(revocations.isRevoked("m1", "register-1"));
    assertFalse(revocations.isRevoked("m1", "register-2"));
    assertTrue(revocations.isRevoked("m1", "register-3"));
  }
}
