package io.lockstep.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.config.LimitSettings;
import io.lockstep.domain.Authority;
import io.lockstep.domain.MerchantState;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.protocol.v1.UpsertItem;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.testing.Mutations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  void theBaseVersionVectorIsBounded() {
    MutationLimits bounds = new MutationLimits(limits(64, 2));
    Mutation three = Mutations.upsertItem(1, "i", "n", 1).toBuilder()
        .setBase(Mutations.base(java.util.Map.of("a", 1L, "b", 1L, "c", 1L))).build();
    assertTrue(bounds.problem(three).orElseThrow().contains("version vector"));
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
    Files.writeString(file, "lost-1 # stolen\n\n# comment\n  lost-2  \n");
    DeviceRevocations revocations = DeviceRevocations.fromFile(file);
    AtomicReference<Set<String>> heard = new AtomicReference<>();
    revocations.onChange(heard::set);
    assertTrue(revocations.isRevoked("lost-1"));
    assertTrue(revocations.isRevoked("lost-2"));
    assertFalse(revocations.isRevoked("stolen"));
    assertFalse(revocations.reload()); // unchanged

    Files.writeString(file, "lost-3\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
    assertTrue(revocations.reload());
    assertEquals(Set.of("lost-3"), heard.get());
    assertFalse(revocations.isRevoked("lost-1"));

    Files.delete(file);
    assertFalse(revocations.reload());
    assertTrue(revocations.isRevoked("lost-3"));
  }
}
