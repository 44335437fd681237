package io.lockstep.device;

import io.lockstep.config.DeviceSettings;
import io.lockstep.config.EntitySettings;
import io.lockstep.config.LimitSettings;
import io.lockstep.config.SecuritySettings;
import io.lockstep.security.DeviceRevocations;
import io.lockstep.security.TokenService;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSink;
import org.apache.pekko.util.ByteString;

/**
 * The device WebSocket endpoint {@code /v1/devices/ws}: one {@link DeviceSession} per
 * connection, reading whole binary messages up to the configured frame limit with
 * backpressure, writing through a bounded buffer the session owns.
 *
 * <p>A request carrying an {@code Origin} not in {@code lockstep.security.allowed-origins} gets 403
 * before the upgrade (cross-site WebSocket hijacking); requests without {@code Origin} (native
 * devices) pass. Pekko HTTP negotiates no WebSocket extension, so permessage-deflate is off.
 */
public final class DeviceRoutes extends AllDirectives {
  private final ActorSystem<?> system;
  private final TokenService tokens;
  private final ClusterSharding sharding;
  private final DeviceSettings settings;
  private final LimitSettings limits;
  private final JournalCatchUp catchUp;
  private final SecuritySettings security;
  private final SessionGuards guards;
  private final OutgoingCoalescer coalescer;
  private final DeliveryLag lag;

  public DeviceRoutes(
      ActorSystem<?> system,
      TokenService tokens,
      CurrentEventsByPersistenceIdQuery journal,
      DeviceSettings settings,
      EntitySettings entity,
      LimitSettings limits,
      SecuritySettings security,
      DeviceRevocations revocations,
      DeliveryLag lag) {
    this.system = system;
    this.tokens = tokens;
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
    this.limits = limits;
    this.catchUp = new JournalCatchUp(journal, entity.changesPerFrame());
    this.security = security;
    this.guards = SessionGuards.of(limits, revocations);
    this.coalescer = new OutgoingCoalescer(settings.coalesceBytes());
    this.lag = lag;
  }

  public Route route() {
    return path(PathMatchers.segment("v1").slash("devices").slash("ws"),
        () -> optionalHeaderValueByName("Origin", origin -> {
          if (!security.originAllowed(origin)) {
            return complete(HttpResponse.create().withStatus(StatusCodes.FORBIDDEN)
                .withEntity("origin not allowed"));
          }
          return handleWebSocketMessages(connection());
        }));
  }

  private Flow<Message, Message, NotUsed> connection() {
    Pair<BoundedSourceQueue<Outgoing>, Source<Outgoing, NotUsed>> out =
        Source.<Outgoing>queue(settings.outgoingBufferFrames()).preMaterialize(system);
    ConnectionLag connectionLag = new ConnectionLag(lag);
    ActorRef<DeviceSession.Command> session =
        system.systemActorOf(
            DeviceSession.create(out.first(), tokens, sharding, settings, guards, connectionLag),
            "device-session-" + UUID.randomUUID(),
            Props.empty());
    Sink<Message, NotUsed> in =
        Flow.<Message>create()
            .mapAsync(1, this::readWhole)
            .to(ActorSink.actorRefWithBackpressure(
                session,
                (ackTo, frame) -> new DeviceSession.Inbound(frame, ackTo),
                DeviceSession.StreamStarted::new,
                DeviceSession.InboundAck.INSTANCE,
                DeviceSession.StreamClosed.INSTANCE,
                DeviceSession.StreamFailed::new));
    // Not coupled: completing the outgoing side must not cancel the incoming one before the last
    // frame (an Error) is written; the session completes its queue when it stops, and the
    // incoming side ends with the peer's close.
    // batch joins only what waits for a busy socket; flatMapConcat with a parallelism is Pekko's
    // FlattenConcat, which passes a single-element source through without materializing it
    // (the plain flatMapConcat(f) is FlattenMerge, which built a sub-stream per frame).
    return Flow.fromSinkAndSource(in, out.second()
        .batch(settings.outgoingBufferFrames(), coalescer::seed, OutgoingCoalescer.Batch::add)
        .mapConcat(OutgoingCoalescer.Batch::frames)
        .flatMapConcat(1, outgoing -> toMessages(outgoing, connectionLag)));
  }

  private Source<Message, NotUsed> toMessages(Outgoing outgoing, ConnectionLag connectionLag) {
    if (outgoing instanceof Outgoing.Frame frame) {
      connectionLag.written(frame, System.currentTimeMillis());
      return Source.single(BinaryMessage.create(ByteString.fromArrayUnsafe(frame.serverFrame())));
    }
    return catchUp.frames((Outgoing.FromJournal) outgoing);
  }

  /** Reads a possibly streamed message whole, refusing more than the frame limit. */
  private CompletionStage<DeviceSession.Received> readWhole(Message message) {
    int limit = limits.maxFrameBytes();
    if (message.isText()) {
      return message.asTextMessage().getStreamedText().runWith(Sink.ignore(), system)
          .thenApply(done -> new DeviceSession.Received.Text());
    }
    BinaryMessage binary = message.asBinaryMessage();
    if (binary.isStrict()) {
      ByteString data = binary.getStrictData();
      return CompletableFuture.completedFuture(data.size() > limit
          ? new DeviceSession.Received.TooLarge(limit)
          : new DeviceSession.Received.Binary(data));
    }
    return binary.getStreamedData()
        .runFold(ByteString.emptyByteString(), (acc, chunk) -> acc.size() > limit ? acc : acc.concat(chunk), system)
        .thenApply(data -> data.size() > limit
            ? new DeviceSession.Received.TooLarge(limit)
            : new DeviceSession.Received.Binary(data));
  }
}
