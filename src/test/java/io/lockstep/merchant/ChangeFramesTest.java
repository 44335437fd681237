package io.lockstep.merchant;

import static io.lockstep.testing.Mutations.restock;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.merchant.MerchantEntity.Frame;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.Changes;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.storage.v1.MutationRecorded;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Frames joined from encoded changes, and the window that keeps them. */
class ChangeFramesTest {

  private static MutationRecorded event(long seq, String device) {
    return MutationRecorded.newBuilder()
        .setSeq(seq)
        .setDeviceId(device)
        .setMutation(restock(seq, "item-" + (seq % 7)))
        .setStatus(AckStatus.ACCEPTED)
        .setRecordedAtMillis(1_700_000_000_000L + seq)
        .build();
  }

  /** The joined bytes are exactly what protobuf writes for the message built from the changes. */
  @Property(tries = 200)
  void aJoinedFrameIsTheEncodingOfTheMessageBuiltFromItsChanges(
      @ForAll @IntRange(min = 1, max = 300) int count, @ForAll @IntRange(min = 1, max = 64) int perFrame,
      @ForAll @IntRange(min = 0, max = 40) int deviceNameLength) {
    String device = "d".repeat(deviceNameLength); // long names cross the 1-byte length varint
    List<MutationRecorded> events = LongStream.rangeClosed(1, count).mapToObj(seq -> event(seq, device)).toList();
    List<ChangeFrames.Encoded> encoded = events.stream().map(ChangeFrames::encode).toList();
    List<Frame> frames = ChangeFrames.changeFrames(encoded, perFrame);

    assertEquals((count + perFrame - 1) / perFrame, frames.size());
    for (int i = 0; i < frames.size(); i++) {
      List<Change> part = events.subList(i * perFrame, Math.min(count, (i + 1) * perFrame)).stream()
          .map(ChangeFrames::toChange).toList();
      byte[] expected = ServerFrame.newBuilder().setChanges(Changes.newBuilder().addAllChanges(part)).build().toByteArray();
      Frame frame = frames.get(i);
      assertArrayEquals(expected, frame.serverFrame(), "frame " + i);
      assertEquals(part.get(0).getSeq(), frame.firstSeq());
      assertEquals(part.get(part.size() - 1).getSeq(), frame.lastSeq());
    }
  }

  @Test
  void aFrameOfBigChangesDecodesToThem() throws Exception {
    // Changes of several KiB each: lengths of two and three bytes.
    List<ChangeFrames.Encoded> encoded = new ArrayList<>();
    for (long seq = 1; seq <= 3; seq++) encoded.add(ChangeFrames.encode(event(seq, "x".repeat(5000 * (int) seq))));
    Frame frame = ChangeFrames.changeFrames(encoded, 10).get(0);
    List<Change> changes = ServerFrame.parseFrom(frame.serverFrame()).getChanges().getChangesList();
    assertEquals(List.of(1L, 2L, 3L), changes.stream().map(Change::getSeq).toList());
    assertEquals(10_000, changes.get(1).getDeviceId().length());
  }

  @Test
  void theWindowKeepsTheNewestContiguousRunAndServesWhatIsAfterASeq() {
    ChangeWindow window = new ChangeWindow(5, 64 * 1024);
    for (long seq = 1; seq <= 8; seq++) window.put(ChangeFrames.encode(event(seq, "till")));
    assertEquals(5, window.size());
    assertEquals(4L, window.firstSeqUpTo(8).orElseThrow());
    assertEquals(List.of(6L, 7L, 8L), window.after(5, 8).orElseThrow().stream().map(ChangeFrames.Encoded::seq).toList());
    assertTrue(window.after(2, 8).isEmpty(), "3 is no longer held");
    assertTrue(window.after(5, 9).isEmpty(), "the window does not run up to 9");
    assertEquals(List.of(), window.after(8, 8).orElseThrow());

    window.put(ChangeFrames.encode(event(7, "again"))); // replayed after a restart: 7 and 8 were not committed
    assertEquals(List.of(4L, 5L, 6L, 7L), window.after(3, 7).orElseThrow().stream().map(ChangeFrames.Encoded::seq).toList());
    window.put(ChangeFrames.encode(event(10, "gap")));
    assertEquals(1, window.size(), "only a contiguous run is kept");
  }
}
