package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.NotSerializableException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * The pool's lifecycle (RUN, CLOSE, TERMINATE) and the errors a caller gets in its own thread:
 * work refused by a closed pool, join before close, close finishing the submitted work, terminate
 * mid-map leaving no worker JVM, and values that cannot be serialized.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolLifecycleTest extends PoolContextTests {
  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  @Test
  void aClosedOrTerminatedPoolRefusesWorkInTheCallersThread() throws Exception {
    pool = mp.pool(1);
    pool.shutdown();
    IllegalStateException closed = assertThrows(IllegalStateException.class, () -> pool.map(x -> x, range(3)));
    assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    assertThrows(IllegalStateException.class, () -> pool.applyAsync(() -> 1));
    assertThrows(IllegalStateException.class, () -> pool.imap(x -> x, range(3)));
    pool.join();
    assertTrue(pool.workers().isEmpty());

    Pool terminated = mp.pool(1);
    terminated.terminate();
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> terminated.apply(() -> 1));
    assertTrue(refused.getMessage().contains("terminated"), refused.getMessage());
  }

  @Test
  void joinBeforeCloseIsAnError() {
    pool = mp.pool(1);
    IllegalStateException early = assertThrows(IllegalStateException.class, pool::join);
    assertTrue(early.getMessage().contains("still running"), early.getMessage());
  }

  @Test
  void closeLetsTheSubmittedWorkFinishThenJoinsTheWorkers() throws Exception {
    CompletableFuture<List<Integer>> outputs;
    CompletableFuture<Integer> single;
    try (Pool closing = mp.pool(2)) {
      pool = closing;
      outputs = closing.mapAsync(x -> x + 1, range(50), 1);
      single = closing.applyAsync(() -> 42);
    }
    assertTrue(outputs.isDone() && single.isDone(), "close() returned before the submitted work was done");
    assertEquals(IntStream.range(1, 51).boxed().toList(), outputs.get());
    assertEquals(42, single.get());
    assertTrue(pool.workers().isEmpty(), pool.toString());
    pool.join();
    pool.close();
  }

  @Test
  void closeFinishesAnImapNobodyReadsYet() throws Exception {
    pool = mp.pool(2);
    // More results than the window an imap may run ahead of its reader.
    ResultIterator<Integer> unread = pool.imap(x -> x * 2, range(500));
    pool.close();
    List<Integer> results = new ArrayList<>();
    unread.forEachRemaining(results::add);
    assertEquals(IntStream.range(0, 500).map(x -> x * 2).boxed().toList(), results);
  }

  @Test
  void terminateMidMapFailsThePendingWorkAndStopsEveryWorker() throws Exception {
    pool = mp.pool(2);
    try (PoolCheckIns checkIns = new PoolCheckIns()) {
      String socket = checkIns.socket();
      CompletableFuture<List<Integer>> outputs = pool.mapAsync(x -> {
        PoolCheckIns.checkIn(socket);
        return x;
      }, range(10), 1);
      CompletableFuture<Throwable> blockingCaller = CompletableFuture.supplyAsync(() -> {
        try {
          pool.map(x -> x, range(10));
          return null;
        } catch (Throwable e) {
          return e;
        }
      });
      checkIns.next();
      checkIns.next();

      pool.terminate();
      assertTrue(pool.workers().isEmpty(), "terminate() returns once the workers have exited: " + pool);
      CancellationException cancelled = assertThrows(CancellationException.class, () -> outputs.get(10, TimeUnit.SECONDS));
      assertTrue(cancelled.getMessage().contains("terminated"), cancelled.getMessage());
      Throwable blocked = blockingCaller.get(10, TimeUnit.SECONDS);
      assertTrue(blocked instanceof CancellationException || blocked instanceof IllegalStateException,
          "the blocking map was cancelled or refused: " + blocked);
    }
  }

  @Test
  void terminateWithTheInterruptStatusSetStillReturnsOnlyOnceTheWorkersHaveExited() throws Exception {
    pool = mp.pool(2);
    List<Long> pids = pool.map(x -> ProcessHandle.current().pid(), range(4), 1);
    Thread.currentThread().interrupt();
    try {
      pool.terminate();
    } finally {
      assertTrue(Thread.interrupted(), "the interrupt status is kept for the caller");
    }
    assertTrue(pool.workers().isEmpty(), pool.toString());
    for (long pid : pids) {
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
          "terminate() returned with worker " + pid + " still running");
    }
  }

  @Test
  void closingTheContextTerminatesItsPools() throws Exception {
    Multiprocessing own = Multiprocessing.create();
    Pool open = own.pool(1);
    try (PoolCheckIns checkIns = new PoolCheckIns()) {
      String socket = checkIns.socket();
      CompletableFuture<Integer> running = open.applyAsync(() -> {
        PoolCheckIns.checkIn(socket);
        return 1;
      });
      checkIns.next();
      own.close();
      assertThrows(CancellationException.class, () -> running.get(10, TimeUnit.SECONDS));
      assertThrows(IllegalStateException.class, () -> own.pool(1));
    }
  }

  @Test
  void aFunctionOrItemThatCannotBeSerializedFailsInTheCallersThread() throws Exception {
    pool = mp.pool(1);
    Object notSerializable = new Object();
    PicklingException function = assertThrows(PicklingException.class,
        () -> pool.map(x -> x + notSerializable.hashCode(), range(3)));
    assertTrue(function.getMessage().contains("function of Pool.map") && function.getMessage().contains("java.lang.Object"),
        function.getMessage());
    assertThrows(PicklingException.class, () -> pool.applyAsync(() -> notSerializable.hashCode()));
    assertThrows(PicklingException.class, () -> pool.imap(x -> notSerializable, range(3)));

    PicklingException item = assertThrows(PicklingException.class,
        () -> pool.map(Object::hashCode, List.of("fine", new Socket(), "fine")));
    assertTrue(item.getMessage().contains("item 1 of Pool.map") && item.getMessage().contains("java.net.Socket"),
        item.getMessage());
    assertThrows(PicklingException.class, () -> pool.applyAsync(Object::hashCode, new Object()));

    PicklingException initializer = assertThrows(PicklingException.class,
        () -> mp.pool(PoolOptions.defaults().withInitializer(() -> notSerializable.hashCode())));
    assertTrue(initializer.getMessage().contains("initializer"), initializer.getMessage());

    TaskFailedException result = assertThrows(TaskFailedException.class, () -> pool.apply(() -> new Object()));
    assertInstanceOf(NotSerializableException.class, result.getCause());
    assertEquals(List.of(1, 2), pool.map(x -> x + 1, range(2)), "the pool still serves");
  }

  @Test
  void aNullFunctionIsRefusedInTheCallersThread() {
    pool = mp.pool(1);
    List<Executable> calls = List.of(
        () -> pool.map(null, range(3)),
        () -> pool.map(null, List.of()),
        () -> pool.mapAsync(null, range(3)),
        () -> pool.starmap(null, List.of(Map.entry(1, 2))),
        () -> pool.starmapAsync(null, List.of(Map.entry(1, 2))),
        () -> pool.imap(null, range(3)),
        () -> pool.imapUnordered(null, range(3)),
        () -> pool.apply((SerializableFunction<Integer, Integer>) null, 1),
        () -> pool.applyAsync((SerializableFunction<Integer, Integer>) null, 1));
    for (Executable call : calls) {
      NullPointerException refused = assertThrows(NullPointerException.class, call);
      assertEquals("function", refused.getMessage());
    }
    assertEquals("task", assertThrows(NullPointerException.class,
        () -> pool.apply((SerializableCallable<Integer>) null)).getMessage());
    assertEquals("task", assertThrows(NullPointerException.class,
        () -> pool.applyAsync((SerializableCallable<Integer>) null)).getMessage());
  }

  @Test
  void aChunksizeBelowOneIsRefusedByEveryCallThatTakesOneWhateverTheInput() {
    pool = mp.pool(1);
    for (int chunksize : new int[] {0, -1}) {
      for (List<Integer> items : List.of(range(3), List.<Integer>of())) {
        List<Map.Entry<Integer, Integer>> pairs = items.stream().map(x -> Map.entry(x, x)).toList();
        List<Executable> calls = List.of(
            () -> pool.map(x -> x, items, chunksize),
            () -> pool.mapAsync(x -> x, items, chunksize),
            () -> pool.starmap(Integer::sum, pairs, chunksize),
            () -> pool.starmapAsync(Integer::sum, pairs, chunksize),
            () -> pool.imap(x -> x, items, chunksize),
            () -> pool.imapUnordered(x -> x, items, chunksize));
        for (Executable call : calls) {
          IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, call,
              "chunksize " + chunksize + " over " + items.size() + " items");
          assertTrue(refused.getMessage().contains("chunksize must be 1 or more, not " + chunksize),
              refused.getMessage());
        }
      }
    }
  }

  @Test
  void joiningThePoolFromItsOwnCallbackFailsInsteadOfWaitingForItself() throws Exception {
    pool = mp.pool(1);
    // Python raises RuntimeError("cannot join current thread") from a callback that joins its pool.
    CompletableFuture<Void> closing = pool.applyAsync(() -> 1).thenAccept(one -> pool.close());
    ExecutionException failed = assertThrows(ExecutionException.class, () -> closing.get(20, TimeUnit.SECONDS));
    IllegalStateException selfJoin = assertInstanceOf(IllegalStateException.class, failed.getCause());
    assertTrue(selfJoin.getMessage().contains("callback"), selfJoin.getMessage());
    pool.join();
    assertTrue(pool.workers().isEmpty(), "close() in the callback still shut the pool down: " + pool);

    pool = mp.pool(1);
    CompletableFuture<Void> joining = pool.applyAsync(() -> 1).thenAccept(one -> {
      pool.shutdown();
      try {
        pool.join();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    failed = assertThrows(ExecutionException.class, () -> joining.get(20, TimeUnit.SECONDS));
    assertInstanceOf(IllegalStateException.class, failed.getCause());
    pool.join();
    assertTrue(pool.workers().isEmpty(), pool.toString());
  }

  @Test
  void waitingInACallbackForAnotherResultOfThePoolFailsInsteadOfWaitingForItself() throws Exception {
    pool = mp.pool(1);
    // Python's pool hangs: the callback blocks the result-handler thread that would deliver the result.
    List<CompletableFuture<Integer>> inner = new ArrayList<>();
    CompletableFuture<Integer> joined = pool.applyAsync(() -> 1).thenApply(one -> {
      CompletableFuture<Integer> two = pool.applyAsync(() -> 2);
      inner.add(two);
      return two.join();
    });
    ExecutionException failed = assertThrows(ExecutionException.class, () -> joined.get(20, TimeUnit.SECONDS));
    IllegalStateException selfWait = assertInstanceOf(IllegalStateException.class, failed.getCause());
    assertTrue(selfWait.getMessage().contains("callback"), selfWait.getMessage());
    CompletableFuture<List<Integer>> timed = pool.applyAsync(() -> 1)
        .thenApply(one -> {
          try {
            return pool.mapAsync(x -> x * 2, range(3)).get(10, TimeUnit.SECONDS);
          } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new CompletionException(e);
          }
        });
    failed = assertThrows(ExecutionException.class, () -> timed.get(20, TimeUnit.SECONDS));
    selfWait = assertInstanceOf(IllegalStateException.class, failed.getCause());
    assertTrue(selfWait.getMessage().contains("callback"), selfWait.getMessage());
    // The refused wait cost nothing: the inner task still completes, and the pool goes on.
    assertEquals(2, inner.get(0).get(20, TimeUnit.SECONDS));
    // A finished future may still be read in a callback, and a wait from another thread is untouched.
    CompletableFuture<Integer> three = pool.applyAsync(() -> 3);
    assertEquals(3, three.get(20, TimeUnit.SECONDS));
    assertEquals(7, pool.applyAsync(() -> 4).thenApply(four -> four + three.join()).get(20, TimeUnit.SECONDS));
  }

  /** A stage made from an unfinished result waits for it: waiting for the stage in a callback is refused too. */
  @Test
  void waitingInACallbackForAStageOfAnotherUnfinishedResultFailsToo() throws Exception {
    pool = mp.pool(1);
    CompletableFuture<Integer> applied = pool.applyAsync(() -> 1)
        .thenApply(one -> pool.applyAsync(() -> 2).thenApply(two -> two + one).join());
    ExecutionException failed = assertThrows(ExecutionException.class, () -> applied.get(20, TimeUnit.SECONDS));
    IllegalStateException selfWait = assertInstanceOf(IllegalStateException.class, failed.getCause());
    assertTrue(selfWait.getMessage().contains("callback"), selfWait.getMessage());
    CompletableFuture<Integer> composed = pool.applyAsync(() -> 1)
        .thenApply(one -> pool.applyAsync(() -> 2)
            .thenCompose(two -> CompletableFuture.completedFuture(two + one))
            .exceptionally(error -> -1)
            .join());
    failed = assertThrows(ExecutionException.class, () -> composed.get(20, TimeUnit.SECONDS));
    assertInstanceOf(IllegalStateException.class, failed.getCause());
    // Not refused: a stage of a finished result run elsewhere, or one that another future may complete.
    CompletableFuture<Integer> three = pool.applyAsync(() -> 3);
    assertEquals(3, three.get(20, TimeUnit.SECONDS));
    assertEquals(5, pool.applyAsync(() -> 1)
        .thenApply(one -> three.thenApplyAsync(x -> x + one).join() + one)
        .get(20, TimeUnit.SECONDS));
    CompletableFuture<Integer> six = new CompletableFuture<>();
    assertEquals(7, pool.applyAsync(() -> 1)
        .thenApply(one -> {
          CompletableFuture<Integer> either = pool.applyAsync(() -> 2).applyToEither(six, x -> x + one);
          six.completeAsync(() -> 6);
          return either.join();
        })
        .get(20, TimeUnit.SECONDS));
  }

  @Test
  void anInitializerTooLargeForOneFrameFailsWhenThePoolIsCreated() {
    int limit = 64 * 1024;
    try (Multiprocessing small = Multiprocessing.create(
        new ProcessSupervisor.Settings(Duration.ofSeconds(5), limit, StartMethod.SPAWN, 0, true))) {
      byte[] payload = new byte[4 * limit];
      // It travels inside each worker's target; too large, no worker would ever start its loop.
      PicklingException e = assertThrows(PicklingException.class,
          () -> small.pool(PoolOptions.defaults().withProcesses(1).withInitializer(() -> payload.clone())));
      assertTrue(e.getMessage().contains("initializer") && e.getMessage().contains(String.valueOf(limit)),
          e.getMessage());
    }
  }

  @Test
  void itemsOrResultsTooLargeForTheContextsFramesFailWithTheReason() {
    int limit = 64 * 1024;
    try (Multiprocessing small = Multiprocessing.create(
        new ProcessSupervisor.Settings(Duration.ofSeconds(5), limit, StartMethod.SPAWN, 0, true))) {
      Pool narrow = small.pool(1);
      byte[] item = new byte[4 * limit];
      // Under the default limit, so only the context's own limit refuses them; before, the chunk was
      // handed from worker to worker, never delivered, and the call waited forever.
      PicklingException single = assertThrows(PicklingException.class, () -> narrow.applyAsync(b -> b.length, item));
      assertTrue(single.getMessage().contains("Pool.applyAsync") && single.getMessage().contains("one frame"),
          single.getMessage());
      assertThrows(PicklingException.class, () -> narrow.mapAsync(b -> b.length, List.of(item)));

      // A result too large fails its own task with the reason, as under the default limit; before,
      // the parent dropped the worker's channel and the task failed as if its worker had died.
      CompletableFuture<Integer> large = narrow.applyAsync(() -> new byte[4 * limit].length);
      assertEquals(4 * limit, assertDoesNotThrow(() -> large.get(30, TimeUnit.SECONDS)), "a small result still travels");
      CompletableFuture<byte[]> tooLarge = narrow.applyAsync(() -> new byte[4 * limit]);
      ExecutionException failed = assertThrows(ExecutionException.class, () -> tooLarge.get(30, TimeUnit.SECONDS));
      TaskFailedException task = assertInstanceOf(TaskFailedException.class, failed.getCause());
      assertTrue(task.getMessage().contains("more than one frame"), task.getMessage());
    }
  }

  @Test
  void aMapWhoseDefaultChunksWouldBeTooLargeForOneFrameSendsSmallerOnes() throws Exception {
    int limit = 64 * 1024;
    try (Multiprocessing small = Multiprocessing.create(
        new ProcessSupervisor.Settings(Duration.ofSeconds(5), limit, StartMethod.SPAWN, 0, true))) {
      Pool narrow = small.pool(1);
      // Python's rule makes chunks of 16 of these 8 KiB items, 128 KiB each: no one asked for that
      // size, and each item fits a frame, so the call must not fail for it (Python's map does not).
      List<byte[]> items = IntStream.range(0, 64).mapToObj(i -> new byte[8 * 1024]).toList();
      List<Integer> expected = IntStream.range(0, 64).mapToObj(i -> 8 * 1024).toList();
      assertEquals(expected, narrow.map(b -> b.length, items));
      assertEquals(expected, narrow.mapAsync(b -> b.length, items).get(30, TimeUnit.SECONDS));
      List<Map.Entry<byte[], Integer>> pairs = items.stream().map(b -> Map.entry(b, 1)).toList();
      assertEquals(IntStream.range(0, 64).mapToObj(i -> 8 * 1024 + 1).toList(),
          narrow.starmap((byte[] b, Integer one) -> b.length + one, pairs));
      // A chunksize the caller chose is kept, and refused with the reason.
      PicklingException chosen = assertThrows(PicklingException.class, () -> narrow.map(b -> b.length, items, 16));
      assertTrue(chosen.getMessage().contains("use a smaller chunksize"), chosen.getMessage());
    }
  }

  @Test
  void mapAsyncSerializesOneChunkPerWorkerInTheCallersThread() throws Exception {
    pool = mp.pool(2);
    // Chunks of one item: item 1 is the second worker's first chunk, so mapAsync itself throws.
    PicklingException second = assertThrows(PicklingException.class,
        () -> pool.mapAsync(Object::hashCode, List.of("fine", new Socket(), "fine"), 1));
    assertTrue(second.getMessage().contains("item 1 of Pool.mapAsync"), second.getMessage());
    // Past the first chunks, the failure reaches the future instead.
    CompletableFuture<List<Integer>> later = pool.mapAsync(Object::hashCode, List.of("a", "b", new Socket()), 1);
    ExecutionException failed = assertThrows(ExecutionException.class, () -> later.get(30, TimeUnit.SECONDS));
    assertInstanceOf(PicklingException.class, failed.getCause());
    assertEquals(List.of(1, 2, 3), pool.mapAsync(x -> x + 1, range(3), 1).get(30, TimeUnit.SECONDS),
        "the pool still serves");
  }
}
