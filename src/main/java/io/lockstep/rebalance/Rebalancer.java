package io.lockstep.rebalance;

import io.lockstep.config.RebalanceSettings;
import io.lockstep.rebalance.ClusterPicture.View;
import io.lockstep.serialization.TransientMessage;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntConsumer;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.sharding.external.javadsl.ExternalShardAllocationClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rebalancer, one per cluster (a cluster singleton): every {@code interval} it gathers the
 * {@link ClusterPicture}, plans with the {@link ShardPlanner} and, when enabled and not
 * suspended, sets each move's shard location through {@link ExternalShardAllocationClient}; the
 * shard coordinator then hands the shard off at its next rebalance tick.
 *
 * <pre>
 *   round      gather -> settle moves seen at their target -> plan on the intended layout
 *              (in-flight moves applied) -> set locations, record history, start cool-down
 *   suspend    rounds still plan (and report) but move nothing, until resume
 *   pin        the shard's location is set to the node at once and the planner never moves it
 * </pre>
 *
 * Suspension and pins are the operators' choices: they are replicated (Distributed Data, written
 * to a majority) so the next singleton, when this one's node leaves, keeps them.
 */
public final class Rebalancer {
  private static final Logger log = LoggerFactory.getLogger(Rebalancer.class);
  static final int HISTORY = 100;
  /** The operators' choices: {@code pin:<shard>} to a node address, {@code suspended} to true or false. */
  static final Key<LWWMap<String, String>> CHOICES = LWWMapKey.create("lockstep-rebalance-choices");
  private static final String PIN = "pin:";
  private static final String SUSPENDED = "suspended";

  // ---- protocol ------------------------------------------------------------------------------

  public sealed interface Command extends TransientMessage {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** A dry run: the plan the next round would make now. */
  public record GetPlan(ActorRef<PlanReport> replyTo) implements Command {}

  /** The answer to {@link GetPlan}. */
  public record PlanReport(Plan plan) implements TransientMessage {}

  public record Suspend(ActorRef<Answer> replyTo) implements Command {}

  public record Resume(ActorRef<Answer> replyTo) implements Command {}

  public record Pin(String shard, String node, ActorRef<Answer> replyTo) implements Command {}

  public record Unpin(String shard, ActorRef<Answer> replyTo) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private record ChoicesChanged(Replicator.SubscribeResponse<LWWMap<String, String>> change) implements Command {}

  private record ChoicesWritten(Replicator.UpdateResponse<LWWMap<String, String>> response) implements Command {}

  /** A picture arrived for {@code query} ({@link GetStatus}, {@link GetPlan}, or null for a round). */
  private record Gathered(Command query, View view, Throwable failure) implements Command {}

  /**
   * One node in the status: its load score, how many shards it holds, and how many moves in
   * flight it takes part in, into or out of it (at {@code max-moves-per-node} it is in no new one).
   */
  public record NodeLoad(String node, double load, int shards, int movesInFlight) {}

  /** A move made (or started) at {@code at}. */
  public record MoveRecord(Instant at, String shard, String from, String to, String reason) {}

  /**
   * @param enabled moves are made: enabled in configuration and not suspended
   * @param imbalance max node load / mean node load of the last picture
   * @param history newest first, at most {@value #HISTORY}
   * @param lastRound what the last round did or why it held
   */
  public record Status(
      boolean enabled,
      boolean suspended,
      double imbalance,
      List<NodeLoad> nodes,
      List<MoveRecord> inFlight,
      List<MoveRecord> history,
      Map<String, String> pins,
      String lastRound) implements TransientMessage {}

  /** How a control command went. */
  public enum Outcome { DONE, INVALID, NOT_FOUND }

  public record Answer(Outcome outcome, String detail, Status status) implements TransientMessage {}

  // ---- behaviour -----------------------------------------------------------------------------

