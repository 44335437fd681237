package io.lockstep.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lockstep.serialization.TransientMessage;
import io.lockstep.testing.TestDatabase;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Events written by one actor system are recovered by the next one on the same database, with
 * snapshots in between: the journal, snapshot store and migration fit together.
 */
@Tag("postgres")
@ExtendWith(LogCapturingExtension.class)
class PersistenceSmokeTest {

  @RegisterExtension static final TestDatabase database = TestDatabase.create(PersistenceSmokeTest.class);

  // Test-only events go through Kryo; production events use protobuf.
  static final Config CONFIG =
      ConfigFactory.parseString(
              """
              lockstep.serialization.kryo-classes = [
                "io.lockstep.persistence.PersistenceSmokeTest$Added",
                "io.lockstep.persistence.PersistenceSmokeTest$State"
              ]
              """)
          .withFallback(database.config());

  // Journal start-up (pool, first connection) can take seconds on a loaded CI machine.
  private static final java.time.Duration STARTUP = java.time.Duration.ofSeconds(20);

  sealed interface Command {}

  record Add(String item, ActorRef<Integer> replyTo) implements Command {}

  record Get(ActorRef<List<String>> replyTo) implements Command {}

  record Added(String item) implements TransientMessage {}

  record State(List<String> items) implements TransientMessage {
    State add(String item) {
      return new State(java.util.stream.Stream.concat(items.stream(), java.util.stream.Stream.of(item)).toList());
    }
  }

  static final class Ledger extends EventSourcedBehavior<Command, Added, State> {
    Ledger(String id) {
      super(PersistenceId.of("Ledger", id));
    }

    @Override
    public State emptyState() {
      return new State(List.of());
    }

    @Override
    public CommandHandler<Command, Added, State> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(Add.class, (state, add) -> Effect().persist(new Added(add.item()))
              .thenReply(add.replyTo(), s -> s.items().size()))
          .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state.items()))
          .build();
    }

    @Override
    public EventHandler<State, Added> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onEvent(Added.class, (state, added) -> state.add(added.item())).build();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.snapshotEvery(3, 2);
    }
  }

  static Behavior<Command> ledger(String id) {
    return new Ledger(id);
  }

  @Test
  void eventsSurviveARestartOfTheActorSystem() {
    ActorTestKit first = ActorTestKit.create("lockstep", CONFIG);
    try {
      var ledger = first.spawn(ledger("m-1"));
      TestProbe<Integer> acks = first.createTestProbe();
      for (int i = 1; i <= 5; i++) {
        ledger.tell(new Add("item-" + i, acks.ref()));
        assertEquals(i, acks.receiveMessage(STARTUP));
      }
    } finally {
      first.shutdownTestKit();
    }

    ActorTestKit second = ActorTestKit.create("lockstep", CONFIG);
    try {
      var recovered = second.spawn(ledger("m-1"));
      TestProbe<List<String>> probe = second.createTestProbe();
      recovered.tell(new Get(probe.ref()));
      assertEquals(List.of("item-1", "item-2", "item-3", "item-4", "item-5"), probe.receiveMessage(STARTUP));
    } finally {
      second.shutdownTestKit();
    }
  }
}
