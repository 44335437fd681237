package io.lockstep.merchant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Changes;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Mutation;
import io.lockstep.storage.v1.MutationRecorded;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The one journal reader over a journal that holds what each test says, holes included. */
@ExtendWith(LogCapturingExtension.class)
class JournalChangesTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create("JournalChangesTest");

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  /** A journal of merchant {@code m} holding {@code seqs}; it answers a query as a real one does. */
  private static JournalChanges journal(long... seqs) {
    return new JournalChanges((persistenceId, from, to) -> {
      assertEquals(MerchantEntity.persistenceId("m").id(), persistenceId);
      return Source.from(LongStream.of(seqs).filter(s -> s >= from && s <= to).boxed().toList())
          .map(JournalChangesTest::envelope)
          .mapMaterializedValue(m -> NotUsed.getInstance());
    });
  }

  private static EventEnvelope envelope(long seq) {
    MutationRecorded event = MutationRecorded.newBuilder().setSeq(seq).setDeviceId("d")
        .setMutation(Mutation.newBuilder().setCounter(seq)).build();
    try { // as the serializer reads it: the stored bytes
      return EventEnvelope.apply(Sequence.apply(seq), "Merchant|m", seq, Recorded.stored(event.toByteArray()), 0L);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static List<Long> seqs(Source<Change, NotUsed> changes) throws Exception {
    return changes.map(Change::getSeq).runWith(Sink.seq(), TEST_KIT.system()).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static String failure(Source<Change, NotUsed> changes) {
    ExecutionException thrown = assertThrows(ExecutionException.class, () -> seqs(changes));
    assertTrue(thrown.getCause() instanceof IllegalStateException, thrown.getCause().toString());
    return thrown.getCause().getMessage();
  }

  @Test
  void aWholeRangeIsReadInOrderAndCanBeReadAgain() throws Exception {
    Source<Change, NotUsed> range = journal(1, 2, 3, 4, 5).range("m", 2, 4);
    assertEquals(List.of(2L, 3L, 4L), seqs(range));
    assertEquals(List.of(2L, 3L, 4L), seqs(range), "each run counts afresh");
  }

  @Test
  void aHoleInARangeFailsIt() {
    assertEquals("journal range of m has a hole before seq 4", failure(journal(1, 2, 4, 5).range("m", 2, 5)));
  }

  @Test
  void aRangeThatEndsShortFailsIt() {
    assertEquals("journal range of m ends at 3, expected 5", failure(journal(1, 2, 3).range("m", 2, 5)));
  }

  @Test
  void framesAreTheChangesOfTheRangeAsProtobufFramesThem() throws Exception {
    JournalChanges journal = journal(1, 2, 3, 4, 5, 6);
    List<byte[]> frames = journal.frames("m", 2, 6, 2).runWith(Sink.seq(), TEST_KIT.system())
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    List<Change> expected = journal.range("m", 2, 6).runWith(Sink.seq(), TEST_KIT.system())
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(3, frames.size());
    for (int i = 0; i < frames.size(); i++) {
      byte[] protobufs = ServerFrame.newBuilder()
          .setChanges(Changes.newBuilder().addAllChanges(expected.subList(2 * i, Math.min(expected.size(), 2 * i + 2))))
          .build().toByteArray();
      assertArrayEquals(protobufs, frames.get(i), "frame " + i);
    }
  }

  @Test
  void aHoleFailsTheFramesToo() {
    ExecutionException thrown = assertThrows(ExecutionException.class, () ->
        journal(1, 2, 4).frames("m", 1, 4, 10).runWith(Sink.seq(), TEST_KIT.system()).toCompletableFuture().get(5, TimeUnit.SECONDS));
    assertEquals("journal range of m has a hole before seq 4", thrown.getCause().getMessage());
  }

  @Test
  void afterReadsAtMostTheLimitAndStopsAtTheEnd() throws Exception {
    JournalChanges journal = journal(1, 2, 3, 4, 5);
    assertEquals(List.of(1L, 2L), seqs(journal.after("m", 0, 2)));
    assertEquals(List.of(4L, 5L), seqs(journal.after("m", 3, 10)));
    assertEquals(List.of(), seqs(journal.after("m", 5, 10)));
  }

  @Test
  void aHoleAfterASeqFailsTheRead() {
    assertEquals("journal range of m has a hole before seq 3", failure(journal(1, 3).after("m", 0, 10)));
  }

  @Test
  void nothingIsReadUntilTheSourceRuns() {
    JournalChanges journal = new JournalChanges((persistenceId, from, to) -> {
      throw new AssertionError("queried before the source ran");
    });
    journal.range("m", 1, 3); // a device's catch-up is built before its turn in the outgoing stream
    journal.after("m", 0, 3);
  }
}
