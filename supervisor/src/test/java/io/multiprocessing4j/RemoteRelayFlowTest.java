package io.multiprocessing4j;

import static io.multiprocessing4j.RemoteFlowScenarios.BIG;
import static io.multiprocessing4j.RemoteFlowScenarios.BIG_ITEMS;
import static io.multiprocessing4j.RemoteFlowScenarios.ITEMS_PER_STREAM;
import static io.multiprocessing4j.RemoteFlowScenarios.STREAMS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The relay's flow control under load from a JVM standing in for another machine
 * ({@link RemoteFlowScenarios}): nothing lost when many handles stream at once through one Artery send
 * queue, frames whole when several threads use one handle, and no stall when one handle is busy both
 * ways.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RemoteRelayFlowTest extends ServingContextTests {
  private static final Duration WITHIN = Duration.ofSeconds(40);

  /** Artery drops what overflows its send queue: the windows of all sessions together must stay below it. */
  @Test
  void manyHandlesStreamingAtOnceLoseNothing() throws Exception {
    List<Queue<Object>> queues = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      queues.add(mp.queue());
      mp.publish("q" + i, queues.get(i));
    }
    peer = RemotePeers.start(mp, dir.resolve("peer.log"), "many-streams");
    for (int i = 0; i < STREAMS; i++) {
      for (int k = 0; k < ITEMS_PER_STREAM; k++) {
        assertEquals(k, queues.get(i).get(WITHIN), () -> "the stream's items in order, none lost; peer log:\n" + log());
      }
    }
    assertTrue(peer.waitFor(30, TimeUnit.SECONDS), "the remote JVM exits once its main returns");
  }

  /** A frame waiting for the window lets go of no lock another thread's frame could take in between. */
  @Test
  void framesFromTwoThreadsOfOneHandleArriveWhole() throws Exception {
    Pipe<Object> pipe = mp.pipe();
    Queue<Object> out = mp.queue();
    mp.publish("end", pipe.conn2());
    mp.publish("out", out);
    peer = RemotePeers.start(mp, dir.resolve("peer.log"), "two-threads-one-end");
    Thread sender = new Thread(() -> {
      for (int k = 0; k < BIG_ITEMS; k++) {
        pipe.conn1().sendBytes(RemoteFlowScenarios.filled(k));
      }
    });
    sender.start();
    try {
      for (int k = 0; k < BIG_ITEMS; k++) {
        assertTrue(pipe.conn1().poll(WITHIN), () -> "the remote end's messages keep coming; peer log:\n" + log());
        byte[] received = pipe.conn1().recvBytes();
        assertEquals(BIG, received.length);
        assertEquals((byte) k, received[0], "message " + k + ", whole and in order");
        assertEquals((byte) k, received[BIG - 1], "message " + k + ", whole and in order");
      }
      assertEquals("received whole: " + BIG_ITEMS, out.get(WITHIN));
    } finally {
      sender.join(WITHIN.toMillis());
    }
  }

  /**
   * The session writing a put to the broker while the broker writes answers back must still take the
   * acknowledgements that let it relay those answers: else neither side reads, for good.
   */
  @Test
  void oneHandleBusyBothWaysDoesNotStall() throws Exception {
    Queue<Object> queue = mp.queue();
    Queue<Object> out = mp.queue();
    mp.publish("q", queue);
    mp.publish("out", out);
    peer = RemotePeers.start(mp, dir.resolve("peer.log"), "getters-and-putter");
    for (int k = 0; k < BIG_ITEMS; k++) {
      queue.put(new byte[BIG]);
    }
    assertEquals("done", out.get(WITHIN), () -> "every item was got; peer log:\n" + log());
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("peer.log"));
    } catch (java.io.IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
