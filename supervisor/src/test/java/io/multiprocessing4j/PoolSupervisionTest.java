package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool as a supervisor: workers are initialized once, retired after maxTasksPerChild, replaced
 * when they die with their tasks re-run elsewhere, a task that kills its worker every time fails
 * alone, and workers that keep dying break the pool instead of looping. Deaths are caused for real
 * (SIGKILL from outside, {@code Runtime.halt} inside a task).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PoolSupervisionTest extends PoolContextTests {
  /** Worker side: counts how often the initializer ran in this JVM. */
  static final class Initialized {
    static int times;

    private Initialized() {}

    static void initializer(String tag) {
      times++;
      System.setProperty("pool.test.tag", tag);
    }
  }

  /** Worker side: which worker ran the task, and how often it was initialized. */
  static String initializationOf(int ignored) {
    return ProcessHandle.current().pid() + ":" + Initialized.times + ":" + System.getProperty("pool.test.tag");
  }

  /** Worker side: dies (exit status 99, no report) for one input, every time it is run. */
  static int poisonAtThree(int x) {
    if (x == 3) {
      Runtime.getRuntime().halt(99);
    }
    return x * 10;
  }

  /** Worker side: dies (exit status 99, no report) for input 1500, every time it is run. */
  static int poisonAt1500(int x) {
    if (x == 1500) {
      Runtime.getRuntime().halt(99);
    }
    return x + 1;
  }

  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  @Test
  void theInitializerRunsOncePerWorkerWithItsArgument() throws Exception {
    pool = mp.pool(PoolOptions.defaults().withProcesses(2).withInitializer(Initialized::initializer, "hello"));
    List<String> seen = pool.map(PoolSupervisionTest::initializationOf, range(40), 1);
    Set<String> distinct = new HashSet<>(seen);
    for (String worker : distinct) {
      assertTrue(worker.endsWith(":1:hello"), "initialized exactly once, with its initarg: " + worker);
    }
    assertTrue(distinct.size() <= 2, "at most two workers served: " + distinct);
  }

  @Test
  void maxTasksPerChildRetiresWorkersAndReplacesThem() throws Exception {
    pool = mp.pool(PoolOptions.defaults().withProcesses(2).withMaxTasksPerChild(2));
    List<Long> pids = pool.map(x -> ProcessHandle.current().pid(), range(10), 1);
    Set<Long> distinct = new HashSet<>(pids);
    assertEquals(10, pids.size());
    assertTrue(distinct.size() >= 5, "10 tasks, 2 per worker: at least 5 workers, saw " + distinct);
    for (Long pid : distinct) {
      assertTrue(pids.stream().filter(pid::equals).count() <= 2, "a worker ran more than 2 tasks: " + pids);
    }
    assertEquals(List.of(0, 1, 4), pool.map(x -> x * x, range(3)), "the pool still serves");
  }

  @Test
  void aWorkerKilledMidMapIsReplacedAndTheMapCompletes() throws Exception {
    pool = mp.pool(2);
    try (PoolCheckIns checkIns = new PoolCheckIns()) {
      String socket = checkIns.socket();
      CompletableFuture<List<Integer>> outputs = pool.mapAsync(x -> {
        if (x == 0) {
          PoolCheckIns.checkIn(socket);
        }
        return x * x;
      }, range(20), 1);

      PoolCheckIns.CheckIn running = checkIns.next();
      ProcessHandle victim = ProcessHandle.of(running.pid()).orElseThrow();
      victim.destroyForcibly();
      victim.onExit().get(30, TimeUnit.SECONDS);

      PoolCheckIns.CheckIn rerun = checkIns.next();
      assertNotEquals(running.pid(), rerun.pid(), "task 0 re-ran on another worker");
      rerun.release();
      assertEquals(IntStream.range(0, 20).map(x -> x * x).boxed().toList(), outputs.get(30, TimeUnit.SECONDS));
      assertTrue(pool.workers().stream().noneMatch(worker -> worker.pid() == running.pid()), pool.toString());
    }
  }

  /** Reads every result into {@code outcomes}, "died" for a task whose worker died; returns the last such death. */
  private static WorkerDiedException drain(ResultIterator<Integer> results, List<Object> outcomes) throws Exception {
    WorkerDiedException died = null;
    while (results.hasNext()) {
      try {
        outcomes.add(results.next());
      } catch (WorkerDiedException e) {
        died = e;
        outcomes.add("died");
      }
    }
    return died;
  }

  @Test
  void aTaskThatKillsItsWorkerEveryTimeFailsAloneAfterItsRetries() throws Exception {
    pool = mp.pool(2);
    List<Object> outcomes = new ArrayList<>();
    // Chunks of two: the poison's neighbour shares its chunk, and must still get its result.
    WorkerDiedException died = drain(pool.imap(PoolSupervisionTest::poisonAtThree, range(8), 2), outcomes);
    assertEquals(List.of(0, 10, 20, "died", 40, 50, 60, 70), outcomes);
    assertEquals(3, died.taskIndex());
    assertEquals(99, died.exitCode());
    assertEquals(1 + PoolOptions.defaults().taskRetries(), died.attempts());
    assertTrue(died.getMessage().contains("exited with code 99"), died.getMessage());
    assertEquals(List.of(0, 10), pool.map(PoolSupervisionTest::poisonAtThree, range(2)), "the pool still serves");
  }

  /** Worker side: runs its worker out of memory for input 2, every time (its last words are reported). */
  static int outOfMemoryAtTwo(int x) {
    if (x == 2) {
      throw new OutOfMemoryError("simulated: task 2 needs more than the heap");
    }
    return x * 10;
  }

  @Test
  void aTaskThatRunsItsWorkerOutOfMemoryEveryTimeFailsAloneWithItsLastWords() throws Exception {
    pool = mp.pool(2);
    List<Object> outcomes = new ArrayList<>();
    WorkerDiedException died = drain(pool.imap(PoolSupervisionTest::outOfMemoryAtTwo, range(5)), outcomes);
    assertEquals(List.of(0, 10, "died", 30, 40), outcomes);
    assertEquals(1, died.exitCode());
    assertTrue(died.getMessage().contains("java.lang.OutOfMemoryError: simulated"), died.getMessage());
    assertTrue(died.remoteTraceback().orElseThrow().contains("outOfMemoryAtTwo"), died.remoteTraceback().orElseThrow());
    RemoteTraceback lastWords = assertInstanceOf(RemoteTraceback.class, died.getCause());
    assertTrue(lastWords.getMessage().contains("OutOfMemoryError"), lastWords.getMessage());
    assertEquals(List.of(0, 10), pool.map(PoolSupervisionTest::outOfMemoryAtTwo, range(2)), "the pool still serves");
  }

  @Test
  void aTaskThatKillsItsWorkerAmongTinyTasksSentJoinedFailsAlone() throws Exception {
    pool = mp.pool(2);
    // The workers learn that this function's tasks are tiny, so its chunks then travel joined.
    assertEquals(1000, pool.map(PoolSupervisionTest::poisonAt1500, range(1000), 1).get(999));
    ResultIterator<Integer> results = pool.imap(PoolSupervisionTest::poisonAt1500, range(3000), 1);
    WorkerDiedException died = null;
    for (int i = 0; i < 3000; i++) {
      try {
        assertEquals(i + 1, results.next(), "result " + i);
      } catch (WorkerDiedException e) {
        assertEquals(null, died, "only one task kills its worker");
        died = e;
      }
    }
    assertEquals(1500, died.taskIndex());
    assertEquals(99, died.exitCode());
  }

  @Test
  void maxTasksPerChildHoldsForTinyTasksSentJoined() throws Exception {
    pool = mp.pool(PoolOptions.defaults().withProcesses(2).withMaxTasksPerChild(300));
    List<Long> pids = pool.map(x -> ProcessHandle.current().pid(), range(1500), 1);
    Set<Long> distinct = new HashSet<>(pids);
    assertTrue(distinct.size() >= 5, "1500 tasks, 300 per worker: at least 5 workers, saw " + distinct.size());
    for (Long pid : distinct) {
      long ran = pids.stream().filter(pid::equals).count();
      assertTrue(ran <= 300, "a worker ran " + ran + " tasks");
    }
  }

  @Test
  void withoutRetriesATaskThatExitsItsWorkerFailsAtOnceSayingHow() throws Exception {
    pool = mp.pool(PoolOptions.defaults().withProcesses(1).withTaskRetries(0));
    WorkerDiedException died = assertThrows(WorkerDiedException.class, () -> pool.apply(() -> {
      System.exit(7);
      return 0;
    }));
    assertEquals(7, died.exitCode());
    assertEquals(1, died.attempts());
    assertTrue(died.getMessage().contains("exited with code 7"), died.getMessage());
    assertEquals(5, pool.apply(() -> 5), "a replacement serves");
  }

  @Test
  void aRestartPeriodTooLongForNanosecondsStillRestartsWorkers() throws Exception {
    for (Duration forever : List.of(Duration.ofDays(365L * 1000), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999))) {
      pool = mp.pool(PoolOptions.defaults().withProcesses(1).withTaskRetries(0).withRestartIntensity(5, forever));
      WorkerDiedException died = assertThrows(WorkerDiedException.class, () -> pool.apply(() -> {
        System.exit(7);
        return 0;
      }), "period " + forever);
      assertEquals(7, died.exitCode());
      assertEquals(5, pool.apply(() -> 5), "a replacement serves, period " + forever);
      pool.terminate();
    }
  }

  @Test
  void aRestartPeriodTooLongForNanosecondsStillBreaksThePoolAndSaysSo() throws Exception {
    pool = mp.pool(PoolOptions.defaults().withProcesses(1).withTaskRetries(0)
        .withRestartIntensity(0, Duration.ofSeconds(Long.MAX_VALUE, 1_000_000)));
    assertThrows(WorkerDiedException.class, () -> pool.apply(() -> {
      System.exit(7);
      return 0;
    }));
    pool.shutdown();
    pool.join();
    PoolBrokenException broken = assertThrows(PoolBrokenException.class, () -> pool.apply(() -> 1));
    assertTrue(broken.getMessage().contains("1 exited unexpectedly within PT"), broken.getMessage());
  }

  @Test
  void workersThatKeepDyingBreakThePoolInsteadOfLooping() throws Exception {
    PoolBrokenException broken = brokenByAnInitializerThatAlwaysFails(2, Duration.ofMinutes(1));
    assertTrue(broken.getMessage().contains("3 exited unexpectedly"), broken.getMessage());
  }

  @Test
  void workersThatNeverGetReadyBreakThePoolHoweverSlowlyTheyDie() throws Exception {
    // A restart intensity this generous never trips here: only the run of failed starts can end it.
    PoolBrokenException broken = brokenByAnInitializerThatAlwaysFails(1_000, Duration.ofHours(1));
    assertTrue(broken.getMessage().contains("dying before they are ready: 4 in a row"), broken.getMessage());
  }

  /**
   * A one-worker pool whose initializer always fails, with this restart intensity: its first map fails
   * with the exception that broke the pool (returned), which carries the initializer's last words; later
   * work is refused and no worker is left.
   */
  private PoolBrokenException brokenByAnInitializerThatAlwaysFails(int maxRestarts, Duration period)
      throws Exception {
    pool = mp.pool(PoolOptions.defaults().withProcesses(1)
        .withInitializer(() -> {
          throw new IllegalStateException("the initializer always fails");
        })
        .withRestartIntensity(maxRestarts, period));
    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> pool.mapAsync(x -> x, range(4)).get(60, TimeUnit.SECONDS));
    PoolBrokenException broken = assertInstanceOf(PoolBrokenException.class, failed.getCause());
    assertTrue(broken.getMessage().contains("the initializer always fails"), broken.getMessage());
    assertInstanceOf(RemoteTraceback.class, broken.getCause());
    assertThrows(PoolBrokenException.class, () -> pool.apply(() -> 1), "later work is refused");
    pool.join();
    assertTrue(pool.workers().isEmpty(), pool.toString());
    return broken;
  }
}
