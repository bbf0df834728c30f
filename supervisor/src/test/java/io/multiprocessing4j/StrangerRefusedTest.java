package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.multiprocessing4j.internal.ChannelServer;
import io.multiprocessing4j.internal.ChannelServer.Refusal;
import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.ChallengeResponse;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.proto.RemoteFailure;
import io.multiprocessing4j.proto.RunTarget;
import io.multiprocessing4j.proto.TargetFailed;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Handshake;
import io.multiprocessing4j.wire.Payloads;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Local processes that do not hold the context's secret get nothing acted upon and nothing
 * deserialized: a wrong key, no key, an unknown child id, garbage, an oversized length prefix, and a
 * silent peer are each closed by the server and counted by reason, while legitimate children still
 * connect. The strangers are raw {@link SocketChannel}s on the context's Unix socket.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StrangerRefusedTest {
  private static final Duration HANDSHAKE = Duration.ofMillis(300);
  /** Ids far above what the context hands out, registered as expected children without launching any. */
  private static final long FAKE_CHILD = 1_000_000;

  private final Multiprocessing mp =
      Multiprocessing.create(ProcessSupervisor.Settings.defaults().withHandshakeTimeout(HANDSHAKE));
  private final List<SocketChannel> sockets = new ArrayList<>();

  @BeforeEach
  void resetCanary() {
    DeserializationCanary.deserialized = false;
  }

  @AfterEach
  void closeEverything() throws IOException {
    for (SocketChannel socket : sockets) {
      socket.close();
    }
    mp.close();
  }

  /** Child side: a legitimate child proves it ran by printing its token. */
  static void legitimate(String token) {
    System.out.println("legitimate " + token);
  }

  private ChannelServer server() {
    return mp.channelServer();
  }

  private SocketChannel connect() throws IOException {
    SocketChannel socket = SocketChannel.open(UnixDomainSocketAddress.of(server().socketPath()));
    sockets.add(socket);
    return socket;
  }

  /** A raw client that has connected and read the server's challenge, as any client must first. */
  private record Stranger(SocketChannel socket, FrameChannel<Frame> frames, Challenge challenge) {}

  private Stranger stranger() throws IOException {
    SocketChannel socket = connect();
    FrameChannel<Frame> frames = new FrameChannel<>(socket, Frame.parser(), 1 << 20);
    Challenge challenge = frames.read(Challenge.parser(), 256);
    assertEquals(Handshake.PROTOCOL_VERSION, challenge.getProtocolVersion());
    return new Stranger(socket, frames, challenge);
  }

  /** Registers an expected child as the supervisor does before a launch; admission is recorded. */
  private byte[] expectFakeChild(long id, CompletableFuture<FrameChannel<Frame>> admitted) {
    return server().expect(id, admitted::complete);
  }

  private static Payload canaryPayload() throws IOException {
    return Payloads.javaSerialized(new DeserializationCanary());
  }

  /** Frames that would make the parent decode the canary if it ever read them. */
  private static List<Frame> canaryFrames() throws IOException {
    Payload canary = canaryPayload();
    return List.of(
        Frame.newBuilder().setRunTarget(RunTarget.newBuilder().setTarget(canary)).build(),
        Frame.newBuilder().setTargetFailed(TargetFailed.newBuilder().setExitCode(1)
            .setFailure(RemoteFailure.newBuilder().setException(canary).setStackTrace("fake"))).build());
  }

  /** Sends frames, ignoring a connection the server has already closed. */
  private static void sendQuietly(FrameChannel<Frame> channel, List<Frame> frames) {
    try {
      for (Frame frame : frames) {
        channel.send(frame);
      }
    } catch (IOException closedByServer) {
      // Expected once the server has refused us.
    }
  }

  /**
   * Waits until the server has closed {@code socket} (end-of-file or reset); fails if it sends any
   * byte first or keeps the connection open past {@code timeout}. Returns how long it took.
   */
  private static long awaitClosedByServer(SocketChannel socket, Duration timeout) throws IOException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    socket.configureBlocking(false);
    ByteBuffer buffer = ByteBuffer.allocate(4096);
    try (Selector selector = Selector.open()) {
      socket.register(selector, SelectionKey.OP_READ);
      while (true) {
        int read;
        try {
          read = socket.read(buffer);
        } catch (IOException reset) {
          read = -1;
        }
        if (read < 0) {
          return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
        if (read > 0) {
          fail("the server sent " + read + " bytes to a refused stranger");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail("the server did not close the stranger's connection within " + timeout);
        }
        selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        selector.selectedKeys().clear();
      }
    }
  }

  /**
   * Waits for the refusal counters to reach {@code expected}. The server counts a refusal just after
   * closing the socket, so a stranger can see the close a moment before the count; this spins
   * (yielding, never sleeping) over that gap.
   */
  private void awaitRefusals(Map<Refusal, Long> expected) {
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (!server().refusals().equals(expected)) {
      if (System.nanoTime() > deadline) {
        assertEquals(expected, server().refusals(), "refusals by reason");
      }
      Thread.yield();
    }
  }

  private static Map<Refusal, Long> refusals(Refusal reason, long count) {
    Map<Refusal, Long> expected = new EnumMap<>(Refusal.class);
    for (Refusal refusal : Refusal.values()) {
      expected.put(refusal, refusal == reason ? count : 0L);
    }
    return expected;
  }

  private void assertNothingAdmittedOrDeserialized(CompletableFuture<FrameChannel<Frame>> admitted) {
    assertFalse(admitted.isDone(), "the stranger was admitted");
    assertEquals(0, server().admittedCount());
    assertFalse(DeserializationCanary.deserialized, "a stranger's payload was deserialized");
  }

  @Test
  void canaryDetectsDeserialization() throws Exception {
    // Positive control for the canary the strangers send: decoding it raises the flag.
    Payloads.decode(canaryPayload(), getClass().getClassLoader());
    assertTrue(DeserializationCanary.deserialized);
  }

  @Test
  void rawClientWithTheRightKeyIsAdmitted() throws Exception {
    // Positive control for the stranger harness: the same raw client gets in when it holds the key.
    CompletableFuture<FrameChannel<Frame>> admitted = new CompletableFuture<>();
    byte[] key = expectFakeChild(FAKE_CHILD, admitted);
    Stranger client = stranger();
    client.frames().send(Handshake.respond(client.challenge(), key, FAKE_CHILD, ProcessHandle.current().pid()));

    admitted.get(5, TimeUnit.SECONDS).close();
    assertEquals(1, server().admittedCount());
    assertEquals(refusals(Refusal.WRONG_KEY, 0), server().refusals());
  }

  @Test
  void wrongKeyIsRefusedAndNothingAfterItIsDeserialized() throws Exception {
    CompletableFuture<FrameChannel<Frame>> admitted = new CompletableFuture<>();
    byte[] key = expectFakeChild(FAKE_CHILD, admitted);
    Stranger stranger = stranger();
    byte[] wrongKey = key.clone();
    wrongKey[0] ^= 1;
    stranger.frames().send(Handshake.respond(stranger.challenge(), wrongKey, FAKE_CHILD, ProcessHandle.current().pid()));
    sendQuietly(stranger.frames(), canaryFrames());

    awaitClosedByServer(stranger.socket(), Duration.ofSeconds(5));
    awaitRefusals(refusals(Refusal.WRONG_KEY, 1));
    assertNothingAdmittedOrDeserialized(admitted);
  }

  @Test
  void responseWithoutHmacIsRefused() throws Exception {
    CompletableFuture<FrameChannel<Frame>> admitted = new CompletableFuture<>();
    expectFakeChild(FAKE_CHILD, admitted);
    Stranger stranger = stranger();
    stranger.frames().send(
        ChallengeResponse.newBuilder().setChildId(FAKE_CHILD).setPid(ProcessHandle.current().pid()).build());
    sendQuietly(stranger.frames(), canaryFrames());

    awaitClosedByServer(stranger.socket(), Duration.ofSeconds(5));
    awaitRefusals(refusals(Refusal.WRONG_KEY, 1));
    assertNothingAdmittedOrDeserialized(admitted);
  }

  @Test
  void unknownChildIdIsRefused() throws Exception {
    CompletableFuture<FrameChannel<Frame>> admitted = new CompletableFuture<>();
    byte[] key = expectFakeChild(FAKE_CHILD, admitted);
    Stranger stranger = stranger();
    // A well-formed answer for a child the server does not expect.
    stranger.frames().send(Handshake.respond(stranger.challenge(), key, FAKE_CHILD + 1, ProcessHandle.current().pid()));
    sendQuietly(stranger.frames(), canaryFrames());

    awaitClosedByServer(stranger.socket(), Duration.ofSeconds(5));
    awaitRefusals(refusals(Refusal.UNKNOWN_CHILD, 1));
    assertNothingAdmittedOrDeserialized(admitted);
  }

  @Test
  void garbageBytesAreRefused() throws Exception {
    CompletableFuture<FrameChannel<Frame>> admitted = new CompletableFuture<>();
    expectFakeChild(FAKE_CHILD, admitted);
    // Text: its first four bytes announce a frame far over the response limit.
    SocketChannel text = stranger().socket();
    text.write(ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
    awaitClosedByServer(text, Duration.ofSeconds(5));

    // A small frame whose body is not a valid protobuf message (an unterminated varint).
    SocketChannel malformed = stranger().socket();
    malformed.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 5, -1, -1, -1, -1, -1}));
    awaitClosedByServer(malformed, Duration.ofSeconds(5));

    awaitRefusals(refusals(Refusal.MALFORMED, 2));
    assertNothingAdmittedOrDeserialized(admitted);
  }

  @Test
  void oversizedOrNegativeLengthPrefixIsRefusedBeforeTheBodyIsRead() throws Exception {
    CompletableFuture<FrameChannel<Frame>> admitted = new CompletableFuture<>();
    expectFakeChild(FAKE_CHILD, admitted);
    byte[] canaryFrame = canaryFrames().get(0).toByteArray();

    for (int announced : new int[] {Integer.MAX_VALUE, Handshake.MAX_RESPONSE_BYTES + 1, -1}) {
      SocketChannel socket = stranger().socket();
      ByteBuffer bytes = ByteBuffer.allocate(4 + canaryFrame.length).putInt(announced).put(canaryFrame).flip();
      try {
        socket.write(bytes);
      } catch (IOException closedByServer) {
        // Refused while we were still writing.
      }
      awaitClosedByServer(socket, Duration.ofSeconds(5));
    }

    awaitRefusals(refusals(Refusal.MALFORMED, 3));
    assertNothingAdmittedOrDeserialized(admitted);
  }

  @Test
  void frameSentInPlaceOfTheResponseIsNeverDecoded() throws Exception {
    CompletableFuture<FrameChannel<Frame>> admitted = new CompletableFuture<>();
    expectFakeChild(FAKE_CHILD, admitted);
    Stranger stranger = stranger();
    // A well-formed RunTarget frame carrying the canary, small enough to be read as a (bogus) response.
    Frame runTarget = canaryFrames().get(0);
    assertTrue(runTarget.getSerializedSize() <= Handshake.MAX_RESPONSE_BYTES, "the frame fits the response limit");
    stranger.frames().send(runTarget);
    sendQuietly(stranger.frames(), canaryFrames());

    awaitClosedByServer(stranger.socket(), Duration.ofSeconds(5));
    // Parsed as a ChallengeResponse it names no expected child.
    awaitRefusals(refusals(Refusal.UNKNOWN_CHILD, 1));
    assertNothingAdmittedOrDeserialized(admitted);
  }

  @Test
  void silentPeerIsDroppedAfterTheHandshakeTimeoutWhileALegitimateChildStarts() throws Exception {
    String token = "t" + System.nanoTime();
    try (StdCapture out = StdCapture.stdout()) {
      long t0 = System.nanoTime();
      SocketChannel silent = stranger().socket();
      Process p = mp.process(() -> legitimate(token));
      p.start();

      awaitClosedByServer(silent, Duration.ofSeconds(5));
      long droppedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.err.println("[measure] silent peer dropped after " + droppedMs + " ms (handshake timeout "
          + HANDSHAKE.toMillis() + " ms)");
      assertTrue(droppedMs >= HANDSHAKE.toMillis() - 50, "not dropped before its deadline: " + droppedMs + " ms");

      assertTrue(p.join(Duration.ofSeconds(30)));
      assertEquals(OptionalInt.of(0), p.exitCode());
      out.awaitLine("legitimate " + token, Duration.ofSeconds(1));
      assertEquals(1, server().admittedCount(), "the legitimate child was admitted");
      awaitRefusals(refusals(Refusal.TIMEOUT, 1));
      assertFalse(DeserializationCanary.deserialized);
    }
  }

  @Test
  void legitimateChildConnectsAndRunsWhileASilentPeerHoldsItsConnection() throws Exception {
    // A roomy handshake deadline, so the silent peer is still connected for the child's whole life.
    try (Multiprocessing roomy = Multiprocessing.create(); StdCapture out = StdCapture.stdout()) {
      String token = "t" + System.nanoTime();
      SocketChannel silent = SocketChannel.open(UnixDomainSocketAddress.of(roomy.channelServer().socketPath()));
      sockets.add(silent);
      Process p = roomy.process(() -> legitimate(token));
      p.start();
      assertTrue(p.join(Duration.ofSeconds(30)));

      assertEquals(OptionalInt.of(0), p.exitCode());
      out.awaitLine("legitimate " + token, Duration.ofSeconds(1));
      assertEquals(1, roomy.channelServer().admittedCount());
      silent.configureBlocking(false);
      ByteBuffer buffer = ByteBuffer.allocate(256);
      int read = silent.read(buffer);
      while (read > 0) {
        read = silent.read(buffer);
      }
      assertEquals(0, read, "the silent peer is still connected (the child did not wait for it to be dropped)");
    }
  }
}
