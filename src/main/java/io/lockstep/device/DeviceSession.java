package io.lockstep.device;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lockstep.config.DeviceSettings;
import io.lockstep.config.LimitSettings;
import io.lockstep.merchant.MerchantEntity;
import io.lockstep.merchant.MerchantEntity.CatchUpFromJournal;
import io.lockstep.merchant.MerchantEntity.Frame;
import io.lockstep.merchant.MerchantEntity.PushResult;
import io.lockstep.merchant.MerchantEntity.SessionEvent;
import io.lockstep.merchant.MerchantEntity.Subscribed;
import io.lockstep.protocol.v1.Acks;
import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Error;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.Pong;
import io.lockstep.protocol.v1.Push;
import io.lockstep.protocol.v1.ServerFrame;
import io.lockstep.protocol.v1.Welcome;
import io.lockstep.security.DevicePrincipal;
import io.lockstep.security.InvalidTokenException;
import io.lockstep.security.PushRateLimiter;
import io.lockstep.security.TokenService;
import io.lockstep.security.VerifiedToken;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * One device connection: authenticates the device, subscribes it to its merchant, forwards its
 * pushes and writes acks and changes back, in seq order, without gaps or repeats.
 *
 * <pre>
 *  state        on                         does
 *  awaitHello   Hello (valid token)        Subscribe to the token's merchant   -> subscribing
 *               revoked device             Error revoked, close
 *               anything else / timeout    Error, close
 *  subscribing  Subscribed                 Welcome, then catch-up frames       -> running
 *  running      Push                       forward to the entity (bounded in flight)
 *               Applied                    tell the entity's sync barrier when it advances
 *               PushResult                 one Ack frame per mutation
 *               Frame                      forward what is after the last delivered seq
 *               heartbeat                  re-Subscribe from the last delivered seq
 *  any state    token expiry               Error token-expired, close
 *               Revoked / Replaced         Error revoked / replaced, close
 * </pre>
 *
 * <p>The session is pinned to the merchant and device of its token, whatever a frame says. It
 * never blocks the entity: when its outgoing buffer is full it sends {@code resync} and closes;
 * the device reconnects from its last applied seq.
 */
public final class DeviceSession {

  /** What the session actor receives. */
  public sealed interface Command {}

  /** A frame read from the socket; running {@code release} lets the socket read on (backpressure). */
  record Inbound(Received frame, Runnable release) implements Command {}

  enum StreamClosed implements Command { INSTANCE }

  record StreamFailed(Throwable cause) implements Command {}

  private record FromEntity(SessionEvent event) implements Command {}

  private enum Tick implements Command { INSTANCE }

  /** The push at the head of the device's queue went unanswered for {@code request-timeout}. */
  private enum PushTimedOut implements Command { INSTANCE }

  private enum TokenExpired implements Command { INSTANCE }

  /** The device was revoked while connected. */
  enum Revoked implements Command { INSTANCE }

  /** A newer session of the same device took this one's place. */
  enum Replaced implements Command { INSTANCE }

  /** A WebSocket message after reading it whole, or why it could not be. */
  sealed interface Received {
    record Binary(byte[] bytes) implements Received {}

    record Text() implements Received {}

    record TooLarge(int limit) implements Received {}
  }

