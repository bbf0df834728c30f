package io.multiprocessing4j.benchmarks;

import static io.multiprocessing4j.benchmarks.Probes.PYTHON_COUNTERPART;
import static io.multiprocessing4j.benchmarks.Probes.detail;
import static io.multiprocessing4j.benchmarks.Probes.exc;
import static io.multiprocessing4j.benchmarks.Probes.out;

import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pipe;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.ChallengeResponse;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Handshake;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code listener_authkey}, as it applies here: Python's probe talks to a {@code Listener} with and
 * without the right authkey. multiprocessing4j has no user-facing listener; what strangers can reach is
 * the context's channel server, a Unix-domain socket in a private directory (mode 0700, so only the
 * same user can connect at all). A "stranger" here is code of the same user on the same host that found
 * the socket and connects to it without being a child of the context: with a wrong key, without a
 * handshake, or silently while a legitimate child connects. Python's
 * {@code Listener(authkey=None) + Client(authkey=...)} has no counterpart (the channel server always
 * authenticates) and is left out.
 */
final class StrangerProbe {
  private StrangerProbe() {}

  /** The id a stranger claims: the first service endpoint (queue, pipe, ...) a context opens. */
  private static final long CLAIMED_ID = (1L << 48) + 1;

  static void listenerAuthkey() throws Exception {
    Multiprocessing mp = Multiprocessing.create();
    try {
      Path socket = channelSocket();
      legitimateChild(mp);
      wrongKey(socket);
      noHandshakeSends(socket);
      silent(socket);
      silentWhileChildConnects(mp, socket);
    } finally {
      Probes.closeBounded(mp);
    }
  }

  /** This JVM's context's socket: {@code <tmpdir>/mp4j-<pid>-.../agents.sock}, as a local stranger would find it. */
  private static Path channelSocket() throws IOException {
    String prefix = "mp4j-" + ProcessHandle.current().pid() + "-";
    try (Stream<Path> dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return dirs.filter(d -> d.getFileName().toString().startsWith(prefix))
          .map(d -> d.resolve("agents.sock")).filter(Files::exists).findFirst()
          .orElseThrow(() -> new IllegalStateException("no channel socket " + prefix + "*/agents.sock"));
    }
  }

