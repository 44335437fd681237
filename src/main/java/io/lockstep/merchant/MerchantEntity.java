package io.lockstep.merchant;

import io.lockstep.config.EntitySettings;
import io.lockstep.domain.Authority;
import io.lockstep.domain.Conflict;
import io.lockstep.domain.DomainRecord;
import io.lockstep.serialization.InvalidMutationException;
import io.lockstep.domain.Item;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Order;
import io.lockstep.domain.Outcome;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.AckStatus;
import io.lockstep.protocol.v1.Change;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.serialization.StoredEvent;
import io.lockstep.serialization.TransientMessage;
import io.lockstep.storage.v1.MutationRecorded;
import io.lockstep.storage.v1.WriterAuthority;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One merchant: the single writer that puts every mutation of its devices and services in one
 * order, resolves it with the domain rules, stores it, acknowledges it and fans it out.
 *
 * <pre>
 *  command            while no write in flight          while a write is in flight
 *  Push               buffered; a Flush is scheduled    stashed by Pekko, then buffered
 *  Flush              resolve the whole buffer, persist every stored mutation in ONE write;
 *                     after commit: Acks to each pusher, one encoded Changes frame to all
 *  Subscribe          reply Subscribed + catch-up frames (window, else snapshot); then live
 *  Stop               passivate / hand off; with pushes buffered: re-queued behind their Flush
 * </pre>
 *
 * <p>Acknowledgements are sent only after the journal write commits; a failed write restarts the
 * entity with backoff and acknowledges nothing. Subscribers and the buffer are transient.
 * The merchant seq of a stored mutation equals its journal sequence number.
 */
public final class MerchantEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        MerchantEntity.Command, MerchantEntity.Event, MerchantState> {

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Merchant");

  // ---- protocol ------------------------------------------------------------------------------

  /** What the entity accepts. */
  public sealed interface Command extends TransientMessage {}

  /**
   * Mutations of one writer, answered with one {@link Ack} per mutation in a {@link PushResult}
   * sent to {@code replyTo} after the write commits.
   */
  public record Push(
      String deviceId,
      Authority authority,
      List<io.lockstep.protocol.v1.Mutation> mutations,
      String idempotencyKey,
      long sequence,
      long answered,
      ActorRef<SessionEvent> replyTo)
      implements Command {
    public Push {
      Objects.requireNonNull(deviceId, "deviceId");
      Objects.requireNonNull(authority, "authority");
      mutations = List.copyOf(mutations);
      Objects.requireNonNull(idempotencyKey, "idempotencyKey");
      if (sequence < 0) throw new IllegalArgumentException("sequence < 0: " + sequence);
      if (answered < 0 || (sequence > 0 && answered >= sequence)) {
        throw new IllegalArgumentException("answered " + answered + " not below sequence " + sequence);
      }
      Objects.requireNonNull(replyTo, "replyTo");
    }

    /** A push of a service, answered once per {@code idempotencyKey} (empty: no key). */
    public Push(String deviceId, Authority authority, List<io.lockstep.protocol.v1.Mutation> mutations,
        String idempotencyKey, ActorRef<SessionEvent> replyTo) {
      this(deviceId, authority, mutations, idempotencyKey, 0, 0, replyTo);
    }

    /** A push without an idempotency key or sequence (tests; devices' counters make it idempotent). */
    public Push(String deviceId, Authority authority, List<io.lockstep.protocol.v1.Mutation> mutations,
        ActorRef<SessionEvent> replyTo) {
      this(deviceId, authority, mutations, "", 0, 0, replyTo);
    }

    /**
     * The {@code sequence}-th push (from 1) of one device session, sent when {@code answered} of
     * its pushes had been answered. Sessions pipeline their pushes; the merchant takes them only
     * in unbroken sequence, see {@link PushSequences}.
     */
    public static Push sequenced(String deviceId, List<io.lockstep.protocol.v1.Mutation> mutations,
        long sequence, long answered, ActorRef<SessionEvent> replyTo) {
      if (sequence < 1) throw new IllegalArgumentException("sequence < 1: " + sequence);
      return new Push(deviceId, Authority.DEVICE, mutations, "", sequence, answered, replyTo);
    }
  }

