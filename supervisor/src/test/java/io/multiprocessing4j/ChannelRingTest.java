package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.internal.BlockStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The same-host data path: a child's posts travel through a shared-memory ring, whose file exists only
 * while the broker maps it; posts keep their order with the connection's other calls, large ones are
 * chunked, and the connection remains the path when rings are switched off.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChannelRingTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** The ring files a process created that still have a name. */
  private static List<Path> ringFilesOf(long pid) throws IOException {
    List<Path> found = new ArrayList<>();
    String prefix = BlockStore.FILE_PREFIX + pid + "-ring-";
    try (DirectoryStream<Path> files = Files.newDirectoryStream(BlockStore.defaultDirectory(), prefix + "*")) {
      files.forEach(found::add);
    }
    return found;
  }

  private static byte[] pattern(int size, int seed) {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) (seed + i * 7);
    }
    return bytes;
  }

  /** Child side: small items, a large one (chunked through the ring), more small ones, then a sync. */
  static void postMixed(Queue<Object> q, int small, int large, Event posted, Event mayExit) throws Exception {
    for (int i = 0; i < small; i++) {
      q.put(i);
    }
    q.put(pattern(large, 3));
    for (int i = 0; i < small; i++) {
      q.put("s" + i);
    }
    posted.set();
    mayExit.await(Duration.ofSeconds(60));
  }

  @Test
  void postsFromAChildArriveInOrderAndItsRingLeavesNoFile() throws Exception {
    Queue<Object> q = mp.queue();
    Event posted = mp.event();
    Event mayExit = mp.event();
    int small = 5_000;
    int large = 3 << 20;
    Process producer = mp.process(ChildBody.target(() -> postMixed(q, small, large, posted, mayExit)));
    producer.start();
    assertEquals(0, q.get(PATIENCE));
    assertTrue(posted.await(PATIENCE));
    long pid = producer.pid().orElseThrow();
    assertEquals(List.of(), ringFilesOf(pid), "the ring's file is deleted once the broker mapped it");
    for (int i = 1; i < small; i++) {
      assertEquals(i, q.get(PATIENCE));
    }
    assertArrayEquals(pattern(large, 3), (byte[]) q.get(PATIENCE));
    for (int i = 0; i < small; i++) {
      assertEquals("s" + i, q.get(PATIENCE));
    }
    mayExit.set();
    assertTrue(producer.join(PATIENCE));
    assertEquals(OptionalInt.of(0), producer.exitCode());
    assertEquals(List.of(), ringFilesOf(pid));
  }

  /** Child side: puts consecutive numbers for ever. */
  static void postForever(Queue<Integer> q) throws InterruptedException {
    for (int i = 0; ; i++) {
      q.put(i);
    }
  }

  @Test
  void aKilledProducerLeavesNoRingFileAndWhatArrivedIsIntact() throws Exception {
    Queue<Integer> q = mp.queue();
    Process producer = mp.process(ChildBody.target(() -> postForever(q)));
    producer.start();
    for (int i = 0; i < 20_000; i++) {
      assertEquals(i, q.get(PATIENCE));
    }
    long pid = producer.pid().orElseThrow();
    producer.kill();
    assertTrue(producer.join(PATIENCE));
    int next = 20_000;
    try {
      while (true) {
        assertEquals(next, q.getNowait(), "items a killed producer posted arrive whole and in order");
        next++;
      }
    } catch (QueueEmptyException drained) {
      // Everything it posted before it died was taken.
    }
    assertEquals(List.of(), ringFilesOf(pid));
    q.put(-1);
    assertEquals(-1, q.get(PATIENCE));
  }

  /** The CPU time a blocked get on an empty queue may use in a second: far from a core's second. */
  private static final long IDLE_CPU_LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(150);

  /** The CPU time the calling thread spends in a get that waits {@code millis} on an empty queue. */
  static long cpuOfIdleGet(Queue<?> q, long millis) throws InterruptedException {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadCpuTime();
    try {
      q.get(Duration.ofMillis(millis));
      throw new IllegalStateException("the queue was meant to stay empty");
    } catch (QueueEmptyException expected) {
      return threads.getCurrentThreadCpuTime() - before;
    }
  }

  /** Child side: one put (its rings are open from then on), then its own idle get's CPU time. */
  static void putThenIdle(Queue<Object> q, Queue<Object> idle, Queue<Long> cpu) throws InterruptedException {
    q.put("first");
    cpu.put(cpuOfIdleGet(idle, 1000));
  }

  @Test
  void aGetWaitingOnIdleRingsDoesNotBurnACore() throws Exception {
    Queue<Object> q = mp.queue();
    Queue<Object> idle = mp.queue();
    Queue<Long> cpu = mp.queue();
    Process child = mp.process(ChildBody.target(() -> putThenIdle(q, idle, cpu)));
    child.start();
    assertEquals("first", q.get(PATIENCE));
    long parentCpu = cpuOfIdleGet(q, 1000);
    assertTrue(parentCpu < IDLE_CPU_LIMIT_NANOS, "the parent's idle get used " + parentCpu / 1_000_000 + " ms of CPU");
    long childCpu = cpu.get(PATIENCE);
    assertTrue(childCpu < IDLE_CPU_LIMIT_NANOS, "the child's idle get used " + childCpu / 1_000_000 + " ms of CPU");
    assertTrue(child.join(PATIENCE));
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  /** Child side: sends numbers and a large block, then waits for the parent's word. */
  static void sendThenAwait(Connection<Object> conn, int count, int large) throws Exception {
    for (int i = 0; i < count; i++) {
      conn.send(i);
    }
    conn.sendBytes(pattern(large, 5));
    conn.recv();
  }

  @Test
  void withRingsSwitchedOffPostsTravelOnTheConnection() throws Exception {
    List<String> options = new ArrayList<>(ProcessOptions.DEFAULT_JVM_OPTIONS);
    options.add("-Dmultiprocessing4j.channelRings=false");
    Pipe<Object> pipe = mp.pipe();
    Connection<Object> child = pipe.conn2();
    Process sender = mp.process(ChildBody.target(() -> sendThenAwait(child, 2_000, 1 << 20)),
        ProcessOptions.defaults().withJvmOptions(options));
    sender.start();
    child.close();
    Connection<Object> parent = pipe.conn1();
    for (int i = 0; i < 2_000; i++) {
      assertTrue(parent.poll(PATIENCE));
      assertEquals(i, parent.recv());
    }
    assertTrue(parent.poll(PATIENCE));
    assertArrayEquals(pattern(1 << 20, 5), parent.recvBytes());
    assertEquals(List.of(), ringFilesOf(sender.pid().orElseThrow()));
    parent.send("done");
    assertTrue(sender.join(PATIENCE));
    assertEquals(OptionalInt.of(0), sender.exitCode());
  }
}
