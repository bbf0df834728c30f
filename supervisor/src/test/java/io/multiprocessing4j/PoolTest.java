package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool's calls and their Python semantics: map, imap, imapUnordered, starmap, apply and the
 * asynchronous forms, on one two-worker pool (as started by the tutorial's example), and a task that
 * throws. Results must come back complete and, where Python promises it, in input order.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolTest extends PoolContextTests {
  @BeforeEach
  void startPool() {
    pool = mp.pool(2);
  }

  @AfterEach
  void closePool() {
    assertTrue(pool.toString().startsWith("<Pool state=RUN "), pool.toString());
    pool.close();
    assertTrue(pool.workers().isEmpty(), pool.toString());
  }

  /** Worker side: the tutorial's {@code do_work}. */
  static int doWork(int data) {
    return data * data;
  }

  /** Worker side: fails for one input. */
  static int failOnThree(int x) {
    if (x == 3) {
      throw new ArithmeticException("three is not allowed");
    }
    return x;
  }

  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  private static List<Integer> squares(int n) {
    return IntStream.range(0, n).map(x -> x * x).boxed().toList();
  }

  @Test
  void mapReturnsResultsInInputOrder() throws Exception {
    assertEquals(squares(10), pool.map(PoolTest::doWork, range(10)));
    assertEquals(squares(1000), pool.map(PoolTest::doWork, range(1000)));
    assertEquals(squares(37), pool.map(PoolTest::doWork, range(37), 5));
    assertEquals(List.of(), pool.map(PoolTest::doWork, List.<Integer>of()));
  }

  @Test
  void mapAcceptsAnyIterable() throws Exception {
    Iterable<Integer> notACollection = () -> range(50).iterator();
    assertEquals(squares(50), pool.map(PoolTest::doWork, notACollection));
  }

  @Test
  void tasksRunInWorkerProcessesNamedLikePythons() throws Exception {
    List<String> names = pool.map(x -> Multiprocessing.currentProcess().name(), range(20), 1);
    for (String name : names) {
      assertTrue(name.matches("SpawnPoolWorker-\\d+"), name);
    }
    List<Long> pids = pool.map(x -> ProcessHandle.current().pid(), range(20), 1);
    assertTrue(pids.stream().noneMatch(pid -> pid == ProcessHandle.current().pid()), "tasks ran in the parent");
    Set<Long> workerPids = new HashSet<>();
    pool.workers().forEach(worker -> workerPids.add(worker.pid()));
    assertTrue(workerPids.containsAll(pids), pids + " not all in " + pool.workers());
  }

  @Test
  void mapAsyncCompletesTheFuture() throws Exception {
    CompletableFuture<List<Integer>> outputs = pool.mapAsync(PoolTest::doWork, range(100));
    assertEquals(squares(100), outputs.get(30, TimeUnit.SECONDS));
    assertEquals(squares(100), pool.mapAsync(PoolTest::doWork, range(100), 7).get(30, TimeUnit.SECONDS));
  }

  @Test
  void imapStreamsResultsInInputOrder() {
    List<Integer> seen = new ArrayList<>();
    try (ResultIterator<Integer> results = pool.imap(PoolTest::doWork, range(200))) {
      results.forEachRemaining(seen::add);
    }
    assertEquals(squares(200), seen);
    seen.clear();
    pool.imap(PoolTest::doWork, range(200), 16).forEachRemaining(seen::add);
    assertEquals(squares(200), seen);
  }

  @Test
  void imapReadsAnEndlessInputLazilyAndStopsWhenClosed() throws Exception {
    Iterable<Integer> naturals = () -> IntStream.iterate(0, i -> i + 1).iterator();
    List<Integer> firstHundred = new ArrayList<>();
    try (ResultIterator<Integer> results = pool.imap(PoolTest::doWork, naturals, 10)) {
      while (firstHundred.size() < 100) {
        firstHundred.add(results.next());
      }
    }
    assertEquals(squares(100), firstHundred);
    assertEquals(squares(10), pool.map(PoolTest::doWork, range(10)), "the pool still serves after a closed imap");
  }

  @Test
  void imapOfAMillionItemsReadsItsInputOnlyABoundedDistanceAheadOfTheReader() {
    int items = 1_000_000;
    int chunksize = 1_000;
    AtomicLong pulled = new AtomicLong();
    Iterable<Integer> counted = () -> IntStream.range(0, items).peek(i -> pulled.incrementAndGet()).iterator();
    long consumed = 0;
    long sum = 0;
    long furthestAhead = 0;
    try (ResultIterator<Integer> results = pool.imap(x -> x % 7, counted, chunksize)) {
      while (results.hasNext()) {
        sum += results.next();
        consumed++;
        furthestAhead = Math.max(furthestAhead, pulled.get() - consumed);
      }
    }
    assertEquals(items, consumed);
    assertEquals(IntStream.range(0, items).mapToLong(x -> x % 7).sum(), sum);
    // The window is a few chunks per worker, far below the million a greedy reader would pull.
    assertTrue(furthestAhead <= 50L * chunksize * pool.processes(), "read ahead by " + furthestAhead);
  }

  @Test
  void imapWithAChunksizeLargerThanItsInputYieldsEveryResult() throws Exception {
    for (boolean ordered : new boolean[] {true, false}) {
      List<Integer> seen = new ArrayList<>();
      try (ResultIterator<Integer> results = ordered
          ? pool.imap(PoolTest::doWork, range(5), Integer.MAX_VALUE)
          : pool.imapUnordered(PoolTest::doWork, range(5), Integer.MAX_VALUE)) {
        for (int i = 0; i < 5; i++) {
          seen.add(results.next(Duration.ofSeconds(20)));
        }
        assertFalse(results.hasNext());
      }
      assertEquals(squares(5), ordered ? seen : seen.stream().sorted().toList());
    }
  }

  @Test
  void imapNextWithATimeoutTooLongForNanosecondsOrNullWaitsForTheResult() throws Exception {
    try (ResultIterator<Integer> results = pool.imap(PoolTest::doWork, range(4))) {
      for (int x = 0; x < 2; x++) {
        assertEquals(doWork(x), results.next(Duration.ofSeconds(Long.MAX_VALUE)));
      }
      for (int x = 2; x < 4; x++) {
        assertEquals(doWork(x), results.next(null), "null is Python's timeout=None");
      }
    }
  }

  @Test
  void imapUnorderedYieldsEveryResultOnce() {
    List<Integer> seen = new ArrayList<>();
    pool.imapUnordered(PoolTest::doWork, range(300)).forEachRemaining(seen::add);
    assertEquals(300, seen.size());
    assertEquals(new HashSet<>(squares(300)), new HashSet<>(seen));
    seen.clear();
    pool.imapUnordered(PoolTest::doWork, range(300), 25).forEachRemaining(seen::add);
    assertEquals(new HashSet<>(squares(300)), new HashSet<>(seen));
  }

  @Test
  void starmapAppliesTheFunctionToEachPair() throws Exception {
    List<Map.Entry<Integer, Integer>> pairs = List.of(Map.entry(1, 2), Map.entry(3, 4), Map.entry(5, 6));
    assertEquals(List.of(3, 7, 11), pool.starmap(Integer::sum, pairs));
    assertEquals(List.of("a1", "b2"), pool.starmap((String s, Integer n) -> s + n,
        List.of(Map.entry("a", 1), Map.entry("b", 2)), 1));
    assertEquals(List.of(2, 12, 30), pool.starmapAsync((Integer a, Integer b) -> a * b, pairs).get(30, TimeUnit.SECONDS));
  }

  @Test
  void applyRunsOneTaskInAWorker() throws Exception {
    long parent = ProcessHandle.current().pid();
    long worker = pool.apply(() -> ProcessHandle.current().pid());
    assertNotEquals(parent, worker);
    assertEquals(49, pool.apply(PoolTest::doWork, 7));
    assertEquals("echo: text", pool.applyAsync(() -> "echo: " + "text").get(30, TimeUnit.SECONDS));
  }

  @Test
  void applyAsyncOfManyTasksCompletesEveryFuture() throws Exception {
    List<CompletableFuture<Integer>> futures = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      futures.add(pool.applyAsync(PoolTest::doWork, i));
    }
    List<Integer> results = new ArrayList<>();
    for (CompletableFuture<Integer> future : futures) {
      results.add(future.get(30, TimeUnit.SECONDS));
    }
    assertEquals(squares(500), results);
  }

  @Test
  void aSlowTaskDoesNotHoldBackTheTasksQueuedBehindIt() throws Exception {
    try (PoolCheckIns checkIns = new PoolCheckIns()) {
      String socket = checkIns.socket();
      ResultIterator<Integer> results = pool.imapUnordered(x -> {
        if (x == 0) {
          PoolCheckIns.checkIn(socket);
        }
        return x;
      }, range(12));
      PoolCheckIns.CheckIn slow = checkIns.next();
      Set<Integer> fast = new HashSet<>();
      for (int i = 0; i < 11; i++) {
        fast.add(results.next());
      }
      assertEquals(new HashSet<>(range(12).subList(1, 12)), fast, "every other task finished while task 0 ran");
      slow.release();
      assertEquals(0, results.next());
      assertTrue(!results.hasNext());
    }
  }

  @Test
  void aTaskThatThrowsFailsOnlyItsOwnResultWithTheRemoteTrace() throws Exception {
    TaskFailedException failure = assertThrows(TaskFailedException.class,
        () -> pool.map(PoolTest::failOnThree, range(8), 1));
    assertEquals(3, failure.taskIndex());
    ArithmeticException cause = assertInstanceOf(ArithmeticException.class, failure.getCause());
    assertEquals("three is not allowed", cause.getMessage());
    assertTrue(failure.remoteTraceback().orElseThrow().contains("PoolTest.failOnThree"),
        failure.remoteTraceback().orElseThrow());
    assertTrue(failure.workerName().startsWith("SpawnPoolWorker-"), failure.workerName());
    assertTrue(failure.getStackTrace()[0].getClassName().startsWith("io.multiprocessing4j"),
        "thrown with the caller's stack");

    List<Object> outcomes = new ArrayList<>();
    ResultIterator<Integer> results = pool.imap(PoolTest::failOnThree, range(6));
    while (results.hasNext()) {
      try {
        outcomes.add(results.next());
      } catch (TaskFailedException e) {
        outcomes.add(e.getCause().getClass().getSimpleName());
      }
    }
    assertEquals(List.of(0, 1, 2, "ArithmeticException", 4, 5), outcomes);

    ExecutionException async = assertThrows(ExecutionException.class,
        () -> pool.applyAsync(PoolTest::failOnThree, 3).get(30, TimeUnit.SECONDS));
    assertInstanceOf(TaskFailedException.class, async.getCause());
    assertEquals(2, pool.apply(PoolTest::failOnThree, 2), "the worker survived its task's exception");
  }

  @Test
  void mapRaisesTheFirstFailureOnceEveryTaskHasSettled() {
    TaskFailedException failure = assertThrows(TaskFailedException.class,
        () -> pool.map(x -> {
          if (x % 10 == 3) {
            throw new IllegalArgumentException("bad " + x);
          }
          return x;
        }, range(40), 3));
    assertEquals(3, failure.taskIndex());
    assertEquals(3, failure.getSuppressed().length, "the later failures (13, 23, 33) are attached");
  }
}