  /**
   * Subscribes {@code inbox} to the merchant's changes after {@code afterSeq}. Idempotent: a
   * session repeats it as a heartbeat, which also re-subscribes it after the entity restarted
   * or moved. {@code session} is watched; its stop ends the subscription.
   */
  public record Subscribe(
      String deviceId, long afterSeq, ActorRef<SessionEvent> inbox, ActorRef<?> session)
      implements Command {}

  public record Unsubscribe(ActorRef<SessionEvent> inbox) implements Command {}

  /** The resolved state, read by the entity so it is never stale across an acknowledged write. */
  public record GetView(ActorRef<View> replyTo) implements Command {}

  public record View(
      String merchantId,
      long headSeq,
      List<io.lockstep.protocol.v1.Item> items,
      List<io.lockstep.protocol.v1.Order> orders,
      List<io.lockstep.protocol.v1.Conflict> conflicts)
      implements TransientMessage {
    public View {
      items = List.copyOf(items);
      orders = List.copyOf(orders);
      conflicts = List.copyOf(conflicts);
    }
  }

  /** The merchant's devices: every device that wrote or is subscribed. */
  public record GetDevices(ActorRef<Devices> replyTo) implements Command {}

  public record Devices(String merchantId, List<DeviceStatus> devices) implements TransientMessage {
    public Devices {
      devices = List.copyOf(devices);
    }
  }

  /**
   * Bookkeeping of one device. {@code lastDeliveredSeq} is what its session last reported
   * (heartbeat), so it may trail by one heartbeat; 0 with {@code connectedSinceMillis} 0 when
   * unknown since the entity started.
   */
  public record DeviceStatus(
      String deviceId,
      boolean connected,
      long lastAckedCounter,
      long lastDeliveredSeq,
      long connectedSinceMillis,
      String node)
      implements TransientMessage {}

  /** Passivation and hand-off. */
  public enum Stop implements Command { INSTANCE }

  private enum Flush implements Command { INSTANCE }

  private enum IdleCheck implements Command { INSTANCE }

  private record SubscriberStopped(ActorRef<SessionEvent> inbox) implements Command {}

  /** What a subscribed session (or a pusher) receives, in the order the entity sent it. */
  public sealed interface SessionEvent extends TransientMessage {}

  public record PushResult(List<Ack> acks) implements SessionEvent {
    public PushResult {
      acks = List.copyOf(acks);
    }
  }

  /**
   * The merchant did not take the {@code sequence}-th push of a session, nor will it take the
   * session's later ones, because an earlier push may be missing. The session resends its pushes
   * from {@code sequence} once every earlier one is answered (see {@link PushSequences}).
   */
  public record OutOfSequence(long sequence) implements SessionEvent {
    public static final String CODE = "out-of-sequence";
  }

  /**
   * A push the merchant did not take: {@code busy} (its buffer or stash is full) or
   * {@code unavailable} (its journal writes keep failing). Nothing of the push is stored; the
   * writer resends it after {@code retryAfter}.
   */
  public record Refused(String code, String message, java.time.Duration retryAfter) implements SessionEvent {
    public static final String BUSY = "busy";
    public static final String UNAVAILABLE = "unavailable";

    public Refused {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(retryAfter, "retryAfter");
    }

    /** The answer to a push that found the merchant's buffer full. */
    public static Refused busy(java.time.Duration retryAfter) {
      return new Refused(BUSY, "the merchant is at capacity; retry after " + retryAfter.toMillis() + " ms", retryAfter);
    }
  }

  /**
   * Catch-up the session reads from the journal itself ({@code fromSeq..toSeq}, both committed):
   * the range is too old for the window but not so large that a snapshot is cheaper. Frames for
   * later seqs follow this message, so the session delivers the range first.
   */
  public record CatchUpFromJournal(long fromSeq, long toSeq) implements SessionEvent {}

  /** Answer to {@link Subscribe}; catch-up {@link Frame}s follow, then live ones. */
  public record Subscribed(String merchantId, long headSeq, long lastCounter) implements SessionEvent {}

  /**
   * An encoded {@link ServerFrame}: changes {@code firstSeq..lastSeq}, or a snapshot chunk at
   * {@code lastSeq}. Encoded once, the same bytes go to every subscriber.
   */
  public record Frame(Kind kind, long firstSeq, long lastSeq, byte[] serverFrame) implements SessionEvent {
    public enum Kind { CHANGES, SNAPSHOT_CHUNK, SNAPSHOT_LAST }