  public static Behavior<Command> create(
      RebalanceSettings settings, int numberOfShards, java.time.Duration queryTimeout,
      ExternalShardAllocationClient locations, IntConsumer moved) {
    return Behaviors.setup(ctx -> DistributedData.<Command, LWWMap<String, String>>withReplicatorMessageAdapter(
        choices -> Behaviors.withTimers(timers -> {
          timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.interval());
          choices.subscribe(CHOICES, ChoicesChanged::new);
          ClusterPicture picture = new ClusterPicture(ctx.getSystem(), queryTimeout);
          return new Rebalancer(ctx, settings, numberOfShards, picture, locations, moved, choices, queryTimeout,
              Clock.systemUTC()).behavior();
        })));
  }

  private final ActorContext<Command> context;
  private final RebalanceSettings settings;
  private final int numberOfShards;
  private final ClusterPicture picture;
  private final ExternalShardAllocationClient locations;
  private final IntConsumer moved;
  private final ReplicatorMessageAdapter<Command, LWWMap<String, String>> choices;
  private final SelfUniqueAddress self;
  private final java.time.Duration writeTimeout;
  private final Clock clock;
  private final ShardPlanner planner;
  private final Map<String, String> pins = new TreeMap<>();
  private final Map<String, Instant> movedAt = new TreeMap<>();
  private final MovesInFlight inFlight = new MovesInFlight();
  private final Deque<MoveRecord> history = new ArrayDeque<>();
  private boolean suspended;
  private boolean roundRunning;
  // Own writes of the choices not yet confirmed: a change notification meanwhile may predate them.
  private int choicesPending;
  private View last = new View(new Layout(Map.of()), Membership.settled(""));
  private String lastRound = "no round yet";

