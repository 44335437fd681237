package io.lockstep.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;

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
    LockstepClient till = LockstepClient.open(ClientConfig.builder()
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
        .build());
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

  /**
   * A real socket on the server side, speaking just enough WebSocket (RFC 6455) to accept the
   * upgrade and read frames, and never answering a close: the client must send a close frame
   * with 1000 and then cut the connection itself within its bound.
   */
  @Test
  void closeSendsACloseFrameAndCutsTheSocketWhenTheServerNeverAnswers() throws Exception {
    try (ServerSocket server = new ServerSocket(0)) {
      CompletableFuture<int[]> seen = CompletableFuture.supplyAsync(() -> {
        try (Socket socket = server.accept()) {
          socket.setSoTimeout(10_000);
          DataInputStream in = new DataInputStream(socket.getInputStream());
          String key = null;
          for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            if (line.toLowerCase().startsWith("sec-websocket-key:")) key = line.substring(18).trim();
          }
          String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
              .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
          socket.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          while (true) { // frames until the close
            int opcode = in.readUnsignedByte() & 0x0f;
            byte[] payload = payload(in);
            if (opcode == 0x8) {
              int status = ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
              return new int[] {status, in.read()}; // then EOF (-1) once the client cuts the socket
            }
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      LockstepClient till = LockstepClient.open(ClientConfig.builder()
          .serverUri(URI.create("ws://127.0.0.1:" + server.getLocalPort() + "/v1/devices/ws"))
          .deviceId("till")
          .token(() -> "unused")
          .storePath(dir.resolve("till.store"))
          .build());
      till.start();
      Thread.sleep(300); // the upgrade and the Hello
      till.close();
      int[] result = seen.get(20, TimeUnit.SECONDS);
      assertEquals(1000, result[0], "close status");
      assertEquals(-1, result[1], "the client cut the socket after its bound");
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) throw new IOException("end of stream in the handshake");
      if (b != '\r') line.write(b);
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  private static byte[] payload(DataInputStream in) throws IOException {
    int second = in.readUnsignedByte();
    long length = second & 0x7f;
    if (length == 126) length = in.readUnsignedShort();
    else if (length == 127) length = in.readLong();
    byte[] mask = new byte[4];
    if ((second & 0x80) != 0) in.readFully(mask);
    byte[] payload = new byte[(int) length];
    in.readFully(payload);
    for (int i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
    return payload;
  }
}
