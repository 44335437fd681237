package io.lockstep.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.Acks;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Changes;
import io.lockstep.protocol.v1.ServerFrame;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutgoingCoalescerTest {

  private static byte[] changes(long... seqs) {
    Changes.Builder changes = Changes.newBuilder();
    for (long seq : seqs) changes.addChanges(Change.newBuilder().setSeq(seq).setDeviceId("d-" + seq));
    return ServerFrame.newBuilder().setChanges(changes).build().toByteArray();
  }

  private static byte[] acks(long counter) {
    return ServerFrame.newBuilder().setAcks(Acks.newBuilder().addAcks(Ack.newBuilder().setCounter(counter))).build().toByteArray();
  }

  private static List<Long> seqsOf(Outgoing outgoing) throws Exception {
    ServerFrame frame = ServerFrame.parseFrom(((Outgoing.Frame) outgoing).serverFrame());
    assertTrue(frame.hasChanges());
    return frame.getChanges().getChangesList().stream().map(Change::getSeq).toList();
  }

  @Test
  void consecutiveChangesFramesParseAsOneFrameWithAllTheirChangesInOrder() throws Exception {
    List<Outgoing> frames = new OutgoingCoalescer(1 << 16).seed(Outgoing.Frame.changes(changes(1, 2)))
        .add(Outgoing.Frame.changes(changes(3)))
        .add(Outgoing.Frame.changes(changes(4, 5)))
        .frames();

    assertEquals(1, frames.size());
    assertTrue(((Outgoing.Frame) frames.get(0)).changes());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqsOf(frames.get(0)));
  }

  @Test
  void acksAndOtherFramesAreNeverJoinedAndKeepTheirPlace() throws Exception {
    Outgoing journal = new Outgoing.FromJournal("m", 1, 9);
    List<Outgoing> frames = new OutgoingCoalescer(1 << 16).seed(Outgoing.Frame.of(acks(1)))
        .add(Outgoing.Frame.of(acks(2)))
        .add(Outgoing.Frame.changes(changes(10)))
        .add(Outgoing.Frame.changes(changes(11)))
        .add(Outgoing.Frame.of(acks(3)))
        .add(Outgoing.Frame.changes(changes(12)))
        .add(journal)
        .add(Outgoing.Frame.changes(changes(13)))
        .frames();

    assertEquals(7, frames.size());
    assertEquals(1, ServerFrame.parseFrom(((Outgoing.Frame) frames.get(0)).serverFrame()).getAcks().getAcks(0).getCounter());
    assertEquals(2, ServerFrame.parseFrom(((Outgoing.Frame) frames.get(1)).serverFrame()).getAcks().getAcks(0).getCounter());
    assertEquals(List.of(10L, 11L), seqsOf(frames.get(2)));
    assertEquals(3, ServerFrame.parseFrom(((Outgoing.Frame) frames.get(3)).serverFrame()).getAcks().getAcks(0).getCounter());
    assertEquals(List.of(12L), seqsOf(frames.get(4)));
    assertSame(journal, frames.get(5));
    assertEquals(List.of(13L), seqsOf(frames.get(6)));
  }

  @Test
  void aJoinedFrameStaysWithinTheBoundAndALargerSingleFrameGoesAlone() throws Exception {
    byte[] one = changes(1);
    int bound = one.length * 2;
    List<Outgoing> frames = new OutgoingCoalescer(bound).seed(Outgoing.Frame.changes(changes(1)))
        .add(Outgoing.Frame.changes(changes(2)))
        .add(Outgoing.Frame.changes(changes(3)))
        .add(Outgoing.Frame.changes(changes(4, 5, 6, 7)))
        .add(Outgoing.Frame.changes(changes(8)))
        .frames();

    assertEquals(4, frames.size());
    assertEquals(List.of(1L, 2L), seqsOf(frames.get(0)));
    assertTrue(((Outgoing.Frame) frames.get(0)).serverFrame().length <= bound);
    assertEquals(List.of(3L), seqsOf(frames.get(1)));
    assertEquals(List.of(4L, 5L, 6L, 7L), seqsOf(frames.get(2)));
    assertEquals(List.of(8L), seqsOf(frames.get(3)));
  }

  @Test
  void aJoinedFrameKeepsTheOldestCommitTimeAndCountsTheLiveChangesOfItsParts() throws Exception {
    List<Outgoing> frames = new OutgoingCoalescer(1 << 16).seed(Outgoing.Frame.changes(changes(1)))
        .add(Outgoing.Frame.live(changes(2, 3), 500, 2))
        .add(Outgoing.Frame.live(changes(4), 400, 1))
        .frames();
    Outgoing.Frame joined = (Outgoing.Frame) frames.get(0);
    assertEquals(List.of(1L, 2L, 3L, 4L), seqsOf(joined));
    assertEquals(400, joined.committedAtMillis());
    assertEquals(3, joined.liveChanges(), "the catch-up change is not a live delivery");
  }
}