  private Rebalancer(ActorContext<Command> context, RebalanceSettings settings, int numberOfShards,
      ClusterPicture picture, ExternalShardAllocationClient locations, IntConsumer moved,
      ReplicatorMessageAdapter<Command, LWWMap<String, String>> choices, java.time.Duration writeTimeout, Clock clock) {
    this.context = context;
    this.settings = settings;
    this.numberOfShards = numberOfShards;
    this.picture = picture;
    this.locations = locations;
    this.moved = moved;
    this.choices = choices;
    this.self = DistributedData.get(context.getSystem()).selfUniqueAddress();
    this.writeTimeout = writeTimeout;
    this.clock = clock;
    this.planner = new ShardPlanner(settings.band(), settings.maxMovesPerRound(), settings.maxMovesPerNode(),
        settings.minMeanLoad());
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.INSTANCE, () -> {
          if (!roundRunning) gather(null);
          roundRunning = true;
          return Behaviors.same();
        })
        .onMessage(GetStatus.class, this::gather)
        .onMessage(GetPlan.class, this::gather)
        .onMessage(Gathered.class, this::onGathered)
        .onMessage(Suspend.class, c -> suspend(c.replyTo(), true))
        .onMessage(Resume.class, c -> suspend(c.replyTo(), false))
        .onMessage(Pin.class, this::onPin)
        .onMessage(Unpin.class, this::onUnpin)
        .onMessage(ChoicesChanged.class, this::onChoicesChanged)
        .onMessage(ChoicesWritten.class, this::onChoicesWritten)
        .build();
  }

  /** Gathers a picture for a round ({@code query} null) or to answer a status or plan query. */
  private Behavior<Command> gather(Command query) {
    context.pipeToSelf(picture.gather(), (view, failure) -> new Gathered(query, view, failure));
    return Behaviors.same();
  }

  private Behavior<Command> onGathered(Gathered gathered) {
    if (gathered.failure() == null) {
      last = gathered.view();
      // A move still elsewhere a cool-down after it started is given up.
      inFlight.settle(last.layout(), clock.instant().minus(settings.coolDown()));
    }
    if (gathered.query() instanceof GetStatus query) {
      query.replyTo().tell(status());
    } else if (gathered.query() instanceof GetPlan query) {
      query.replyTo().tell(new PlanReport(plan()));
    } else {
      roundRunning = false;
      lastRound = gathered.failure() == null ? round() : "gathering the cluster's load failed: " + gathered.failure().getMessage();
    }
    return Behaviors.same();
  }

  /** Plans and, if enabled and not suspended, moves; returns what it did. */
  private String round() {
    Plan plan = plan();
    if (plan.held().isPresent()) {
      plan.throttled().ifPresent(throttle -> log.info("Rebalance round held: {}", throttle));
      return "held: " + plan.held().get();
    }
    if (plan.moves().isEmpty()) return "in band or no shard can move (max/mean " + round2(plan.imbalanceBefore()) + ")";
    String limited = plan.throttled().map(throttle -> "; then " + throttle).orElse("");
    if (!settings.enabled()) return "off in configuration; would move " + plan.moves().size() + limited;
    if (suspended) return "suspended; would move " + plan.moves().size() + limited;
    Instant now = clock.instant();
    for (Move move : plan.moves()) {
      setLocation(move.shard(), move.to());
      MoveRecord record = new MoveRecord(now, move.shard(), move.from(), move.to(), move.reason());
      inFlight.start(record);
      movedAt.put(move.shard(), now);
      remember(record);
      log.info("Moving shard {} from {} to {}: {}", move.shard(), move.from(), move.to(), move.reason());
    }
    moved.accept(plan.moves().size());
    return "moved " + plan.moves().size() + " (max/mean " + round2(plan.imbalanceBefore()) + " -> "
        + round2(plan.imbalanceAfter()) + ")" + limited;
  }

  private Plan plan() {
    Instant now = clock.instant();
    Set<String> cooling = new TreeSet<>();
    movedAt.forEach((shard, at) -> {
      if (at.plus(settings.coolDown()).isAfter(now)) cooling.add(shard);
    });
    return planner.plan(inFlight.intended(last.layout()), pins.keySet(), cooling, last.membership(), inFlight.perNode());
  }

  private void setLocation(String shard, String node) {
    locations.setShardLocation(shard, AddressFromURIString.parse(node)).whenComplete((done, failure) -> {
      if (failure != null) log.warn("Setting the location of shard {} to {} failed: {}", shard, node, failure.getMessage());
    });
  }

  private void remember(MoveRecord record) {
    history.addFirst(record);
    while (history.size() > HISTORY) history.removeLast();
  }

  private Behavior<Command> suspend(ActorRef<Answer> replyTo, boolean suspend) {
    if (!settings.enabled()) {
      replyTo.tell(answer(Outcome.INVALID, "rebalancing is off in configuration (lockstep.rebalance.enabled)"));
      return Behaviors.same();
    }
    suspended = suspend;
    choose(map -> map.put(self, SUSPENDED, Boolean.toString(suspend)));
    log.info("Rebalancing {} by an operator", suspend ? "suspended" : "resumed");
    replyTo.tell(answer(Outcome.DONE, suspend ? "suspended" : "resumed"));
    return Behaviors.same();
  }

  private Behavior<Command> onPin(Pin pin) {
    String invalid = invalidPin(pin.shard(), pin.node());
    if (invalid != null) {
      pin.replyTo().tell(answer(Outcome.INVALID, invalid));
      return Behaviors.same();
    }
    pins.put(pin.shard(), pin.node());
    choose(map -> map.put(self, PIN + pin.shard(), pin.node()));
    String from = last.layout().nodeOf(pin.shard());
    if (!pin.node().equals(from)) {
      setLocation(pin.shard(), pin.node());
      MoveRecord record = new MoveRecord(clock.instant(), pin.shard(), from == null ? "" : from, pin.node(), "pinned by an operator");
      if (from != null) inFlight.start(record);
      remember(record);
      moved.accept(1);
    } else {
      setLocation(pin.shard(), pin.node()); // stays here when the coordinator next allocates it
    }
    pin.replyTo().tell(answer(Outcome.DONE, "shard " + pin.shard() + " pinned to " + pin.node()));
    return Behaviors.same();
  }

  private String invalidPin(String shard, String node) {
    if (!settings.enabled()) return "rebalancing is off in configuration (lockstep.rebalance.enabled): shards are placed by count";
    int id;
    try {
      id = Integer.parseInt(shard);
    } catch (NumberFormatException e) {
      id = -1;
    }
    if (id < 0 || id >= numberOfShards || !Integer.toString(id).equals(shard)) {
      return "shard must be an integer in 0.." + (numberOfShards - 1) + ": " + shard;
    }
    Set<String> up = new TreeSet<>();
    org.apache.pekko.cluster.typed.Cluster.get(context.getSystem()).state().getMembers().forEach(m -> {
      if (m.status() == org.apache.pekko.cluster.MemberStatus.up()) up.add(m.address().toString());
    });
    if (!up.contains(node)) return "node must be the address of an Up member " + up + ": " + node;
    return null;
  }

  private Behavior<Command> onUnpin(Unpin unpin) {
    if (pins.remove(unpin.shard()) == null) {
      unpin.replyTo().tell(answer(Outcome.NOT_FOUND, "shard " + unpin.shard() + " is not pinned"));
    } else {
      choose(map -> map.remove(self, PIN + unpin.shard()));
      unpin.replyTo().tell(answer(Outcome.DONE, "shard " + unpin.shard() + " unpinned; it stays until a plan moves it"));
    }
    return Behaviors.same();
  }

  /** Replicates a change of the operators' choices; this singleton has applied it already. */
  private void choose(java.util.function.Function<LWWMap<String, String>, LWWMap<String, String>> change) {
    choicesPending++;
    choices.askUpdate(
        replyTo -> new Replicator.Update<>(CHOICES, LWWMap.create(), new Replicator.WriteMajority(writeTimeout), replyTo, change),
        ChoicesWritten::new);
  }

  private Behavior<Command> onChoicesWritten(ChoicesWritten written) {
    choicesPending--;
    if (!(written.response() instanceof Replicator.UpdateSuccess)) {
      log.warn("Operator choice not replicated to a majority ({}): it holds here, but a new rebalancer may not know it",
          written.response().getClass().getSimpleName());
    }
    return Behaviors.same();
  }

  /** The choices as replicated: a new singleton learns them here, the running one sees its own writes come back. */
  private Behavior<Command> onChoicesChanged(ChoicesChanged changed) {
    if (choicesPending == 0 && changed.change() instanceof Replicator.Changed<LWWMap<String, String>> current) {
      Map<String, String> entries = current.get(CHOICES).getEntries();
      pins.clear();
      entries.forEach((key, value) -> {
        if (key.startsWith(PIN)) pins.put(key.substring(PIN.length()), value);
      });
      suspended = Boolean.parseBoolean(entries.getOrDefault(SUSPENDED, "false"));
    }
    return Behaviors.same();
  }

  private Answer answer(Outcome outcome, String detail) {
    return new Answer(outcome, detail, status());
  }

  private Status status() {
    Layout layout = last.layout();
    Map<String, Double> loads = layout.nodeLoads();
    Map<String, Integer> moving = inFlight.perNode();
    List<NodeLoad> nodes = loads.entrySet().stream()
        .map(e -> new NodeLoad(e.getKey(), e.getValue(), layout.shardsByNode().get(e.getKey()).size(),
            moving.getOrDefault(e.getKey(), 0)))
        .toList();
    return new Status(settings.enabled() && !suspended, suspended, layout.imbalance(), nodes,
        inFlight.list(), List.copyOf(history), Map.copyOf(pins), lastRound);
  }

  private static String round2(double value) {
    return String.format(java.util.Locale.ROOT, "%.2f", value);
  }
}
