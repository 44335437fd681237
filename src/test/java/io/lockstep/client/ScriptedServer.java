package io.lockstep.client;

import io.lockstep.protocol.v1.ClientFrame;
import io.lockstep.protocol.v1.Hello;
import io.lockstep.protocol.v1.ServerFrame;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The server side of the device protocol as a script, for what a real node never sends (records a
 * client cannot read, oversize frames): a WebSocket server on loopback with just enough RFC 6455
 * (handshake, masked client frames, server frames in chosen fragments). Each connection's Hello is
 * recorded and handed to the script with the number of the connection, counting from 0.
 */
final class ScriptedServer implements AutoCloseable {

  /** What the server does when connection {@code n} says Hello. */
  interface Script {
    void onHello(int n, Hello hello, Peer peer) throws IOException;
  }

  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final ServerSocket listener;
  private final Script script;
  private final BlockingQueue<Hello> hellos = new LinkedBlockingQueue<>();
  private volatile boolean closed;
  private int connections;

  ScriptedServer(Script script) throws IOException {
    this.script = script;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "scripted-server-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  URI uri() {
    return URI.create("ws://127.0.0.1:" + listener.getLocalPort() + "/v1/devices/ws");
  }

  /** The Hellos received, in order; take them with a timeout. */
  BlockingQueue<Hello> hellos() {
    return hellos;
  }

  private void accept() {
    while (!closed) {
      try {
        Socket socket = listener.accept();
        int n = connections++;
        Thread peer = new Thread(() -> serve(n, socket), "scripted-server-" + n);
        peer.setDaemon(true);
        peer.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(int n, Socket socket) {
    try (socket) {
      DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      Peer peer = new Peer(socket.getOutputStream());
      peer.handshake(in);
      for (byte[] message = readMessage(in); message != null; message = readMessage(in)) {
        ClientFrame frame = ClientFrame.parseFrom(message);
        if (frame.hasHello()) {
          hellos.add(frame.getHello());
          script.onHello(n, frame.getHello(), peer);
        }
      }
    } catch (IOException e) {
      // The client went away: the end of this connection's script.
    }
  }

  /** The payload of the next binary frame (client frames are never fragmented); null at close. */
  private static byte[] readMessage(DataInputStream in) throws IOException {
    while (true) {
      int opcode = in.readUnsignedByte() & 0x0F;
      int second = in.readUnsignedByte();
      long length = second & 0x7F;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] mask = new byte[4];
      if ((second & 0x80) != 0) {
        in.readFully(mask);
      }
      byte[] payload = new byte[Math.toIntExact(length)];
      in.readFully(payload);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i % 4];
      }
      if (opcode == 0x8) {
        return null;
      }
      if (opcode == 0x2) {
        return payload;
      }
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
  }

  /** One client connection, written to by the script. */
  static final class Peer {
    private final OutputStream out;

    Peer(OutputStream out) {
      this.out = out;
    }

    void handshake(DataInputStream in) throws IOException {
      String key = null;
      for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
        if (line.regionMatches(true, 0, "Sec-WebSocket-Key:", 0, 18)) {
          key = line.substring(18).trim();
        }
      }
      if (key == null) {
        throw new IOException("not a WebSocket upgrade");
      }
      out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Accept: " + accept(key) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }

    /** Sends {@code frame} as one WebSocket message. */
    void send(ServerFrame frame) throws IOException {
      sendFragmented(frame, Integer.MAX_VALUE);
    }

    /** Sends {@code frame} as one WebSocket message in fragments of at most {@code fragmentBytes}. */
    void sendFragmented(ServerFrame frame, int fragmentBytes) throws IOException {
      byte[] bytes = frame.toByteArray();
      int from = 0;
      do {
        int to = (int) Math.min(bytes.length, (long) from + fragmentBytes);
        writeFrame(from == 0 ? 0x2 : 0x0, to == bytes.length, bytes, from, to - from);
        from = to;
      } while (from < bytes.length);
      out.flush();
    }

    private void writeFrame(int opcode, boolean fin, byte[] bytes, int offset, int length)
        throws IOException {
      out.write((fin ? 0x80 : 0) | opcode);
      if (length < 126) {
        out.write(length);
      } else if (length <= 0xFFFF) {
        out.write(126);
        out.write(length >>> 8);
        out.write(length & 0xFF);
      } else {
        out.write(127);
        for (int shift = 56; shift >= 0; shift -= 8) {
          out.write((int) ((long) length >>> shift) & 0xFF);
        }
      }
      out.write(bytes, offset, length);
    }

    private static String readLine(DataInputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) {
          throw new IOException("connection closed during the handshake");
        }
        if (b != '\r') {
          line.append((char) b);
        }
      }
      return line.toString();
    }

    private static String accept(String key) {
      try {
        byte[] sha1 = MessageDigest.getInstance("SHA-1")
            .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
        return Base64.getEncoder().encodeToString(sha1);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-1 is required of every JVM", e);
      }
    }
  }
}
