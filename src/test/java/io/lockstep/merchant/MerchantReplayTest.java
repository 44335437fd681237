package io.lockstep.merchant;

import static io.lockstep.testing.Mutations.adjustStock;
import static io.lockstep.testing.Mutations.base;
import static io.lockstep.testing.Mutations.upsertItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lockstep.domain.Authority;
import io.lockstep.domain.Item;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Outcome;
import io.lockstep.ops.v1.RuleDrift;
import io.lockstep.ops.v1.RuleDriftReport;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.storage.v1.MutationRecorded;
import io.lockstep.storage.v1.WriterAuthority;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MerchantReplayTest {

  /** Events as a merchant whose rules are today's stores them. */
  private static List<MutationRecorded> journal(Mutation... mutations) {
    List<MutationRecorded> events = new ArrayList<>();
    MerchantState state = MerchantState.empty();
    for (Mutation wire : mutations) {
      long seq = state.headSeq() + 1;
      Outcome outcome = state.apply(seq, DeviceProtocolMapper.toDomain("till", Authority.DEVICE, wire));
      Outcome.Accepted accepted = (Outcome.Accepted) outcome;
      MutationRecorded.Builder event = MutationRecorded.newBuilder().setSeq(seq).setDeviceId("till")
          .setAuthority(WriterAuthority.WRITER_DEVICE).setMutation(wire).setStatus(AckStatus.ACCEPTED);
      event.setItem(DeviceProtocolMapper.toProto((Item) accepted.record()));
      events.add(event.build());
      state = outcome.state();
    }
    return events;
  }

  private static MerchantReplay replay(List<MutationRecorded> events, long toSeq) {
    MerchantReplay replay = MerchantReplay.upTo("m", toSeq);
    events.forEach(replay::accept);
    return replay;
  }

  private static final List<MutationRecorded> JOURNAL = journal(
      upsertItem(1, "coffee", "Coffee", 350),
      adjustStock(2, "coffee", 5, base(Map.of("till", 1L))),
      upsertItem(3, "tea", "Tea", 250));

  @Test
  void theJournalStoredByTodaysRulesShowsNoDriftAndRebuildsEachSeq() {
    MerchantReplay head = replay(JOURNAL, Long.MAX_VALUE);
    RuleDriftReport report = head.drift();
    assertEquals(3, report.getChecked());
    assertEquals(0, report.getDriftsCount());
    assertEquals(3, head.history().getSeq());
    assertEquals(List.of("coffee", "tea"), head.history().getItemsList().stream().map(i -> i.getItemId()).toList());
    assertEquals(JOURNAL.get(1).getItem(), head.history().getItems(0));

    MerchantReplay two = replay(JOURNAL, 2);
    assertEquals(2, two.history().getSeq());
    assertEquals(3, two.history().getHeadSeq());
    assertEquals(2, two.drift().getChecked());
    assertEquals(List.of("coffee"), two.history().getItemsList().stream().map(i -> i.getItemId()).toList());
  }

  @Test
  void aStoredRecordTodaysRulesWouldResolveDifferentlyIsListedWithBothVersions() {
    List<MutationRecorded> older = new ArrayList<>(JOURNAL);
    // As if an older release had resolved the stock adjustment to another quantity.
    MutationRecorded adjusted = older.get(1);
    older.set(1, adjusted.toBuilder().setItem(adjusted.getItem().toBuilder().setStock(adjusted.getItem().getStock() + 1)).build());

    RuleDriftReport report = replay(older, Long.MAX_VALUE).drift();

    assertEquals(1, report.getDriftsCount());
    RuleDrift drift = report.getDrifts(0);
    assertEquals(2, drift.getSeq());
    assertEquals("coffee", drift.getRecordId());
    assertEquals(AckStatus.ACCEPTED, drift.getStoredStatus());
    assertEquals(AckStatus.ACCEPTED, drift.getTodayStatus());
    assertEquals(older.get(1).getItem(), drift.getStored().getItem());
    assertEquals(JOURNAL.get(1).getItem(), drift.getToday().getItem());
  }

  @Test
  void aStoredMutationTodaysRulesWouldNotStoreIsListedAndTheReplayGoesOn() {
    List<MutationRecorded> older = new ArrayList<>(JOURNAL);
    // Stored twice by an older release: today the second is a duplicate and would not be stored.
    older.add(2, older.get(1).toBuilder().setSeq(3).build());
    older.set(3, older.get(3).toBuilder().setSeq(4).build());

    MerchantReplay replay = replay(older, Long.MAX_VALUE);

    assertEquals(1, replay.drift().getDriftsCount());
    assertEquals(3, replay.drift().getDrifts(0).getSeq());
    assertEquals(AckStatus.DUPLICATE, replay.drift().getDrifts(0).getTodayStatus());
    assertEquals(4, replay.state().headSeq());
    assertEquals(2, replay.state().items().size());
  }

  @Test
  void aHoleInTheJournalStopsTheReplay() {
    MerchantReplay replay = MerchantReplay.upTo("m", Long.MAX_VALUE);
    replay.accept(JOURNAL.get(0));
    assertThrows(IllegalStateException.class, () -> replay.accept(JOURNAL.get(2)));
  }
}
