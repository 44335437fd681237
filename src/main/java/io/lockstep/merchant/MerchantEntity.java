package io.lockstep.merchant;

import io.lockstep.config.EntitySettings;
import io.lockstep.domain.Authority;
import io.lockstep.domain.MerchantState;
import io.lockstep.domain.Mutation;
import io.lockstep.domain.Outcome;
import io.lockstep.protocol.v1.Ack;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.serialization.DeviceProtocolMapper;
import io.lockstep.serialization.StoredEvent;
import io.lockstep.serialization.TransientMessage;
import io.lockstep.storage.v1.MutationRecorded;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
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
 *  Flush              resolve the whole buffer (Resolver), persist every stored mutation in ONE write;
 *                     after commit: Acks to each pusher, one encoded Changes frame to all
 *  Subscribe          reply Subscribed + catch-up (window, journal or snapshot: CatchUpPlan); then live
 *  Stop               passivate / hand off; with pushes buffered: re-queued behind their Flush
 * </pre>
 *
 * <p>Acknowledgements are sent only after the journal write commits; a failed write restarts the
 * entity with backoff and acknowledges nothing. Subscribers and the buffer are transient.
 * The merchant seq of a stored mutation equals its journal sequence number.
 *
 * <p>The entity decides and persists; its parts, each confined to its actor: {@link Resolver}
 * decides a batch, {@link RecordedEvents} and {@link ChangeFrames} encode for the journal and for
 * devices, {@link CatchUpPlan} picks a subscriber's catch-up source, {@link Subscribers} keeps
 * the sessions and devices, {@link IdempotencyKeys} and {@link PushSequences} guard against a
 * push stored twice or out of order.
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

  /** A subscribed device applied and stored every change up to {@code seq} (sync barrier). */
  public record DeviceApplied(String deviceId, long seq) implements Command {}

  /**
   * Answers when every device that counts has applied {@code seq} (see {@link SyncBarrier}), or
   * after {@code waitMillis} with the barrier as it stands; at once when {@code waitMillis} is 0.
   */
  public record AwaitSync(long seq, long waitMillis, ActorRef<SyncStatus> replyTo) implements Command {}

  /** The sync barrier at {@code seq}; never complete while {@code seq} is above the head. */
  public record SyncStatus(String merchantId, long seq, long headSeq, boolean complete, List<SyncBarrier.Device> devices)
      implements TransientMessage {
    public SyncStatus {
      devices = List.copyOf(devices);
    }
  }

  /** Passivation and hand-off. */
  public enum Stop implements Command { INSTANCE }

  private enum Flush implements Command { INSTANCE }

  private enum IdleCheck implements Command { INSTANCE }

  private record SubscriberStopped(ActorRef<SessionEvent> inbox) implements Command {}

  private record SyncWaitExpired(long waiter) implements Command {}

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
   * {@code lastSeq}. Encoded once, the same bytes go to every subscriber. A live fan-out frame
   * carries the wall-clock time its write committed (sessions measure the delivery lag from it);
   * catch-up frames carry 0.
   */
  public record Frame(Kind kind, long firstSeq, long lastSeq, byte[] serverFrame, long committedAtMillis)
      implements SessionEvent {
    public enum Kind { CHANGES, SNAPSHOT_CHUNK, SNAPSHOT_LAST }

    /** A catch-up frame. */
    public Frame(Kind kind, long firstSeq, long lastSeq, byte[] serverFrame) {
      this(kind, firstSeq, lastSeq, serverFrame, 0);
    }

    /** This frame as sent live, after the write that committed at {@code millis}. */
    public Frame committedAt(long millis) {
      return new Frame(kind, firstSeq, lastSeq, serverFrame, millis);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Frame f && kind == f.kind && firstSeq == f.firstSeq && lastSeq == f.lastSeq
          && committedAtMillis == f.committedAtMillis && java.util.Arrays.equals(serverFrame, f.serverFrame);
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
  public sealed interface Event extends StoredEvent permits Recorded {}

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
  private final Subscribers subscribers;
  private final IdempotencyKeys<ActorRef<SessionEvent>> keys;
  private final MerchantObserver observer;
  private final MergeRules rules;
  private final Resolver resolver;
  private final PushSequences sequences = new PushSequences();
  private final SyncBarrier barrier;
  private final List<Push> buffer = new ArrayList<>();
  private int bufferedMutations;
  // The batch whose journal write is in flight, and how often it failed: after a failed write the
  // restarted entity writes it again rather than leave its writers waiting for a timeout.
  private List<Push> writing = List.of();
  private int failedAttempts;
  // What the command handler resolved for the events being persisted (state and encoded change), by
  // seq, so the event handler takes them instead of running the merge rules and the encoding a
  // second time. Empty on replay.
  private final java.util.ArrayDeque<Resolver.Stored> resolvedAhead = new java.util.ArrayDeque<>();
  private boolean flushScheduled;
  private long lastActivityNanos = System.nanoTime();

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
    this.resolver = new Resolver(merchantId, rules, context::getLog);
    this.keys = new IdempotencyKeys<>(settings.idempotencyKeys());
    this.window = new ChangeWindow(settings.changeWindowSize(), settings.changeWindowBytes());
    this.barrier = new SyncBarrier(settings.syncRecentWindow());
    this.subscribers = new Subscribers(merchantId, observer);
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
    observer.writeFailed(merchantId);
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
        .onCommand(DeviceApplied.class, (state, cmd) -> {
          barrier.seen(cmd.deviceId(), Math.min(cmd.seq(), state.headSeq()), clock.millis());
          return Effect().noReply();
        })
        .onCommand(AwaitSync.class, this::onAwaitSync)
        .onCommand(SyncWaitExpired.class, (state, cmd) -> {
          barrier.expire(cmd.waiter(), clock.millis());
          return Effect().noReply();
        })
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
    barrier.prune(clock.millis());
    if (idle && subscribers.isEmpty() && buffer.isEmpty() && barrier.waiting() == 0) {
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

  private ReplyEffect<Event, MerchantState> onAwaitSync(MerchantState state, AwaitSync query) {
    lastActivityNanos = System.nanoTime();
    long head = state.headSeq();
    if (query.seq() > head || query.waitMillis() == 0) { // above the head no device can have it yet
      SyncBarrier.Status now = barrier.status(query.seq(), clock.millis());
      query.replyTo().tell(syncStatus(now, head, now.complete() && query.seq() <= head));
      return Effect().noReply();
    }
    long waiter = barrier.await(query.seq(), clock.millis(), status -> query.replyTo().tell(syncStatus(status, head, status.complete())));
    if (waiter >= 0) {
      context.scheduleOnce(java.time.Duration.ofMillis(query.waitMillis()), context.getSelf(), new SyncWaitExpired(waiter));
    }
    return Effect().noReply();
  }

  private SyncStatus syncStatus(SyncBarrier.Status status, long head, boolean complete) {
    return new SyncStatus(merchantId, status.seq(), head, complete, status.devices());
  }

  private ReplyEffect<Event, MerchantState> onGetDevices(MerchantState state, GetDevices query) {
    return Effect().reply(query.replyTo(), new Devices(merchantId, subscribers.devices(state)));
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
    Optional<PushResult> answered = keys.answered(push.deviceId(), push.idempotencyKey());
    if (answered.isPresent()) return Effect().reply(push.replyTo(), answered.get());
    if (keys.await(push.deviceId(), push.idempotencyKey(), push.replyTo())) return Effect().noReply();
    if (bufferedMutations + push.mutations().size() > settings.maxBufferedMutations()) {
      refuse(push, Refused.busy(settings.busyRetryAfter()));
      sequences.breakOff(push.replyTo()); // the session's later pushes must not overtake this one
      return Effect().noReply();
    }
    keys.begin(push.deviceId(), push.idempotencyKey());
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
    keys.refuse(push.deviceId(), push.idempotencyKey()).forEach(w -> w.tell(refused));
  }

  /** Resolves every buffered push against the state in arrival order and stores them in one write. */
  private ReplyEffect<Event, MerchantState> onFlush(MerchantState state) {
    flushScheduled = false;
    if (buffer.isEmpty()) return Effect().noReply();
    List<Push> batch = List.copyOf(buffer);
    buffer.clear();
    bufferedMutations = 0;
    Resolver.Resolution resolution = resolver.resolve(state, batch, clock.millis());
    if (resolution.events().isEmpty()) {
      return Effect().none().thenRun(s -> answerAll(resolution)).thenNoReply();
    }
    long writeStarted = System.nanoTime();
    writing = batch;
    resolvedAhead.addAll(resolution.stored());
    return Effect()
        .persist(resolution.events())
        .thenRun(s -> {
          writing = List.of();
          failedAttempts = 0;
          observer.written(merchantId, resolution.events().size(), System.nanoTime() - writeStarted, s.headSeq());
          answerAll(resolution);
          publish(resolution, writeStarted);
        })
        .thenNoReply();
  }

  /** The reason of a mutation rejected because resolving it failed on the server. */
  public static final String INTERNAL_ERROR = "internal-error";

  private void answerAll(Resolver.Resolution resolution) {
    resolution.answers().forEach(a -> answer(a.push(), a.result()));
  }

  private void answer(Push push, PushResult result) {
    for (Ack ack : result.acks()) observer.acknowledged(merchantId, ack.getStatus(), 1);
    push.replyTo().tell(result);
    keys.answer(push.deviceId(), push.idempotencyKey(), result).forEach(w -> w.tell(result));
  }

  // ---- fan-out and catch-up ------------------------------------------------------------------

  private void publish(Resolver.Resolution resolution, long writeStarted) {
    long bytesIn = 0;
    for (Resolver.Stored stored : resolution.stored()) {
      stored.conflictRule().ifPresent(rule -> observer.conflict(merchantId, rule));
      bytesIn += stored.mutationBytes();
    }
    if (subscribers.isEmpty()) {
      observer.transferred(merchantId, bytesIn, 0);
      return;
    }
    long committedAt = clock.millis();
    List<Frame> frames = changeFrames(resolution.changes()).stream().map(frame -> frame.committedAt(committedAt)).toList();
    subscribers.tellAll(frames);
    long bytesOut = 0;
    for (Frame frame : frames) bytesOut += (long) frame.serverFrame().length * subscribers.size();
    observer.fannedOut(merchantId, subscribers.size(), System.nanoTime() - writeStarted);
    observer.transferred(merchantId, bytesIn, bytesOut);
  }

  private ReplyEffect<Event, MerchantState> onSubscribe(MerchantState state, Subscribe cmd) {
    lastActivityNanos = System.nanoTime();
    if (subscribers.subscribe(cmd.inbox(), cmd.deviceId(), cmd.afterSeq(), nodeOf(cmd.session()), clock.millis())) {
      barrier.connected(cmd.deviceId(), Math.min(cmd.afterSeq(), state.headSeq()), clock.millis());
      context.watchWith(cmd.session(), new SubscriberStopped(cmd.inbox()));
    } else {
      barrier.seen(cmd.deviceId(), 0, clock.millis()); // a heartbeat names what was delivered, not applied
    }
    cmd.inbox().tell(new Subscribed(merchantId, state.headSeq(), state.lastCounter(cmd.deviceId())));
    catchUp(state, cmd.afterSeq(), cmd.inbox());
    return Effect().noReply();
  }

  /** Sends what a subscriber after {@code afterSeq} missed, from where {@link CatchUpPlan} says (UpToDate: nothing). */
  private void catchUp(MerchantState state, long afterSeq, ActorRef<SessionEvent> inbox) {
    long head = state.headSeq();
    CatchUpPlan plan = CatchUpPlan.of(afterSeq, head, window.firstSeqUpTo(head).orElse(head + 1), settings.journalCatchUpLimit());
    if (plan instanceof CatchUpPlan.FromWindow) {
      List<ChangeFrames.Encoded> changes = window.after(afterSeq, head).orElseThrow();
      changeFrames(changes).forEach(inbox::tell);
      observer.caughtUp(merchantId, changes.size(), false);
    } else if (plan instanceof CatchUpPlan.JournalThenWindow journal) {
      inbox.tell(new CatchUpFromJournal(journal.fromSeq(), journal.toSeq()));
      window.after(journal.toSeq(), head).ifPresent(rest -> changeFrames(rest).forEach(inbox::tell));
      observer.caughtUp(merchantId, (int) (head - afterSeq), false);
    } else if (plan instanceof CatchUpPlan.Snapshot) {
      sendSnapshot(state, inbox);
    } else if (plan instanceof CatchUpPlan.DeviceAhead) {
      observer.deviceAhead(merchantId);
      sendSnapshot(state, inbox); // the session, told by Subscribed, resets its replica to it
    }
  }

  private void sendSnapshot(MerchantState state, ActorRef<SessionEvent> inbox) {
    snapshotFrames(state).forEach(inbox::tell);
    observer.caughtUp(merchantId, 0, true);
  }

  private ReplyEffect<Event, MerchantState> unsubscribe(ActorRef<SessionEvent> inbox) {
    sequences.forget(inbox);
    subscribers.unsubscribe(inbox).ifPresent(deviceId -> barrier.disconnected(deviceId, clock.millis()));
    return Effect().noReply();
  }

  /** The cluster address of the node a session runs on. */
  private String nodeOf(ActorRef<?> session) {
    org.apache.pekko.actor.Address address = session.path().address();
    if (address.hasLocalScope()) address = context.getSystem().address();
    return address.toString();
  }

  private List<Frame> changeFrames(List<ChangeFrames.Encoded> changes) {
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
    Resolver.Stored resolved = resolvedAhead.peekFirst();
    if (resolved != null && resolved.state().headSeq() == event.seq()) { // resolved here: nothing to decode
      resolvedAhead.pollFirst();
      window.put(resolved.change());
      return resolved.state();
    }
    MutationRecorded proto = event.proto();
    Mutation mutation = RecordedEvents.mutationOf(proto);
    window.put(ChangeFrames.encodeStored(event.bytesForJournal()));
    return rules.apply(state, proto.getSeq(), mutation).state();
  }
}
