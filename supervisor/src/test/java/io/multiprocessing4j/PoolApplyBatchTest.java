package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many {@code applyAsync} calls of one tiny function: once the workers have learned that its tasks
 * are tiny, the tasks of separate calls travel to a worker joined into one frame. Each call must
 * still get its own result or failure, a worker that dies holding joined tasks loses none of them,
 * maxTasksPerChild counts every task, and terminate fails what has not run.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PoolApplyBatchTest extends PoolContextTests {
  private static final int TASKS = 3000;

  /** Worker side: fails for one input. */
  static int failOn777(int x) {
    if (x == 777) {
      throw new ArithmeticException("777 is not allowed");
    }
    return x + 1;
  }

  /** Worker side: dies (exit status 99, no report) for one input, every time it is run. */
  static int poisonAt1500(int x) {
    if (x == 1500) {
      Runtime.getRuntime().halt(99);
    }
    return x + 1;
  }

  static long pidOf(int ignored) {
    return ProcessHandle.current().pid();
  }

  private static <T> List<CompletableFuture<T>> applyAll(Pool pool, SerializableFunction<Integer, T> function,
      int from, int to) {
    List<CompletableFuture<T>> futures = new ArrayList<>();
    for (int i = from; i < to; i++) {
      futures.add(pool.applyAsync(function, i));
    }
    return futures;
  }

  /** Runs tasks the workers answer, so that they learn the function's tasks are tiny and join the next ones. */
  private static <T> void warmUp(Pool pool, SerializableFunction<Integer, T> function) throws Exception {
    for (CompletableFuture<T> future : applyAll(pool, function, 0, 500)) {
      future.get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTaskThatThrowsAmongJoinedTasksFailsOnlyItsOwnFuture() throws Exception {
    pool = mp.pool(2);
    warmUp(pool, PoolApplyBatchTest::failOn777);
    List<CompletableFuture<Integer>> futures = applyAll(pool, PoolApplyBatchTest::failOn777, 0, TASKS);
    for (int i = 0; i < TASKS; i++) {
      if (i == 777) {
        ExecutionException failed = assertThrows(ExecutionException.class, futures.get(i)::get);
        TaskFailedException cause = assertInstanceOf(TaskFailedException.class, failed.getCause());
        assertTrue(cause.getMessage().startsWith("the task of Pool.applyAsync failed"), cause.getMessage());
        assertEquals("777 is not allowed", assertInstanceOf(ArithmeticException.class, cause.getCause()).getMessage());
      } else {
        assertEquals(i + 1, futures.get(i).get(30, TimeUnit.SECONDS), "result of task " + i);
      }
    }
  }

  /**
   * Runs {@link #poisonAt1500} on every input after a warm-up, and expects task 1500 alone to fail,
   * after {@code attempts} deaths of its worker, and every other task to get its result.
   */
  private void onlyThePoisonedTaskFails(int attempts) throws Exception {
    warmUp(pool, PoolApplyBatchTest::poisonAt1500);
    List<CompletableFuture<Integer>> futures = applyAll(pool, PoolApplyBatchTest::poisonAt1500, 0, TASKS);
    for (int i = 0; i < TASKS; i++) {
      if (i == 1500) {
        ExecutionException failed = assertThrows(ExecutionException.class, futures.get(i)::get);
        WorkerDiedException died = assertInstanceOf(WorkerDiedException.class, failed.getCause());
        assertEquals(99, died.exitCode());
        assertEquals(attempts, died.attempts());
      } else {
        assertEquals(i + 1, futures.get(i).get(30, TimeUnit.SECONDS), "result of task " + i);
      }
    }
  }

  @Test
  void aTaskThatKillsItsWorkerAmongJoinedTasksFailsAloneAndTheOthersRunElsewhere() throws Exception {
    pool = mp.pool(2);
    onlyThePoisonedTaskFails(1 + PoolOptions.defaults().taskRetries());
    assertEquals(3, pool.apply(PoolApplyBatchTest::poisonAt1500, 2), "the pool still serves");
  }

  /**
   * With no retries a worker's death fails the task it was running and nothing else: the tasks that
   * would have travelled joined with it must not share its fate, so nothing is joined.
   */
  @Test
  void withoutRetriesATaskThatKillsItsWorkerFailsAloneToo() throws Exception {
    pool = mp.pool(PoolOptions.defaults().withProcesses(2).withTaskRetries(0));
    onlyThePoisonedTaskFails(1);
  }

  @Test
  void maxTasksPerChildCountsEveryJoinedTask() throws Exception {
    pool = mp.pool(PoolOptions.defaults().withProcesses(2).withMaxTasksPerChild(300));
    List<CompletableFuture<Long>> futures = applyAll(pool, PoolApplyBatchTest::pidOf, 0, 1500);
    Map<Long, Integer> ran = new HashMap<>();
    for (CompletableFuture<Long> future : futures) {
      ran.merge(future.get(30, TimeUnit.SECONDS), 1, Integer::sum);
    }
    assertTrue(ran.size() >= 5, "1500 tasks, 300 per worker: at least 5 workers, saw " + ran);
    for (int tasks : ran.values()) {
      assertTrue(tasks <= 300, "a worker ran " + tasks + " tasks: " + ran);
    }
  }

  @Test
  void terminateFailsTheJoinedTasksThatHaveNotRun() throws Exception {
    pool = mp.pool(2);
    try (PoolCheckIns checkIns = new PoolCheckIns()) {
      String socket = checkIns.socket();
      SerializableFunction<Integer, Integer> blockAt1000 = x -> {
        if (x == 1000) {
          PoolCheckIns.checkIn(socket);
        }
        return x;
      };
      warmUp(pool, blockAt1000);
      List<CompletableFuture<Integer>> futures = applyAll(pool, blockAt1000, 0, TASKS);
      checkIns.next();
      pool.terminate();
      int cancelled = 0;
      for (int i = 0; i < TASKS; i++) {
        CompletableFuture<Integer> future = futures.get(i);
        assertTrue(future.isDone(), "task " + i + " settled by terminate");
        if (future.isCompletedExceptionally()) {
          assertThrows(CancellationException.class, future::join, "task " + i);
          cancelled++;
        } else {
          assertEquals(i, future.join());
        }
      }
      assertThrows(CancellationException.class, futures.get(1000)::join, "the running task");
      assertTrue(cancelled >= 1, "cancelled: " + cancelled);
    }
  }
}
