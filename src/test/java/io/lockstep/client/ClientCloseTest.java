package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link LockstepClient#close()} waits for, whoever calls it. */
class ClientCloseTest {

  @TempDir Path dir;

  @Test
  void closeWaitsForTheListenerEvenFromAThreadThatLooksLikeAListenerThread() throws Exception {
    CountDownLatch inListener = new CountDownLatch(1);
    AtomicBoolean listenerDone = new AtomicBoolean();
    LockstepClient till = LockstepClient.builder()
        .serverUri(URI.create("ws://127.0.0.1:9/v1/devices/ws")) // refused: the state changes at once
        .deviceId("till")
        .token(() -> "unused")
        .storePath(dir.resolve("till.store"))
        .listener(new ClientListener() {
          @Override
          public void onConnectionState(ConnectionState state, String detail) {
            if (inListener.getCount() == 0) return;
            inListener.countDown();
            try {
              Thread.sleep(500);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            listenerDone.set(true);
          }
        })
        .build();
    till.start();
    assertTrue(inListener.await(10, TimeUnit.SECONDS), "no listener call");
    // Another client's listener thread (or any thread so named) is not this client's listener:
    // close must not take it for its own and return before the listener call ended.
    AtomicBoolean doneWhenClosed = new AtomicBoolean();
    Thread other = new Thread(() -> {
      till.close();
      doneWhenClosed.set(listenerDone.get());
    }, "lockstep-client-other-listener");
    other.start();
    other.join(20_000);
    assertTrue(doneWhenClosed.get(), "close() returned while the listener was still running");
  }
}
