package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pipes and queues with the other end on "another machine": a JVM started here but not as a child
 * ({@link RemotePeerMain}), which reaches the context only over Pekko remoting (Artery TCP on the
 * loopback interface), with the same API.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RemotePipeQueueTest extends ServingContextTests {
  private static final Duration ITEM_WITHIN = Duration.ofSeconds(30);

  @Test
  void itemsMessagesAndTravellingEndsGoBothWaysInOrderAndNothingPutBeforeExitIsLost() throws Exception {
    Queue<Object> in = mp.queue();
    Queue<Object> out = mp.queue();
    Queue<Object> bounded = mp.queue(2);
    Pipe<Object> pipe = mp.pipe();
    Pipe<Object> travelling = mp.pipe(false);
    mp.publish("in", in);
    mp.publish("out", out);
    mp.publish("bounded", bounded);
    mp.publish("end", pipe.conn2());
    startPeer("trade");

    // Ordered, small and large: 3 MiB spans many relay chunks, 20 MiB more than the relay's window.
    List<Object> sent = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      sent.add("item " + i);
    }
    sent.add(randomBytes(3 << 20, 1));
    sent.add(randomBytes(20 << 20, 2));
    // The size issue 5 asks of every path, there and back across "machines".
    sent.add(randomBytes(256 << 20, 3));
    sent.add(List.of("a", 1, 2.5));
    for (Object item : sent) {
      in.put(item);
    }
    in.put("STOP");
    for (Object expected : sent) {
      Object echoed = out.get(ITEM_WITHIN);
      if (expected instanceof byte[] bytes) {
        assertArrayEquals(bytes, (byte[]) echoed);
      } else {
        assertEquals(expected, echoed);
      }
    }

    pipe.conn1().send("hello");
    assertTrue(pipe.conn1().poll(ITEM_WITHIN), "the remote end answered");
    assertEquals(List.of("tuple", "hello", 42), pipe.conn1().recv());
    in.put(travelling.conn2());
    assertTrue(travelling.conn1().poll(ITEM_WITHIN), "the travelled end's message arrived");
    assertEquals("sent on an end that travelled inside a queue item", travelling.conn1().recv());

    assertEquals("full after 2", out.get(ITEM_WITHIN));
    assertEquals(List.of("held 0", "held 1"), List.of(bounded.get(), bounded.get()), "nothing was put past maxsize");
    assertEquals("put went through", out.get(ITEM_WITHIN));
    assertEquals("put once there was room", bounded.get(ITEM_WITHIN));

    pipe.conn1().close();
    assertEquals("end of file", out.get(ITEM_WITHIN));
    for (int i = 0; i < 1000; i++) {
      assertEquals(i, out.get(ITEM_WITHIN), "item " + i + " put just before the remote JVM exited");
    }
    assertTrue(peer.waitFor(30, TimeUnit.SECONDS), "the remote JVM exits once its main returns");
    assertEquals(0, peer.exitValue(), Files.readString(dir.resolve("peer.log")));
    // in, out, end, the travelled end, bounded: each went over remoting, not this host's socket.
    assertEquals(5, mp.remoteSessionsOpened());
  }

  @Test
  void whatARemoteJvmSentOnSeveralHandlesJustBeforeExitingArrivesAndItsPipeEndThenCloses() throws Exception {
    Queue<Object> in = mp.queue();
    Queue<Object> big = mp.queue();
    Queue<Object> small = mp.queue();
    Pipe<Object> pipe = mp.pipe();
    mp.publish("in", in);
    mp.publish("big", big);
    mp.publish("small", small);
    mp.publish("end", pipe.conn2());
    startPeer("exit-after-traffic");
    assertEquals("looked up", small.get(ITEM_WITHIN));
    pipe.conn2().close();
    in.put("go");

    for (int i = 0; i < RemotePeerMain.EXIT_SMALL_ITEMS; i++) {
      assertEquals(i, small.get(ITEM_WITHIN));
      assertTrue(pipe.conn1().poll(ITEM_WITHIN), "message " + i + " on the pipe");
      assertEquals(i, pipe.conn1().recv());
    }
    for (int i = 0; i < RemotePeerMain.EXIT_BIG_ITEMS; i++) {
      assertArrayEquals(RemoteFlowScenarios.filled(i), (byte[]) big.get(ITEM_WITHIN), "large item " + i);
      assertTrue(pipe.conn1().poll(ITEM_WITHIN), "large message " + i + " on the pipe");
      assertArrayEquals(RemoteFlowScenarios.filled(i), pipe.conn1().recvBytes(), "large message " + i);
    }
    assertTrue(peer.waitFor(30, TimeUnit.SECONDS), "the remote JVM exits once its main returns");
    assertEquals(0, peer.exitValue(), Files.readString(dir.resolve("peer.log")));
    assertTrue(pipe.conn1().poll(ITEM_WITHIN), "end of file is readable once the only other holder exited");
    assertThrows(PipeClosedException.class, () -> pipe.conn1().recv());
  }

  @Test
  void aRemoteConsumerKilledHoldingATaskGivesItBackSoJoinReturns() throws Exception {
    JoinableQueue<Object> tasks = mp.joinableQueue();
    Queue<Object> out = mp.queue();
    mp.publish("tasks", tasks);
    mp.publish("out", out);
    tasks.put("task 1");
    startPeer("hold-an-item");
    assertEquals("holding task 1", out.get(ITEM_WITHIN));

    long killedAt = System.nanoTime();
    peer.destroyForcibly();
    assertEquals("task 1", tasks.get(ITEM_WITHIN), "the killed JVM's unfinished task is back in the queue");
    System.err.println("[measure] remote consumer SIGKILL -> its task back: "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt) + " ms");
    tasks.taskDone();
    tasks.join();
  }

  @Test
  void aWrongAuthkeyOrAnUnknownNameIsRefusedAtTheCall() {
    mp.publish("jobs", mp.queue());
    String address = mp.remoteAddress();
    try (RemoteContext stranger = Multiprocessing.connect(address, "not the key".getBytes(StandardCharsets.UTF_8))) {
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> stranger.lookup("jobs"));
      assertTrue(refused.getMessage().contains("authkey is wrong"), refused.getMessage());
    }
    try (RemoteContext friend = Multiprocessing.connect(address, mp.authkey())) {
      IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> friend.lookup("nope"));
      assertTrue(unknown.getMessage().contains("nothing is published as 'nope'"), unknown.getMessage());
    }
  }

  @Test
  void connectingWhereNothingListensFailsAtOnce() throws Exception {
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    long startedAt = System.nanoTime();
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> Multiprocessing.connect("127.0.0.1:" + port, mp.authkey()));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
    assertTrue(refused.getMessage().contains("127.0.0.1:" + port), refused.getMessage());
    assertTrue(tookMillis < 5_000, "refused after " + tookMillis + " ms, not after the gateway's answer timed out");
    IllegalStateException unknown = assertThrows(IllegalStateException.class,
        () -> Multiprocessing.connect("no-such-host.invalid:25520", mp.authkey()));
    assertTrue(unknown.getMessage().contains("UnknownHostException"), unknown.getMessage());
  }

  @Test
  void servingOnAPortThatIsTakenFailsAtTheCall() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      IllegalStateException refused = assertThrows(IllegalStateException.class,
          () -> Multiprocessing.create(RemoteOptions.listen("127.0.0.1", taken.getLocalPort())));
      assertTrue(refused.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), refused.getMessage());
    }
  }

  @Test
  void publishingIsCheckedAtTheCall() throws Exception {
    Queue<Object> queue = mp.queue();
    mp.publish("q", queue);
    assertThrows(IllegalArgumentException.class, () -> mp.publish("q", mp.queue()), "a name is published once");
    assertThrows(IllegalArgumentException.class, () -> mp.publish(" ", queue));
    assertThrows(IllegalArgumentException.class, () -> mp.publish("value", "not a handle"));
    assertThrows(IllegalArgumentException.class, () -> Multiprocessing.connect("no-port", mp.authkey()));
    assertThrows(IllegalArgumentException.class, () -> Multiprocessing.connect("host:0", mp.authkey()));
    try (Multiprocessing local = Multiprocessing.create()) {
      IllegalStateException notServing = assertThrows(IllegalStateException.class,
          () -> local.publish("q", local.queue()));
      assertTrue(notServing.getMessage().contains("RemoteOptions"), notServing.getMessage());
    }
  }

  private void startPeer(String scenario) throws IOException {
    peer = RemotePeers.start(mp, dir.resolve("peer.log"), scenario);
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
