package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Queue semantics: FIFO, Empty/Full, back pressure, exactly-once delivery, no loss, no deadlock. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class QueueTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  @Test
  void itemsLeaveInTheOrderTheyWerePut() throws Exception {
    Queue<Object> q = mp.queue();
    assertTrue(q.empty());
    q.put("a");
    q.put(2);
    q.put(new byte[] {7});
    q.put(null);
    assertEquals(4, q.qsize());
    assertFalse(q.full());
    assertEquals("a", q.get());
    assertEquals(2, q.get());
    assertArrayEquals(new byte[] {7}, (byte[]) q.get());
    assertEquals(null, q.getNowait());
    assertTrue(q.empty());
  }

  @Test
  void emptyAndFullAfterTheirTimeouts() throws Exception {
    Queue<Integer> q = mp.queue(2);
    assertThrows(QueueEmptyException.class, q::getNowait);
    long start = System.nanoTime();
    assertThrows(QueueEmptyException.class, () -> q.get(Duration.ofMillis(150)));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(150), "waited its timeout");
    q.put(1);
    q.putNowait(2);
    assertTrue(q.full());
    assertThrows(QueueFullException.class, () -> q.putNowait(3));
    start = System.nanoTime();
    assertThrows(QueueFullException.class, () -> q.put(3, Duration.ofMillis(150)));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(150), "waited its timeout");
    assertEquals(1, q.get(Duration.ofSeconds(1)));
    q.put(3, Duration.ofSeconds(1));
    assertEquals(List.of(2, 3), List.of(q.get(), q.get()));
  }

  /** Python's rule, shared with {@code manager.queue(maxsize)}: a maxsize of 0 or less means unbounded. */
  @Test
  void aMaxsizeOfZeroOrLessIsUnbounded() throws Exception {
    for (int maxsize : new int[] {0, -1, Integer.MIN_VALUE}) {
      Queue<Integer> q = mp.queue(maxsize);
      JoinableQueue<Integer> jq = mp.joinableQueue(maxsize);
      for (int i = 0; i < 3; i++) {
        q.putNowait(i);
        jq.putNowait(i);
      }
      assertFalse(q.full(), "maxsize " + maxsize);
      assertEquals(0, q.maxsize(), "maxsize " + maxsize + " reads as unbounded");
      assertEquals(0, jq.maxsize(), "maxsize " + maxsize + " reads as unbounded");
    }
    assertEquals(0, QueueOptions.defaults().withMaxsize(-7).maxsize());
  }

  /**
   * A timeout beyond the scheduler's longest delay (about 248 days) still waits, and loses nothing:
   * such a get used to fail with the scheduler's IllegalArgumentException and leave its waiter behind,
   * which then swallowed the next item put.
   */
  @Test
  void aTimeoutOfAYearWaitsAndLosesNothing() throws Exception {
    assertWaitsForAnItemThenForSpace(Duration.ofDays(365), PATIENCE);
  }

  /** A null timeout waits as Python's timeout=None does, and so does one too long to count. */
  @Test
  void aNullOrEndlessTimeoutWaitsWithoutALimit() throws Exception {
    assertWaitsForAnItemThenForSpace(null, Duration.ofSeconds(Long.MAX_VALUE));
  }

  /**
   * On a queue of one: a get with {@code waitTimeout} waits for an item and takes the one put; a put
   * with {@code waitTimeout} waits for space, and its item follows the one that was there (both taken
   * with {@code drainTimeout}): nothing is lost to a waiter left behind.
   */
  private void assertWaitsForAnItemThenForSpace(Duration waitTimeout, Duration drainTimeout) throws Exception {
    Queue<String> q = mp.queue(1);
    CompletableFuture<String> getter = CompletableFuture.supplyAsync(() -> {
      try {
        return q.get(waitTimeout);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertFalse(SharedFiles.awaitState(getter::isDone, Duration.ofMillis(200)), "the get waits for an item");
    q.put("first");
    assertEquals("first", getter.get(10, TimeUnit.SECONDS));

    q.put("full");
    CompletableFuture<Void> putter = CompletableFuture.runAsync(() -> ChildBodies.unchecked(() -> q.put("second", waitTimeout)));
    assertFalse(SharedFiles.awaitState(putter::isDone, Duration.ofMillis(200)), "the put waits for space");
    assertEquals("full", q.get(drainTimeout));
    putter.get(10, TimeUnit.SECONDS);
    assertEquals("second", q.get(drainTimeout));
  }

  /** Child side: Empty and Full seen from a child, reported as text. */
  static void probeTimeoutsFromChild(Queue<Integer> full, Queue<Integer> empty, Queue<String> report) {
    try {
      full.put(9, Duration.ofMillis(100));
      report.put("put into a full queue succeeded");
    } catch (QueueFullException expected) {
      report.putNowait("full");
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    try {
      empty.get(Duration.ofMillis(100));
      report.putNowait("got from an empty queue");
    } catch (QueueEmptyException expected) {
      report.putNowait("empty");
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void emptyAndFullInAChild() throws Exception {
    Queue<Integer> full = mp.queue(1);
    full.put(1);
    Queue<Integer> empty = mp.queue();
    Queue<String> report = mp.queue();
    Process child = mp.process(() -> probeTimeoutsFromChild(full, empty, report));
    child.start();
    assertEquals("full", report.get(PATIENCE));
    assertEquals("empty", report.get(PATIENCE));
    child.join();
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  /** Child side: puts {@code count} numbers, reporting each completed put on {@code progress}. */
  static void putWithProgress(Queue<Integer> q, Queue<Integer> progress, int count) throws InterruptedException {
    for (int i = 0; i < count; i++) {
      q.put(i);
      progress.put(i);
    }
  }

  @Test
  void boundedQueueBlocksAProducerInAnotherProcess() throws Exception {
    Queue<Integer> q = mp.queue(3);
    Queue<Integer> progress = mp.queue();
    Process producer = mp.process(ChildBody.target(() -> putWithProgress(q, progress, 20)));
    producer.start();
    for (int i = 0; i < 3; i++) {
      assertEquals(i, progress.get(PATIENCE));
    }
    assertThrows(QueueEmptyException.class, () -> progress.get(Duration.ofMillis(500)),
        "the fourth put must wait for space");
    assertTrue(q.full());
    assertEquals(0, q.get());
    assertEquals(3, progress.get(PATIENCE), "a get made room for exactly one more put");
    for (int i = 1; i < 20; i++) {
      assertEquals(i, q.get(PATIENCE));
    }
    producer.join();
    assertEquals(OptionalInt.of(0), producer.exitCode());
  }

  /** Child side: producer {@code id} puts its {@code count} distinct numbers. */
  static void produce(Queue<Long> q, int id, int count) throws InterruptedException {
    for (int i = 0; i < count; i++) {
      q.put(id * 1_000_000L + i);
    }
  }

  /**
   * Child side: takes numbers until a negative one, then reports count, sum and sum of squares; with
   * {@code waiting} false it never waits in a get, it asks again ({@code getNowait()}) until one answers.
   */
  static void consume(Queue<Long> q, Queue<long[]> results, boolean waiting) throws InterruptedException {
    long count = 0;
    long sum = 0;
    long squares = 0;
    for (long item = take(q, waiting); item >= 0; item = take(q, waiting)) {
      count++;
      sum += item;
      squares += item * item;
    }
    results.put(new long[] {count, sum, squares});
  }

  private static long take(Queue<Long> q, boolean waiting) throws InterruptedException {
    while (!waiting) {
      try {
        return q.getNowait();
      } catch (QueueEmptyException empty) {
        Thread.yield();
      }
    }
    return q.get();
  }

  @Test
  void manyProducersAndConsumersReceiveEveryItemExactlyOnce() throws Exception {
    everyItemExactlyOnce(mp.queue(100), 3000, true);
  }

  /**
   * Before, a get that does not wait, found by the parent's consumer in a child's ring, took in the other
   * children's rings, whose such gets took in the first ring again, until the consumer's thread died of
   * a StackOverflowError.
   */
  @Test
  void consumersThatNeverWaitReceiveEveryItemExactlyOnce() throws Exception {
    everyItemExactlyOnce(mp.queue(), 10_000, false);
  }

  /** Three producer children, two consumer children and a consumer thread in the parent. */
  private void everyItemExactlyOnce(Queue<Long> q, int perProducer, boolean waiting) throws Exception {
    Queue<long[]> results = mp.queue();
    int producers = 3;
    int childConsumers = 2;
    List<Process> children = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      int id = p;
      children.add(mp.process(ChildBody.target(() -> produce(q, id, perProducer))));
    }
    for (int c = 0; c < childConsumers; c++) {
      children.add(mp.process(ChildBody.target(() -> consume(q, results, waiting))));
    }
    children.forEach(Process::start);
    Thread parentConsumer = new Thread(ChildBody.target(() -> consume(q, results, waiting)));
    parentConsumer.start();
    for (int p = 0; p < producers; p++) {
      children.get(p).join();
    }
    for (int c = 0; c < childConsumers + 1; c++) {
      q.put(-1L);
    }
    long count = 0;
    long sum = 0;
    long squares = 0;
    for (int c = 0; c < childConsumers + 1; c++) {
      long[] result = results.get(PATIENCE);
      count += result[0];
      sum += result[1];
      squares += result[2];
    }
    long expectedSum = 0;
    long expectedSquares = 0;
    for (long p = 0; p < producers; p++) {
      for (long i = 0; i < perProducer; i++) {
        long item = p * 1_000_000L + i;
        expectedSum += item;
        expectedSquares += item * item;
      }
    }
    assertEquals(producers * perProducer, count);
    assertEquals(expectedSum, sum);
    assertEquals(expectedSquares, squares);
    parentConsumer.join();
    for (Process child : children) {
      child.join();
      assertEquals(OptionalInt.of(0), child.exitCode(), child.toString());
    }
  }

  /** Child side: puts a big item and many small ones, then returns at once. */
  static void fillAndExit(Queue<Object> q, int bigBytes, int small) throws InterruptedException {
    q.put(new byte[bigBytes]);
    for (int i = 0; i < small; i++) {
      q.put(i);
    }
  }

  @Test
  void joiningAProducerBeforeDrainingItsQueueDoesNotDeadlockAndLosesNothing() throws Exception {
    Queue<Object> q = mp.queue();
    int small = 10_000;
    Process producer = mp.process(ChildBody.target(() -> fillAndExit(q, 10 << 20, small)));
    producer.start();
    assertTrue(producer.join(PATIENCE), "Python deadlocks here once the OS pipe buffer is full");
    assertEquals(OptionalInt.of(0), producer.exitCode());
    assertEquals(10 << 20, ((byte[]) q.get(PATIENCE)).length);
    for (int i = 0; i < small; i++) {
      assertEquals(i, q.get(PATIENCE));
    }
    assertThrows(QueueEmptyException.class, q::getNowait);
  }

  @Test
  void aNonSerializableItemFailsInTheCallerAndTheQueueStillWorks() throws Exception {
    Queue<Object> q = mp.queue();
    PicklingException failure = assertThrows(PicklingException.class, () -> q.put(new Thread()));
    assertTrue(failure.getMessage().contains("java.lang.Thread"), failure.getMessage());
    q.put("still fine");
    assertEquals("still fine", q.get());
  }

  @Test
  void closedQueueObjectRefusesFurtherUse() throws Exception {
    Queue<String> q = mp.queue();
    assertThrows(IllegalStateException.class, q::joinThread, "join_thread before close");
    q.put("x");
    q.close();
    assertThrows(IllegalStateException.class, () -> q.put("y"));
    assertThrows(IllegalStateException.class, q::get);
    q.joinThread();
  }

  /** Child side: a SimpleQueue round trip. */
  static void echoUpper(SimpleQueue<String> in, SimpleQueue<String> out) throws InterruptedException {
    for (String word = in.get(); !word.isEmpty(); word = in.get()) {
      out.put(word.toUpperCase());
    }
  }

  @Test
  void simpleQueueAcrossProcesses() throws Exception {
    SimpleQueue<String> in = mp.simpleQueue();
    SimpleQueue<String> out = mp.simpleQueue();
    Process child = mp.process(ChildBody.target(() -> echoUpper(in, out)));
    child.start();
    assertTrue(out.empty());
    for (String word : List.of("make", "string", "")) {
      in.put(word);
    }
    assertEquals("MAKE", out.get());
    assertEquals("STRING", out.get());
    child.join();
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  /** Child side: receives a pipe end through a queue and sends on it. */
  static void sendOnReceivedEnd(Queue<Connection<String>> ends) throws InterruptedException {
    Connection<String> end = ends.get();
    end.send("hello from " + Multiprocessing.currentProcess().name());
  }

  /** Child side: passes the pipe end it was given on through a queue, then exits at once. */
  static void handOn(Connection<String> end, Queue<Connection<String>> ends) throws InterruptedException {
    ends.put(end);
  }

  @Test
  void handlesTravelFromChildToChildThroughAQueue() throws Exception {
    Pipe<String> pipe = mp.pipe(false);
    Connection<String> sender = pipe.conn2();
    Queue<Connection<String>> ends = mp.queue();
    Process first = mp.process(ChildBody.target(() -> handOn(sender, ends)));
    first.start();
    sender.close();
    first.join();
    Process second = mp.process(ChildBody.target(() -> sendOnReceivedEnd(ends)));
    second.start();
    assertEquals("hello from " + second.name(), pipe.conn1().recv());
    assertThrows(PipeClosedException.class, pipe.conn1()::recv, "the end closes when its last holder exits");
    second.join();
    assertEquals(OptionalInt.of(0), first.exitCode());
    assertEquals(OptionalInt.of(0), second.exitCode());
  }
}
