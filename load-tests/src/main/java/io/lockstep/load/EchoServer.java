package io.lockstep.load;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * The network baseline's server: a plain WebSocket echo on the same HTTP stack (Pekko HTTP) and
 * host as Lockstep, without the engine. Run in its own JVM: {@code EchoServer PORT}.
 */
public final class EchoServer {
  private EchoServer() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "echo",
        com.typesafe.config.ConfigFactory.parseString(
            "pekko.loglevel=WARNING\npekko.http.server.idle-timeout=600s\npekko.actor.provider=local")
            .withFallback(com.typesafe.config.ConfigFactory.defaultReference()));
    Flow<Message, Message, ?> echo = Flow.<Message>create();
    Http.get(system).newServerAt("127.0.0.1", port)
        .bind(Directives.path("echo", () -> Directives.handleWebSocketMessages(echo)))
        .toCompletableFuture().join();
    System.out.println("echo ready on " + port);
  }
}