  private static SocketChannel connect(Path socket) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    return channel;
  }

  /** Reads until the server closes the connection, at most {@code limit}; "closed after N s" or "open after N s". */
  private static Map<String, Object> awaitClosed(SocketChannel channel, long t0, Duration limit) {
    Probes.Bounded<String> closed = Probes.bounded(() -> {
      ByteBuffer sink = ByteBuffer.allocate(256);
      try {
        while (channel.read(sink) >= 0) {
          sink.clear();
        }
        return "eof";
      } catch (IOException e) {
        return "reset (" + e.getClass().getSimpleName() + ")";
      }
    }, limit);
    double after = Probes.secondsSince(t0);
    return detail("server_closed", closed.ok(), "how", closed.ok() ? closed.value() : "still open", "after_s", after);
  }

  private static void legitimateChild(Multiprocessing mp) throws InterruptedException {
    Pipe<String> pipe = mp.pipe();
    Process child = mp.process(ProbeTargets.helloEcho(pipe.conn2()));
    child.start();
    boolean got = pipe.conn1().poll(Duration.ofSeconds(20));
    String received = got ? pipe.conn1().recv() : null;
    if (got) {
      pipe.conn1().send("echo " + received);
    }
    child.join(Duration.ofSeconds(10));
    Object code = child.exitCode().isPresent() ? child.exitCode().getAsInt() : null;
    child.kill();
    boolean ok = "hello".equals(received) && Integer.valueOf(0).equals(code);
    out("listener_authkey", ok ? "accepted" : "unexpected", detail(
        "what", "a child of the context (its per-child key came on its stdin) sends on a pipe end, gets the echo",
        "parent_received", received, "child_exitcode", code, PYTHON_COUNTERPART, "client right key"),
        "child of the context, its own key");
  }

  private static void wrongKey(Path socket) throws IOException {
    try (SocketChannel channel = connect(socket)) {
      long t0 = System.nanoTime();
      FrameChannel<Challenge> frames = new FrameChannel<>(channel, Challenge.parser(), 1024);
      Challenge challenge = frames.read();
      byte[] wrong = new byte[32];
      new SecureRandom().nextBytes(wrong);
      ChallengeResponse response = Handshake.respond(challenge, wrong, CLAIMED_ID, ProcessHandle.current().pid());
      frames.send(response);
      Map<String, Object> closed = awaitClosed(channel, t0, Duration.ofSeconds(8));
      out("listener_authkey", Boolean.TRUE.equals(closed.get("server_closed")) ? "rejected_connection_closed"
          : "unexpected", detail("stranger", "read the challenge, answered with a well-formed response and a random key",
              "claimed_child_id", CLAIMED_ID, "connection", closed,
              "note", "the stranger learns nothing but that it was closed; nothing it could send was decoded",
              PYTHON_COUNTERPART, "client wrong key"), "stranger, wrong key");
    }
  }

  private static void noHandshakeSends(Path socket) throws IOException {
    try (SocketChannel channel = connect(socket)) {
      long t0 = System.nanoTime();
      channel.write(ByteBuffer.wrap("hello, this is not a handshake\n".getBytes(StandardCharsets.US_ASCII)));
      Map<String, Object> closed = awaitClosed(channel, t0, Duration.ofSeconds(8));
      out("listener_authkey", Boolean.TRUE.equals(closed.get("server_closed"))
          ? "client_connects_then_server_rejects" : "unexpected", detail(
              "stranger", "connects and sends bytes that are no handshake response", "connection", closed,
              PYTHON_COUNTERPART, "client no key (authkey=None), then sends"), "stranger, no handshake, sends");
    }
  }

  private static void silent(Path socket) throws IOException {
    try (SocketChannel channel = connect(socket)) {
      long t0 = System.nanoTime();
      Map<String, Object> closed = awaitClosed(channel, t0, Duration.ofSeconds(10));
      out("listener_authkey", Boolean.TRUE.equals(closed.get("server_closed"))
          ? "silent_client_dropped_at_handshake_deadline" : "silent_client_kept", detail(
              "stranger", "connects and says nothing", "connection", closed,
              "handshake_deadline_s", 5, PYTHON_COUNTERPART, "client no key, silent"), "stranger, silent");
    }
  }

  private static void silentWhileChildConnects(Multiprocessing mp, Path socket) throws Exception {
    List<SocketChannel> strangers = List.of(connect(socket), connect(socket), connect(socket));
    try {
      long t0 = System.nanoTime();
      Pipe<String> pipe = mp.pipe();
      Process child = mp.process(ProbeTargets.helloEcho(pipe.conn2()));
      child.start();
      boolean got = pipe.conn1().poll(Duration.ofSeconds(10));
      double helloAfter = Probes.secondsSince(t0);
      long strangersOpen = strangers.stream().filter(StrangerProbe::stillOpen).count();
      if (got) {
        pipe.conn1().send("echo " + pipe.conn1().recv());
      }
      child.join(Duration.ofSeconds(10));
      child.kill();
      String outcome = !got ? "legit_child_failed" : strangersOpen == strangers.size() ? "no_dos"
          : helloAfter >= 5 ? "inconclusive_child_slower_than_handshake_deadline"
          : "legit_child_waited_for_strangers_to_be_dropped";
      out("listener_authkey", outcome, detail(
          "what", "3 strangers connect and stay silent; then a child starts and talks on a pipe end",
          "child_message_after_s", got ? helloAfter : null, "child_start_included", true,
          "strangers_still_connected_then", strangersOpen,
          PYTHON_COUNTERPART, "raw TCP peer silent + legit client"), "silent strangers + child of the context");
    } finally {
      for (SocketChannel s : strangers) {
        try {
          s.close();
        } catch (IOException e) {
          System.err.println("# closing a stranger: " + exc(e));
        }
      }
    }
  }

  /** True if the server has not closed this connection yet (a non-blocking read sees no end of file). */
  private static boolean stillOpen(SocketChannel channel) {
    try {
      channel.configureBlocking(false);
      ByteBuffer sink = ByteBuffer.allocate(256);
      int n;
      while ((n = channel.read(sink)) > 0) {
        sink.clear();
      }
      return n == 0;
    } catch (IOException e) {
      return false;
    }
  }
}