  public static Behavior<Command> create(
      Outbox out,
      TokenService tokens,
      ClusterSharding sharding,
      DeviceSettings settings,
      SessionGuards guards,
      ConnectionLag lag) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(
            timers -> new DeviceSession(ctx, timers, out, tokens, sharding, settings, guards, lag).awaitHello()));
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Outbox out;
  private final TokenService tokens;
  private final ClusterSharding sharding;
  private final DeviceSettings settings;
  private final LimitSettings limits;
  private final SessionGuards guards;
  private final PushRateLimiter pushRate;
  private final ActorRef<SessionEvent> inbox;
  private final ConnectionLag lag;

  // Set once the device is authenticated.
  private String merchantId;
  private String deviceId;
  private EntityRef<MerchantEntity.Command> merchant;
  private long lastDeliveredSeq;
  private long lastAppliedSeq; // reported by the device (ClientFrame.applied)
  private boolean resetting; // between a Subscribed below lastDeliveredSeq and its snapshot's last chunk
  private long lastInboundNanos = System.nanoTime();
  // Inbound frames that arrived before the subscription, in order: the socket keeps reading up to
  // DeviceChannel.PAUSE_AT unreleased frames, so several can wait here (one field lost all but the last).
  private final java.util.ArrayDeque<Inbound> held = new java.util.ArrayDeque<>();
  // Pushes are forwarded at once (pipelined), numbered: the merchant takes them only when no
  // earlier one can be missing (PushSequences), so a lost push is never overtaken by a later one
  // and Welcome.last_counter can never cover a mutation the server does not hold.
  private final PushPipeline pipeline = new PushPipeline();
  private boolean resentAfterTimeout;
  // The oldest unanswered push is due by this System.nanoTime(). One timer at a time watches it
  // and is re-armed only when it fires early, so a busy session does not start and cancel a
  // timer per push (each left a task in the scheduler for request-timeout).
  private long oldestDueNanos;
  private boolean pushTimerArmed;
  private Instant tokenExpiresAt;

  private static final Duration MAX_TIMER = Duration.ofDays(7);

  private DeviceSession(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Outbox out,
      TokenService tokens,
      ClusterSharding sharding,
      DeviceSettings settings,
      SessionGuards guards,
      ConnectionLag lag) {
    this.context = context;
    this.lag = lag;
    this.timers = timers;
    this.out = out;
    this.tokens = tokens;
    this.sharding = sharding;
    this.settings = settings;
    this.limits = guards.limits();
    this.guards = guards;
    this.pushRate = new PushRateLimiter(limits.maxPushesPerSecond(), System.nanoTime());
    // One adapter for everything the entity sends keeps the entity's send order.
    this.inbox = context.messageAdapter(SessionEvent.class, FromEntity::new);
  }

  // ---- states --------------------------------------------------------------------------------

  private Behavior<Command> awaitHello() {
    timers.startSingleTimer(Tick.INSTANCE, settings.helloTimeout());
    return streamLifecycle()
        .onMessage(Inbound.class, this::onHello)
        .onMessageEquals(Tick.INSTANCE, () -> close("hello-timeout", "no Hello within " + settings.helloTimeout()))
        .build();
  }

  private Behavior<Command> subscribing() {
    timers.startSingleTimer(Tick.INSTANCE, settings.requestTimeout());
    return streamLifecycle()
        .onMessage(Inbound.class, msg -> { held.add(msg); return Behaviors.same(); })
        .onMessage(FromEntity.class, this::onFirstEvent)
        .onMessageEquals(Tick.INSTANCE, () -> close("unavailable", "merchant did not answer; retry later"))
        .build();
  }

  private Behavior<Command> running() {
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.heartbeat());
    return streamLifecycle()
        .onMessage(Inbound.class, this::onInbound)
        .onMessage(FromEntity.class, msg -> onEntityEvent(msg.event()))
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessageEquals(PushTimedOut.INSTANCE, this::onPushTimedOut)
        .build();
  }

  private BehaviorBuilder<Command> streamLifecycle() {
    return Behaviors.<Command>receive(Command.class)
        .onMessageEquals(StreamClosed.INSTANCE, Behaviors::stopped)
        .onMessageEquals(TokenExpired.INSTANCE, this::onTokenExpiry)
        .onMessageEquals(Revoked.INSTANCE, () -> close("revoked", "this device has been revoked"))
        .onMessageEquals(Replaced.INSTANCE, () -> close("replaced", "a newer session of this device replaced this one"))
        .onMessage(StreamFailed.class, msg -> Behaviors.stopped())
        .onSignal(PostStop.class, signal -> {
          if (!closing) out.complete(); // the socket never outlives its session
          if (deviceId != null) guards.live().unregister(merchantId, deviceId, context.getSelf());
          lag.closed();
          return Behaviors.same();
        });
  }

  // ---- hello ---------------------------------------------------------------------------------

  private Behavior<Command> onHello(Inbound msg) {
    ClientFrame frame = decode(msg.frame());
    if (frame == null) return closed();
    if (!frame.hasHello()) return close("expected-hello", "the first frame must be Hello");
    Hello hello = frame.getHello();
    DevicePrincipal principal;
    VerifiedToken verified;
    try {
      verified = tokens.verifyToken(hello.getToken());
      if (!(verified.principal() instanceof DevicePrincipal device)) {
        return close("unauthenticated", "not a device token");
      }
      principal = device;
    } catch (InvalidTokenException e) {
      context.getLog().info("Device authentication failed: {}", e.getMessage());
      return close("unauthenticated", "invalid token: " + e.getMessage());
    }
    if (!hello.getDeviceId().isEmpty() && !hello.getDeviceId().equals(principal.deviceId())) {
      return close("device-mismatch", "Hello.device_id does not match the token");
    }
    merchantId = principal.merchantId();
    deviceId = principal.deviceId();
    lag.identify(merchantId, deviceId);
    // Registered before the check: a revocation loaded in between still reaches this session.
    guards.live().register(merchantId, deviceId, context.getSelf());
    if (guards.revocations().isRevoked(merchantId, deviceId)) {
      return close("revoked", "this device has been revoked");
    }
    tokenExpiresAt = verified.expiresAt().plus(tokens.clockSkew());
    scheduleTokenExpiry();
    lastDeliveredSeq = hello.getAfterSeq();
    lastAppliedSeq = hello.getAfterSeq();
    merchant = sharding.entityRefFor(MerchantEntity.ENTITY_KEY, merchantId);
    subscribe();
    msg.release().run();
    return subscribing();
  }

  /** Closes the session when its token expires, whatever it is doing then. */
  private void scheduleTokenExpiry() {
    // Capped: the scheduler refuses delays of many months; a long-lived token re-arms on firing.
    Duration left = Duration.between(Instant.now(), tokenExpiresAt);
    timers.startSingleTimer(TokenExpired.INSTANCE, TokenExpired.INSTANCE,
        left.compareTo(MAX_TIMER) > 0 ? MAX_TIMER : left.isNegative() ? Duration.ZERO : left);
  }

  private Behavior<Command> onTokenExpiry() {
    if (Instant.now().isBefore(tokenExpiresAt)) {
      scheduleTokenExpiry();
      return Behaviors.same();
    }
    return close("token-expired", "the device token expired; reconnect with a fresh token");
  }

  private void subscribe() {
    merchant.tell(new MerchantEntity.Subscribe(deviceId, lastDeliveredSeq, inbox, context.getSelf()));
  }

  private Behavior<Command> onFirstEvent(FromEntity msg) {
    if (!(msg.event() instanceof Subscribed subscribed)) return Behaviors.same();
    // A device ahead of its merchant (a restored database) gets a snapshot at the head next.
    resetting = subscribed.headSeq() < lastDeliveredSeq;
    if (!send(ServerFrame.newBuilder()
        .setWelcome(Welcome.newBuilder()
            .setMerchantId(subscribed.merchantId())
            .setHeadSeq(subscribed.headSeq())
            .setLastCounter(subscribed.lastCounter()))
        .build())) {
      return closed();
    }
    context.getLog().debug("Device {} of merchant {} subscribed at seq {}", deviceId, merchantId, lastDeliveredSeq);
    Behavior<Command> next = running();
    // Handled here, in their order, before anything still in the mailbox (told to self, they would
    // queue behind frames that arrived after the Subscribed).
    while (!held.isEmpty()) {
      Behavior<Command> after = onInbound(held.poll());
      if (!Behavior.isAlive(after)) return after;
    }
    return next;
  }

  // ---- running -------------------------------------------------------------------------------

  private Behavior<Command> onInbound(Inbound msg) {
    lastInboundNanos = System.nanoTime();
    ClientFrame frame = decode(msg.frame());
    if (frame == null) return closed();
    Behavior<Command> next;
    switch (frame.getFrameCase()) {
      case PUSH -> next = onPush(frame.getPush());
      case PING -> next = send(ServerFrame.newBuilder().setPong(Pong.newBuilder().setNonce(frame.getPing().getNonce())).build())
          ? Behaviors.same() : closed();
      case APPLIED -> next = onApplied(frame.getApplied().getSeq());
      case HELLO -> next = close("protocol-violation", "Hello may only be the first frame");
      default -> next = close("bad-frame", "empty or unknown ClientFrame");
    }
    if (!closing) msg.release().run();
    return next;
  }

  /**
   * The device applied and stored up to {@code seq}: the merchant's sync barrier hears of it when
   * it advances. A device cannot have applied more than this session delivered (or its Hello
   * named), so more counts as what was delivered.
   */
  private Behavior<Command> onApplied(long seq) {
    long applied = Math.min(seq, lastDeliveredSeq);
    if (applied > lastAppliedSeq) {
      lastAppliedSeq = applied;
      lag.applied(applied, System.currentTimeMillis());
      merchant.tell(new MerchantEntity.DeviceApplied(deviceId, applied));
    }
    return Behaviors.same();
  }

  /** Called with a push that passed {@link ClientFrames}' bounds. */
  private Behavior<Command> onPush(Push push) {
    if (push.getMutationsCount() == 0) return Behaviors.same();
    if (!pushRate.tryAcquire(System.nanoTime())) {
      return close("rate-limited",
          "more than " + limits.maxPushesPerSecond() + " pushes per second; reconnect with backoff and resend");
    }
    if (pipeline.inFlight() >= settings.maxPushesInFlight()) {
      return close("too-many-in-flight",
          "at most " + settings.maxPushesInFlight() + " unacknowledged pushes; wait for acks");
    }
    PushPipeline.Forwarded next = pipeline.add(push.getMutationsList());
    if (next != null) forward(List.of(next));
    if (pipeline.inFlight() == 1) {
      oldestDueInRequestTimeout();
      armPushTimer(settings.requestTimeout());
    }
    return Behaviors.same();
  }

  /**
   * The oldest push went unanswered for {@code request-timeout}: it may have been lost on the way
   * (a merchant that moved). Sent again once (with every later one: the merchant's sequence guard
   * and the counters make that safe); a second silence closes the session with {@code unavailable}.
   */
  private Behavior<Command> onPushTimedOut() {
    pushTimerArmed = false;
    if (pipeline.inFlight() == 0) return Behaviors.same();
    long left = oldestDueNanos - System.nanoTime();
    if (left > 0) { // answers came in since the timer was armed: the oldest is due later
      armPushTimer(Duration.ofNanos(left));
      return Behaviors.same();
    }
    if (resentAfterTimeout) {
      return close("unavailable", "merchant did not acknowledge in time; reconnect and resend");
    }
    resentAfterTimeout = true;
    forward(pipeline.resendAll());
    oldestDueInRequestTimeout();
    armPushTimer(settings.requestTimeout());
    return Behaviors.same();
  }

  private void oldestDueInRequestTimeout() {
    oldestDueNanos = System.nanoTime() + settings.requestTimeout().toNanos();
  }

  private void armPushTimer(Duration delay) {
    if (pushTimerArmed) return;
    pushTimerArmed = true;
    timers.startSingleTimer(PushTimedOut.INSTANCE, delay);
  }

  private void forward(List<PushPipeline.Forwarded> pushes) {
    long answered = pipeline.answered();
    for (PushPipeline.Forwarded push : pushes) {
      merchant.tell(MerchantEntity.Push.sequenced(deviceId, push.mutations(), push.sequence(), answered, inbox));
    }
  }

  private Behavior<Command> onEntityEvent(SessionEvent event) {
    if (event instanceof PushResult result) return onPushResult(result);
    if (event instanceof MerchantEntity.Refused refused) return close(refused.code(), refused.message(), refused.retryAfter());
    if (event instanceof MerchantEntity.OutOfSequence refused) { // the merchant moved or restarted
      forward(pipeline.refused(refused.sequence()));
      return Behaviors.same();
    }
    if (event instanceof Frame frame) return onFrame(frame);
    if (event instanceof CatchUpFromJournal range) return onJournalRange(range);
    if (event instanceof Subscribed again && again.headSeq() < lastDeliveredSeq) resetting = true;
    return Behaviors.same(); // Subscribed again: answer to a heartbeat; its frames follow
  }

  private Behavior<Command> onPushResult(PushResult result) {
    if (!pipeline.answersOldest(result.acks())) return Behaviors.same(); // the copy of a push answered already
    resentAfterTimeout = false;
    forward(pipeline.resultForOldest());
    // The oldest unanswered push is due within request-timeout of the previous answer (the armed
    // timer finds the new deadline when it fires).
    if (pipeline.inFlight() > 0) oldestDueInRequestTimeout();
    // One frame per push: a push of hundreds of mutations must not flood the outgoing buffer.
    Acks acks = Acks.newBuilder().addAllAcks(result.acks()).build();
    return send(ServerFrame.newBuilder().setAcks(acks).build()) ? Behaviors.same() : closed();
  }

  private Behavior<Command> onFrame(Frame frame) {
    if (resetting) return onResetFrame(frame);
    switch (frame.kind()) {
      case CHANGES -> {
        if (frame.lastSeq() <= lastDeliveredSeq) return Behaviors.same();
        if (frame.firstSeq() > lastDeliveredSeq + 1) {
          subscribe(); // a gap: the entity restarted or moved; catch up from where we are
          return Behaviors.same();
        }
        byte[] bytes = frame.firstSeq() <= lastDeliveredSeq ? dropDelivered(frame.serverFrame()) : frame.serverFrame();
        if (frame.committedAtMillis() > 0) lag.queued(frame.lastSeq(), frame.committedAtMillis());
        int fresh = (int) (frame.lastSeq() - Math.max(frame.firstSeq(), lastDeliveredSeq + 1) + 1);
        if (!enqueue(frame.committedAtMillis() > 0 ? Outgoing.Frame.live(bytes, frame.committedAtMillis(), fresh)
            : Outgoing.Frame.changes(bytes))) return closed();
        lastDeliveredSeq = frame.lastSeq();
      }
      case SNAPSHOT_CHUNK, SNAPSHOT_LAST -> {
        if (frame.lastSeq() <= lastDeliveredSeq) return Behaviors.same();
        if (!sendBytes(frame.serverFrame())) return closed();
        if (frame.kind() == Frame.Kind.SNAPSHOT_LAST) lastDeliveredSeq = frame.lastSeq();
      }
    }
    return Behaviors.same();
  }

  /** While resetting a device that was ahead: its snapshot passes whatever seq it is at. */
  private Behavior<Command> onResetFrame(Frame frame) {
    if (frame.kind() == Frame.Kind.CHANGES) return Behaviors.same(); // only after the snapshot
    if (!sendBytes(frame.serverFrame())) return closed();
    if (frame.kind() == Frame.Kind.SNAPSHOT_LAST) {
      lastDeliveredSeq = frame.lastSeq();
      resetting = false;
    }
    return Behaviors.same();
  }

  /** Queues a journal range; the socket reads it when its turn comes, before later frames. */
  private Behavior<Command> onJournalRange(CatchUpFromJournal range) {
    if (range.toSeq() <= lastDeliveredSeq) return Behaviors.same();
    if (range.fromSeq() > lastDeliveredSeq + 1) {
      subscribe();
      return Behaviors.same();
    }
    if (!enqueue(new Outgoing.FromJournal(merchantId, lastDeliveredSeq + 1, range.toSeq()))) return closed();
    lastDeliveredSeq = range.toSeq();
    return Behaviors.same();
  }

  private byte[] dropDelivered(byte[] serverFrame) {
    try {
      ServerFrame parsed = ServerFrame.parseFrom(serverFrame);
      var changes = parsed.getChanges().getChangesList().stream().filter(c -> c.getSeq() > lastDeliveredSeq).toList();
      return ServerFrame.newBuilder()
          .setChanges(io.lockstep.protocol.v1.Changes.newBuilder().addAllChanges(changes))
          .build()
          .toByteArray();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("entity sent an undecodable frame", e);
    }
  }

  private Behavior<Command> onTick() {
    if (System.nanoTime() - lastInboundNanos > settings.idleTimeout().toNanos()) {
      return close("idle-timeout", "nothing received for " + settings.idleTimeout() + "; send Ping to keep the session");
    }
    subscribe(); // heartbeat: keeps the entity from passivating, re-subscribes after a restart
    return Behaviors.same();
  }

  // ---- frames --------------------------------------------------------------------------------

  /** Decodes and checks a client frame, or closes the session and returns null. */
  private ClientFrame decode(Received received) {
    if (received instanceof Received.TooLarge tooLarge) {
      close("frame-too-large", "frames are limited to " + tooLarge.limit() + " bytes");
      return null;
    }
    if (received instanceof Received.Text) {
      close("bad-frame", "text frames are not supported; send binary protobuf ClientFrame");
      return null;
    }
    ClientFrames.Decoded decoded = guards.frames().decode(((Received.Binary) received).bytes());
    if (decoded instanceof ClientFrames.Decoded.Refused refused) {
      close(refused.code(), refused.message());
      return null;
    }
    return ((ClientFrames.Decoded.Accepted) decoded).frame();
  }

  private boolean send(ServerFrame frame) {
    return sendBytes(frame.toByteArray());
  }

  private boolean sendBytes(byte[] bytes) {
    return enqueue(Outgoing.Frame.of(bytes));
  }

  /** Queues towards the socket; on a full buffer sends {@code resync} and closes instead. */
  private boolean enqueue(Outgoing outgoing) {
    if (out.size() >= settings.outgoingBufferFrames() - 1) {
      context.getLog().info("Device {} of merchant {} is too slow; closing with resync", deviceId, merchantId);
      close("resync", "device fell behind; reconnect with after_seq = last applied seq");
      return false;
    }
    out.offer(outgoing);
    return true;
  }

  private boolean closing;

  /** Sends an Error frame (using the slot reserved for it) and completes the connection. */
  private Behavior<Command> close(String code, String message) {
    return close(code, message, Duration.ZERO);
  }

  /** {@link #close(String, String)} telling the device how long to wait before it reconnects. */
  private Behavior<Command> close(String code, String message, Duration retryAfter) {
    if (!closing) {
      closing = true;
      Objects.requireNonNull(code);
      if (!"resync".equals(code)) context.getLog().info("Closing device session ({}): {}", code, message);
      Error.Builder frame = Error.newBuilder().setCode(code).setMessage(message).setRetryAfterMillis(retryAfter.toMillis());
      byte[] error = ServerFrame.newBuilder().setError(frame).build().toByteArray();
      out.offer(Outgoing.Frame.of(error));
      out.complete();
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> closed() {
    return Behaviors.stopped();
  }
}
