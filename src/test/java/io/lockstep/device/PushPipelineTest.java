package io.lockstep.device;

import static io.lockstep.testing.Mutations.restock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class PushPipelineTest {
  private final PushPipeline pipeline = new PushPipeline();

  @Test
  void pushesAreNumberedAndForwardedAtOnce() {
    assertEquals(1, pipeline.add(List.of(restock(1, "a"))).sequence());
    assertEquals(2, pipeline.add(List.of(restock(2, "a"))).sequence());
    assertEquals(2, pipeline.inFlight());
    assertEquals(List.of(), pipeline.resultForOldest());
    assertEquals(1, pipeline.answered());
    assertEquals(1, pipeline.inFlight());
  }

  @Test
  void aRefusedPushAndTheLaterOnesAreSentAgainOnceEveryEarlierOneIsAnswered() {
    pipeline.add(List.of(restock(1, "a")));
    pipeline.add(List.of(restock(2, "a")));
    pipeline.add(List.of(restock(3, "a")));
    assertEquals(List.of(), pipeline.refused(2), "push 1 is still unanswered");
    assertNull(pipeline.add(List.of(restock(4, "a"))), "held until the resend");
    List<PushPipeline.Forwarded> again = pipeline.resultForOldest();
    assertEquals(List.of(2L, 3L, 4L), again.stream().map(PushPipeline.Forwarded::sequence).toList());
    assertEquals(1, pipeline.answered());
    assertEquals(5, pipeline.add(List.of(restock(5, "a"))).sequence(), "forwarded at once again");
  }

  @Test
  void aRefusalWithNothingUnansweredBeforeItResendsAtOnce() {
    pipeline.add(List.of(restock(1, "a")));
    pipeline.add(List.of(restock(2, "a")));
    assertEquals(List.of(1L, 2L), pipeline.refused(1).stream().map(PushPipeline.Forwarded::sequence).toList());
  }

  @Test
  void aRefusalOfAPushNotInFlightIsIgnored() {
    pipeline.add(List.of(restock(1, "a")));
    pipeline.resultForOldest();
    assertEquals(List.of(), pipeline.refused(1));
    assertEquals(List.of(), pipeline.refused(9));
    assertEquals(2, pipeline.add(List.of(restock(2, "a"))).sequence());
  }

  @Test
  void afterATimeoutEveryUnansweredPushIsSentAgainInOrderAndAPendingResendIsDropped() {
    pipeline.add(List.of(restock(1, "a")));
    pipeline.add(List.of(restock(2, "a")));
    pipeline.add(List.of(restock(3, "a")));
    pipeline.resultForOldest(); // 1 answered
    assertEquals(List.of(), pipeline.refused(3), "push 2 is still unanswered");
    assertNull(pipeline.add(List.of(restock(4, "a"))), "held for the pending resend");

    List<PushPipeline.Forwarded> again = pipeline.resendAll();

    assertEquals(List.of(2L, 3L, 4L), again.stream().map(PushPipeline.Forwarded::sequence).toList());
    assertEquals(List.of(), pipeline.resultForOldest(), "the refusal's resend happened with the timeout's");
    assertEquals(5, pipeline.add(List.of(restock(5, "a"))).sequence(), "new pushes go out at once again");
    assertEquals(3, pipeline.inFlight());
  }
}