    @Override
    public boolean equals(Object other) {
      return other instanceof Frame f && kind == f.kind && firstSeq == f.firstSeq && lastSeq == f.lastSeq
          && java.util.Arrays.equals(serverFrame, f.serverFrame);
    }

    @Override
    public int hashCode() {
      return Objects.hash(kind, firstSeq, lastSeq) * 31 + java.util.Arrays.hashCode(serverFrame);
    }

    @Override
    public String toString() {
      return "Frame[" + kind + ", " + firstSeq + ".." + lastSeq + ", " + serverFrame.length + " bytes]";
    }
  }

  /** Stored by the journal. */
  public sealed interface Event extends StoredEvent {}

  /** One stored mutation; see {@code proto/lockstep/storage/v1/events.proto}. */
  public record Recorded(MutationRecorded proto) implements Event {
    public Recorded {
      Objects.requireNonNull(proto, "proto");
    }
  }

  // ---- construction --------------------------------------------------------------------------

  /** Registers the entity type with Cluster Sharding on this node. */
  public static void init(ActorSystem<?> system, EntitySettings settings, MerchantObserver observer) {
    init(system, settings, observer, Optional.empty());
  }

  /** {@link #init(ActorSystem, EntitySettings, MerchantObserver)}, shards placed by {@code allocation} when given. */
  public static void init(ActorSystem<?> system, EntitySettings settings, MerchantObserver observer,
      Optional<ShardCoordinator.ShardAllocationStrategy> allocation) {
    StashOverflowGuard.start(system, settings.busyRetryAfter(), observer);
    var entity = Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings, observer, Optional.of(ctx.getShard())))
        .withStopMessage(Stop.INSTANCE);
    ClusterSharding.get(system).init(allocation.map(entity::withAllocationStrategy).orElse(entity));
  }

  /** The entity outside sharding (tests): it never passivates itself. */
  public static Behavior<Command> create(String merchantId, EntitySettings settings) {
    return create(merchantId, settings, MergeRules.DOMAIN);
  }

  /** {@link #create(String, EntitySettings)} deciding with {@code rules} (tests of rule failures). */
  static Behavior<Command> create(String merchantId, EntitySettings settings, MergeRules rules) {
    return create(merchantId, settings, MerchantObserver.NONE, Optional.empty(), rules);
  }

  private static Behavior<Command> create(
      String merchantId,
      EntitySettings settings,
      MerchantObserver observer,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return create(merchantId, settings, observer, shard, MergeRules.DOMAIN);
  }

  private static Behavior<Command> create(
      String merchantId,
      EntitySettings settings,
      MerchantObserver observer,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      MergeRules rules) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(IdleCheck.INSTANCE, settings.passivationIdleTimeout().dividedBy(2));
      return new MerchantEntity(ctx, merchantId, settings, observer, shard, Clock.systemUTC(), rules);
    }));
  }

  /** How the entity decides a mutation: the domain's merge rules, {@link MerchantState#apply}. */
  @FunctionalInterface
  interface MergeRules {
    MergeRules DOMAIN = (state, seq, mutation) -> state.apply(seq, mutation);

    Outcome apply(MerchantState state, long seq, Mutation mutation);
  }

  public static PersistenceId persistenceId(String merchantId) {
    return PersistenceId.of(ENTITY_KEY.name(), merchantId);
  }

  private final ActorContext<Command> context;
  private final String merchantId;
  private final EntitySettings settings;
  private final Clock clock;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final ChangeWindow window;
  private final Map<ActorRef<SessionEvent>, Subscription> subscribers = new HashMap<>();
  private final Map<String, Long> lastDeliveredByDevice = new HashMap<>();
  private final Map<String, PushResult> answeredKeys;
  private final Map<String, List<ActorRef<SessionEvent>>> keysInFlight = new HashMap<>();
  private final MerchantObserver observer;
  private final MergeRules rules;
  private final PushSequences sequences = new PushSequences();
  private final List<Push> buffer = new ArrayList<>();
  private int bufferedMutations;
  // The batch whose journal write is in flight, and how often it failed: after a failed write the
  // restarted entity writes it again rather than leave its writers waiting for a timeout.
  private List<Push> writing = List.of();
  private int failedAttempts;
  // The states the command handler resolved for the events being persisted, by seq, so the event
  // handler takes them instead of running the merge rules a second time. Empty on replay.
  private final java.util.ArrayDeque<MerchantState> resolvedAhead = new java.util.ArrayDeque<>();
  private boolean flushScheduled;
  private long lastActivityNanos = System.nanoTime();

  private record Subscription(String deviceId, long connectedSinceMillis, long lastDeliveredSeq, String node) {}

  private MerchantEntity(
      ActorContext<Command> context,
      String merchantId,
      EntitySettings settings,
      MerchantObserver observer,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      Clock clock,
      MergeRules rules) {
    super(
        persistenceId(merchantId),
        SupervisorStrategy.restartWithBackoff(settings.restartMinBackoff(), settings.restartMaxBackoff(), 0.2));
    this.context = context;
    this.merchantId = merchantId;
    this.settings = settings;
    this.clock = clock;
    this.shard = shard;
    this.observer = observer;
    this.rules = rules;
    this.answeredKeys = lruMap(settings.idempotencyKeys());
    this.window = new ChangeWindow(settings.changeWindowSize());
  }

  private static <V> Map<String, V> lruMap(int capacity) {
    return new java.util.LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > capacity;
      }
    };
  }

  @Override
  public MerchantState emptyState() {
    return MerchantState.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events are kept: the journal is the change feed for devices behind the window.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public SignalHandler<MerchantState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted)
        .onSignal(org.apache.pekko.actor.typed.PostStop.instance(), state -> observer.stopped(merchantId))
        .build();
  }

  private void onRecoveryCompleted(MerchantState state) {
    // After a failed write restarted us: forget what that write had put in the window, then write
    // its pushes again, ahead of those buffered behind it. A write that did commit despite the
    // failure is in the recovered state, so its mutations now resolve as duplicates.
    window.truncateAfter(state.headSeq());
    resolvedAhead.clear();
    flushScheduled = false;
    if (!writing.isEmpty()) retryFailedWrite();
    observer.started(merchantId, state.headSeq());
  }

  private void retryFailedWrite() {
    List<Push> retry = new ArrayList<>(writing);
    retry.addAll(buffer);
    writing = List.of();
    buffer.clear();
    bufferedMutations = 0;
    failedAttempts++;
    if (failedAttempts >= settings.maxWriteAttempts()) {
      context.getLog().warn("Merchant {}: journal write failed {} times; {} pushes answered unavailable",
          merchantId, failedAttempts, retry.size());
      failedAttempts = 0;
      Refused refused = new Refused(Refused.UNAVAILABLE,
          "the merchant could not store the push; reconnect and resend", settings.busyRetryAfter());
      retry.forEach(push -> refuse(push, refused));
      return;
    }
    context.getLog().info("Merchant {}: writing {} pushes again after a failed journal write", merchantId, retry.size());
    retry.forEach(this::enqueue);
  }

  // ---- commands ------------------------------------------------------------------------------

  @Override
  public CommandHandlerWithReply<Command, Event, MerchantState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Push.class, this::onPush)
        .onCommand(Flush.class, (state, cmd) -> onFlush(state))
        .onCommand(Subscribe.class, this::onSubscribe)
        .onCommand(Unsubscribe.class, (state, cmd) -> unsubscribe(cmd.inbox()))
        .onCommand(SubscriberStopped.class, (state, cmd) -> unsubscribe(cmd.inbox()))
        .onCommand(Stop.class, (state, cmd) -> onStop())
        .onCommand(IdleCheck.class, (state, cmd) -> onIdleCheck())
        .onCommand(GetView.class, this::onGetView)
        .onCommand(GetDevices.class, this::onGetDevices)
        .build();
  }

  /**
   * Stops, but never with pushes buffered for the next write: their senders would wait for acks
   * that never come. A Flush is already queued (or stashed) for them, so the Stop goes to the back
   * of the mailbox and is handled after that write. During a hand-off sharding buffers new pushes
   * in the region, so this ends.
   */
  private ReplyEffect<Event, MerchantState> onStop() {
    if (!buffer.isEmpty()) {
      context.getSelf().tell(Stop.INSTANCE);
      return Effect().noReply();
    }
    return Effect().stop().thenNoReply();
  }

  /** Passivates only when idle and without subscribers: devices keep their merchant warm. */
  private ReplyEffect<Event, MerchantState> onIdleCheck() {
    boolean idle = System.nanoTime() - lastActivityNanos >= settings.passivationIdleTimeout().toNanos();
    if (idle && subscribers.isEmpty() && buffer.isEmpty()) {
      shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(context.getSelf())));
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, MerchantState> onGetView(MerchantState state, GetView query) {
    View view = new View(
        merchantId,
        state.headSeq(),
        state.items().values().stream().map(DeviceProtocolMapper::toProto).toList(),
        state.orders().values().stream().map(DeviceProtocolMapper::toProto).toList(),
        state.conflicts().stream().map(DeviceProtocolMapper::toProto).toList());
    return Effect().reply(query.replyTo(), view);
  }

  private ReplyEffect<Event, MerchantState> onGetDevices(MerchantState state, GetDevices query) {
    Map<String, DeviceStatus> devices = new java.util.TreeMap<>();
    state.lastCounters().forEach((device, counter) -> devices.put(device,
        new DeviceStatus(device, false, counter, lastDeliveredByDevice.getOrDefault(device, 0L), 0, "")));
    lastDeliveredByDevice.forEach((device, seq) -> devices.putIfAbsent(device,
        new DeviceStatus(device, false, 0, seq, 0, "")));
    for (Subscription sub : subscribers.values()) {
      DeviceStatus known = devices.get(sub.deviceId());
      long since = known != null && known.connected() ? Math.min(known.connectedSinceMillis(), sub.connectedSinceMillis()) : sub.connectedSinceMillis();
      devices.put(sub.deviceId(), new DeviceStatus(sub.deviceId(), true, state.lastCounter(sub.deviceId()),
          Math.max(sub.lastDeliveredSeq(), lastDeliveredByDevice.getOrDefault(sub.deviceId(), 0L)), since, sub.node()));
    }
    return Effect().reply(query.replyTo(), new Devices(merchantId, List.copyOf(devices.values())));
  }

  private ReplyEffect<Event, MerchantState> onPush(MerchantState state, Push push) {
    lastActivityNanos = System.nanoTime();
    switch (sequences.admit(push.replyTo(), push.sequence(), push.answered())) {
      case ADMIT -> { }
      case REFUSE -> {
        // An earlier push of this session may be missing (lost, or answered by an incarnation
        // that moved or restarted): storing this one could let Welcome.last_counter cover it.
        observer.refused(merchantId, OutOfSequence.CODE);
        push.replyTo().tell(new OutOfSequence(push.sequence()));
        return Effect().noReply();
      }
      case IGNORE -> {
        return Effect().noReply(); // covered by the refusal of an earlier push of this session
      }
    }
    if (!push.idempotencyKey().isEmpty()) {
      String key = keyOf(push);
      PushResult answered = answeredKeys.get(key);
      if (answered != null) return Effect().reply(push.replyTo(), answered);
      List<ActorRef<SessionEvent>> waiting = keysInFlight.get(key);
      if (waiting != null) { // the first request with this key is still being written
        waiting.add(push.replyTo());
        return Effect().noReply();
      }
    }
    if (bufferedMutations + push.mutations().size() > settings.maxBufferedMutations()) {
      refuse(push, Refused.busy(settings.busyRetryAfter()));
      sequences.breakOff(push.replyTo()); // the session's later pushes must not overtake this one
      return Effect().noReply();
    }
    if (!push.idempotencyKey().isEmpty()) keysInFlight.put(keyOf(push), new ArrayList<>());
    enqueue(push);
    return Effect().noReply();
  }

  private void enqueue(Push push) {
    buffer.add(push);
    bufferedMutations += push.mutations().size();
    if (!flushScheduled) {
      flushScheduled = true;
      context.getSelf().tell(Flush.INSTANCE);
    }
  }

  /** Answers a push that will not be stored, and whoever waits on its idempotency key. */
  private void refuse(Push push, Refused refused) {
    observer.refused(merchantId, refused.code());
    push.replyTo().tell(refused);
    if (push.idempotencyKey().isEmpty()) return;
    List<ActorRef<SessionEvent>> waiting = keysInFlight.remove(keyOf(push));
    if (waiting != null) waiting.forEach(w -> w.tell(refused));
  }

  /** Resolves every buffered push against the state in arrival order and stores them in one write. */
  private static String keyOf(Push push) {
    return push.deviceId() + '\u0000' + push.idempotencyKey();
  }

  private ReplyEffect<Event, MerchantState> onFlush(MerchantState state) {
    flushScheduled = false;
    if (buffer.isEmpty()) return Effect().noReply();
    List<Push> batch = List.copyOf(buffer);
    buffer.clear();
    bufferedMutations = 0;
    Resolution resolution = resolve(state, batch);
    if (resolution.events().isEmpty()) {
      return Effect().none().thenRun(s -> resolution.replyAll()).thenNoReply();
    }
    long writeStarted = System.nanoTime();
    writing = batch;
    resolvedAhead.addAll(resolution.states());
    return Effect()
        .persist(resolution.events())
        .thenRun(s -> {
          writing = List.of();
          failedAttempts = 0;
          observer.written(merchantId, resolution.events().size(), System.nanoTime() - writeStarted, s.headSeq());
          resolution.replyAll();
          publish(resolution.events(), writeStarted);
        })
        .thenNoReply();
  }

  private Resolution resolve(MerchantState state, List<Push> batch) {
    Resolver resolver = new Resolver(state, rules, clock.millis());
    for (Push push : batch) {
      List<Ack> acks = new ArrayList<>(push.mutations().size());
      for (io.lockstep.protocol.v1.Mutation wire : push.mutations()) {
        acks.add(resolveGuarded(resolver, push, wire));
      }
      PushResult result = new PushResult(acks);
      resolver.replies.add(() -> answer(push, result));
    }
    return new Resolution(List.copyOf(resolver.events), List.copyOf(resolver.states), List.copyOf(resolver.replies));
  }

  /**
   * Resolves one mutation. An exception from the rules or the encoding is a defect of ours, not of
   * the device: that mutation alone is rejected with {@code internal-error} (and logged), the
   * rest of the batch is stored, and the entity does not restart into the same mutation forever.
   */
  private Ack resolveGuarded(Resolver resolver, Push push, io.lockstep.protocol.v1.Mutation wire) {
    try {
      return resolver.resolve(push, wire);
    } catch (InvalidMutationException e) {
      return ack(wire.getCounter(), 0, AckStatus.REJECTED, e.getMessage());
    } catch (RuntimeException e) {
      context.getLog().error("Merchant {}: mutation {} of device {} failed to resolve; rejected as internal-error",
          merchantId, wire.getCounter(), push.deviceId(), e);
      return ack(wire.getCounter(), 0, AckStatus.REJECTED, INTERNAL_ERROR);
    }
  }

  /** The reason of a mutation rejected because resolving it failed on the server. */
  public static final String INTERNAL_ERROR = "internal-error";

  /** Resolves one batch mutation by mutation, keeping the state after each stored one. */
  private static final class Resolver {
    private MerchantState current;
    private final MergeRules rules;
    private final long now;
    private final List<Event> events = new ArrayList<>();
    private final List<MerchantState> states = new ArrayList<>();
    private final List<Runnable> replies = new ArrayList<>();

    Resolver(MerchantState state, MergeRules rules, long now) {
      this.current = state;
      this.rules = rules;
      this.now = now;
    }

    /** Changes nothing unless the whole mutation resolved and encoded. */
    Ack resolve(Push push, io.lockstep.protocol.v1.Mutation wire) {
      Mutation mutation = DeviceProtocolMapper.toDomain(push.deviceId(), push.authority(), wire);
      long seq = current.headSeq() + 1;
      Outcome outcome = rules.apply(current, seq, mutation);
      if (outcome instanceof Outcome.Accepted accepted) {
        store(outcome.state(), recorded(seq, push, wire, AckStatus.ACCEPTED, accepted.record(), accepted.conflict(), now));
        return ack(wire.getCounter(), seq, AckStatus.ACCEPTED, "");
      }
      if (outcome instanceof Outcome.Rejected rejected) {
        if (rejected.conflict().isEmpty()) return ack(wire.getCounter(), 0, AckStatus.REJECTED, rejected.reason());
        // stored for its conflict record
        DomainRecord record = recordOf(outcome.state(), mutation);
        store(outcome.state(), recorded(seq, push, wire, AckStatus.REJECTED, record, rejected.conflict(), now));
        return ack(wire.getCounter(), seq, AckStatus.REJECTED, rejected.reason());
      }
      return ack(wire.getCounter(), 0, AckStatus.DUPLICATE, "");
    }

    private void store(MerchantState next, Event event) {
      events.add(event);
      states.add(next);
      current = next;
    }
  }

  private void answer(Push push, PushResult result) {
    for (Ack ack : result.acks()) observer.acknowledged(merchantId, ack.getStatus(), 1);
    push.replyTo().tell(result);
    if (push.idempotencyKey().isEmpty()) return;
    String key = keyOf(push);
    answeredKeys.put(key, result);
    List<ActorRef<SessionEvent>> waiting = keysInFlight.remove(key);
    if (waiting != null) waiting.forEach(w -> w.tell(result));
  }

  private record Resolution(List<Event> events, List<MerchantState> states, List<Runnable> replies) {
    void replyAll() {
      replies.forEach(Runnable::run);
    }
  }

  private static DomainRecord recordOf(MerchantState state, Mutation mutation) {
    String id = mutation.op().recordId();
    DomainRecord order = state.orders().get(id);
    return order != null ? order : state.items().get(id);
  }

  private static Ack ack(long counter, long seq, AckStatus status, String reason) {
    return Ack.newBuilder().setCounter(counter).setSeq(seq).setStatus(status).setReason(reason).build();
  }

  private static Event recorded(
      long seq,
      Push push,
      io.lockstep.protocol.v1.Mutation wire,
      AckStatus status,
      DomainRecord record,
      Optional<Conflict> conflict,
      long now) {
    MutationRecorded.Builder b =
        MutationRecorded.newBuilder()
            .setSeq(seq)
            .setDeviceId(push.deviceId())
            .setAuthority(push.authority() == Authority.SERVICE ? WriterAuthority.WRITER_SERVICE : WriterAuthority.WRITER_DEVICE)
            .setMutation(wire)
            .setStatus(status)
            .setRecordedAtMillis(now);
    if (record instanceof Item item) b.setItem(DeviceProtocolMapper.toProto(item));
    if (record instanceof Order order) b.setOrder(DeviceProtocolMapper.toProto(order));
    conflict.ifPresent(c -> b.setConflict(DeviceProtocolMapper.toProto(c)));
    return new Recorded(b.build());
  }

  // ---- fan-out and catch-up ------------------------------------------------------------------

  private void publish(List<Event> events, long writeStarted) {
    List<Change> changes = new ArrayList<>(events.size());
    long bytesIn = 0;
    for (Event e : events) {
      MutationRecorded recorded = ((Recorded) e).proto();
      if (recorded.hasConflict()) observer.conflict(merchantId, recorded.getConflict().getRule());
      bytesIn += recorded.getMutation().getSerializedSize(); // memoized: the journal encodes it anyway
      changes.add(ChangeFrames.toChange(recorded));
    }
    if (subscribers.isEmpty()) {
      observer.transferred(merchantId, bytesIn, 0);
      return;
    }
    long bytesOut = 0;
    for (Frame frame : changeFrames(changes)) {
      subscribers.keySet().forEach(s -> s.tell(frame));
      bytesOut += (long) frame.serverFrame().length * subscribers.size();
    }
    observer.fannedOut(merchantId, subscribers.size(), System.nanoTime() - writeStarted);
    observer.transferred(merchantId, bytesIn, bytesOut);
  }

  private ReplyEffect<Event, MerchantState> onSubscribe(MerchantState state, Subscribe cmd) {
    lastActivityNanos = System.nanoTime();
    Subscription previous = subscribers.get(cmd.inbox());
    long since = previous != null ? previous.connectedSinceMillis() : clock.millis();
    subscribers.put(cmd.inbox(), new Subscription(cmd.deviceId(), since, cmd.afterSeq(), nodeOf(cmd.session())));
    lastDeliveredByDevice.merge(cmd.deviceId(), cmd.afterSeq(), Math::max);
    if (previous == null) {
      context.watchWith(cmd.session(), new SubscriberStopped(cmd.inbox()));
      observer.subscribers(merchantId, subscribers.size());
    }
    cmd.inbox().tell(new Subscribed(merchantId, state.headSeq(), state.lastCounter(cmd.deviceId())));
    if (cmd.afterSeq() > state.headSeq()) {
      // The device claims seqs this merchant never stored (a restored database, a reused store):
      // it resets its replica to a snapshot at our head (the session, told by Subscribed, takes it).
      observer.deviceAhead(merchantId);
      snapshotFrames(state).forEach(cmd.inbox()::tell);
      observer.caughtUp(merchantId, 0, true);
    } else {
      catchUp(state, cmd.afterSeq(), cmd.inbox());
    }
    return Effect().noReply();
  }

  /**
   * Sends what a subscriber after {@code afterSeq} missed, cheapest source first: the window; the
   * journal (read by the session) for the part before the window; a snapshot when the device is
   * more than {@code journal-catch-up-limit} behind.
   */
  private void catchUp(MerchantState state, long afterSeq, ActorRef<SessionEvent> inbox) {
    long head = state.headSeq();
    if (afterSeq >= head) return;
    Optional<List<Change>> fromWindow = window.after(afterSeq, head);
    if (fromWindow.isPresent()) {
      changeFrames(fromWindow.get()).forEach(inbox::tell);
      observer.caughtUp(merchantId, fromWindow.get().size(), false);
    } else if (head - afterSeq <= settings.journalCatchUpLimit()) {
      long journalTo = window.firstSeqUpTo(head).orElse(head + 1) - 1;
      inbox.tell(new CatchUpFromJournal(afterSeq + 1, journalTo));
      window.after(journalTo, head).ifPresent(rest -> changeFrames(rest).forEach(inbox::tell));
      observer.caughtUp(merchantId, (int) (head - afterSeq), false);
    } else {
      snapshotFrames(state).forEach(inbox::tell);
      observer.caughtUp(merchantId, 0, true);
    }
  }

  private ReplyEffect<Event, MerchantState> unsubscribe(ActorRef<SessionEvent> inbox) {
    sequences.forget(inbox);
    if (subscribers.remove(inbox) != null) observer.subscribers(merchantId, subscribers.size());
    return Effect().noReply();
  }

  /** The cluster address of the node a session runs on. */
  private String nodeOf(ActorRef<?> session) {
    org.apache.pekko.actor.Address address = session.path().address();
    if (address.hasLocalScope()) address = context.getSystem().address();
    return address.toString();
  }

  private List<Frame> changeFrames(List<Change> changes) {
    return ChangeFrames.changeFrames(changes, settings.changesPerFrame());
  }

  private List<Frame> snapshotFrames(MerchantState state) {
    return ChangeFrames.snapshotFrames(state, settings.recordsPerSnapshotChunk());
  }

  // ---- events --------------------------------------------------------------------------------

  @Override
  public EventHandler<MerchantState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Recorded.class, this::applyRecorded)
        .build();
  }

  private MerchantState applyRecorded(MerchantState state, Recorded event) {
    MutationRecorded proto = event.proto();
    MerchantState resolved = resolvedAhead.peekFirst();
    if (resolved != null && resolved.headSeq() == proto.getSeq()) {
      resolvedAhead.pollFirst();
      window.put(ChangeFrames.toChange(proto));
      return resolved;
    }
    Authority authority = switch (proto.getAuthority()) {
      case WRITER_AUTHORITY_UNSPECIFIED, WRITER_DEVICE -> Authority.DEVICE; // unspecified: written before the field
      case WRITER_SERVICE -> Authority.SERVICE;
      case UNRECOGNIZED -> throw new IllegalArgumentException(
          "event " + proto.getSeq() + ": unknown writer authority " + proto.getAuthorityValue() + " (written by a newer version?)");
    };
    Mutation mutation = DeviceProtocolMapper.toDomain(proto.getDeviceId(), authority, proto.getMutation());
    window.put(ChangeFrames.toChange(proto));
    return rules.apply(state, proto.getSeq(), mutation).state();
  }
}
