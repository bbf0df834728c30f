package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Manager: dict, list, namespace, queue, lock and event proxies across processes; a dying manager fails fast. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ManagerTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() throws Exception {
    mp.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm(), "shared-memory files left after close");
  }

  /** Child side: leaves its mark in each shared object. */
  static void record(int child, DictProxy<String, Integer> dict, ListProxy<Integer> list, NamespaceProxy namespace,
      LockProxy lock) {
    dict.put("child-" + child, child * 10);
    list.add(child);
    try (Guard held = lock.guard()) {
      int seen = namespace.has("count") ? namespace.<Integer>get("count") : 0;
      namespace.set("count", seen + 1);
    }
  }

  /** Child side: puts 1..n on the queue. */
  static void produce(QueueProxy<Integer> queue, int n) {
    ChildBodies.unchecked(() -> {
      for (int i = 1; i <= n; i++) {
        queue.put(i);
      }
    });
  }

  /** Child side: takes the managed lock and dies holding it. */
  static void holdManagedLock(LockProxy lock, Event holding) {
    ChildBodies.unchecked(lock::acquire);
    ChildBodies.announceThenIdle(holding);
  }

  @Test
  void dictListAndNamespaceAreSharedBySeveralChildren() throws Exception {
    try (Manager manager = mp.manager()) {
      DictProxy<String, Integer> dict = manager.dict();
      ListProxy<Integer> list = manager.list();
      NamespaceProxy namespace = manager.namespace();
      LockProxy lock = manager.lock();
      List<Process> children = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        int child = i;
        Process p = mp.process(() -> record(child, dict, list, namespace, lock));
        p.start();
        children.add(p);
      }
      for (Process p : children) {
        p.join();
        assertEquals(OptionalInt.of(0), p.exitCode(), p.remoteTraceback().orElse(""));
      }
      assertEquals(Map.of("child-0", 0, "child-1", 10, "child-2", 20), Map.copyOf(dict.copy()));
      List<Integer> sorted = new ArrayList<>(list.copy());
      sorted.sort(null);
      assertEquals(List.of(0, 1, 2), sorted);
      assertEquals(3, namespace.<Integer>get("count"));
    }
  }

  @Test
  void proxiesBehaveLikeTheirPythonCounterparts() throws Exception {
    try (Manager manager = mp.manager()) {
      DictProxy<Object, Object> dict = manager.dict();
      assertNull(dict.put("a", 1));
      assertEquals(1, dict.put("a", 2));
      dict.put(null, List.of("any", "serializable", 3.5));
      assertEquals(List.of("any", "serializable", 3.5), dict.get(null));
      assertEquals("x", dict.getOrDefault("missing", "x"));
      assertTrue(dict.containsKey("a"));
      dict.putAll(Map.of("b", 3L));
      assertEquals(3, dict.size());
      assertEquals(Arrays.asList("a", null, "b"), dict.keys());
      assertEquals(2, dict.remove("a"));
      assertEquals(2, dict.values().size());
      dict.clear();
      assertTrue(dict.isEmpty());
      assertThrows(PicklingException.class, () -> dict.put("thread", new Thread()));

      ListProxy<String> list = manager.list();
      list.add("x");
      list.addAll(List.of("y", "z"));
      list.add(0, "w");
      assertEquals("x", list.set(1, "X"));
      assertEquals(List.of("w", "X", "y", "z"), list.copy());
      assertEquals("w", list.remove(0));
      assertTrue(list.removeFirst("y"));
      assertEquals(1, list.indexOf("z"));
      assertThrows(IndexOutOfBoundsException.class, () -> list.get(5));
      // Python's indices: negative ones count from the end; insert clamps to the list.
      list.addAll(List.of("a", "b"));
      assertEquals(List.of("X", "z", "a", "b"), list.copy());
      assertEquals("b", list.get(-1));
      assertEquals("X", list.get(-4));
      assertThrows(IndexOutOfBoundsException.class, () -> list.get(-5));
      assertEquals("a", list.set(-2, "A"));
      assertEquals("b", list.remove(-1));
      list.add(-1, "before last");
      list.add(100, "end");
      list.add(-100, "start");
      assertEquals(List.of("start", "X", "z", "before last", "A", "end"), list.copy());
      assertThrows(IndexOutOfBoundsException.class, () -> list.set(-7, "past the start"));
      assertThrows(IndexOutOfBoundsException.class, () -> list.remove(6));
      assertThrows(IndexOutOfBoundsException.class, () -> list.remove(-7));
      assertEquals(List.of("start", "X", "z", "before last", "A", "end"), list.copy(),
          "a refused index changes nothing");

      NamespaceProxy namespace = manager.namespace();
      namespace.set("x", 1);
      assertEquals(1, namespace.<Integer>get("x"));
      assertThrows(NoSuchElementException.class, () -> namespace.get("y"));
      assertEquals(1, namespace.delete("x"));
      assertFalse(namespace.has("x"));

      QueueProxy<String> queue = manager.queue(1);
      queue.put("first");
      assertFalse(queue.offer("second", Duration.ofMillis(50)), "bounded and full");
      assertEquals(1, queue.size());
      assertEquals("first", queue.get());
      assertNull(queue.poll(Duration.ofMillis(50)));
      assertThrows(NullPointerException.class, () -> queue.put(null));

      LockProxy lock = manager.lock();
      assertTrue(lock.acquire(Duration.ofSeconds(5)));
      assertFalse(lock.acquire(Duration.ofMillis(50)), "not re-entrant");
      lock.release();
      assertThrows(IllegalStateException.class, lock::release);

      EventProxy event = manager.event();
      assertFalse(event.await(Duration.ofMillis(50)));
      event.set();
      assertTrue(event.isSet());
      event.await();
      assertTrue(event.await(Duration.ofSeconds(Long.MAX_VALUE)), "a timeout too long to count is no limit");
      event.clear();
      assertFalse(event.isSet());
      String described = dict.toString();
      assertTrue(described.startsWith("<DictProxy object, typeid 'dict' at SyncManager-1 (pid "), described);
    }
  }

  /** Python's rule, shared with {@code mp.queue(maxsize)}: a maxsize of 0 or less means unbounded. */
  @Test
  void aQueueWithAMaxsizeOfZeroOrLessIsUnbounded() throws Exception {
    try (Manager manager = mp.manager()) {
      for (int maxsize : new int[] {0, -1, Integer.MIN_VALUE}) {
        QueueProxy<Integer> queue = manager.queue(maxsize);
        for (int i = 0; i < 3; i++) {
          assertTrue(queue.offer(i, Duration.ZERO), "maxsize " + maxsize + ", item " + i);
        }
        assertEquals(3, queue.size());
      }
    }
  }

  @Test
  void aQueueCarriesItemsBetweenProcesses() throws Exception {
    try (Manager manager = mp.manager()) {
      QueueProxy<Integer> queue = manager.queue();
      Process producer = mp.process(() -> produce(queue, 200));
      producer.start();
      long sum = 0;
      for (int i = 0; i < 200; i++) {
        sum += queue.get();
      }
      producer.join();
      assertEquals(200 * 201 / 2, sum);
    }
  }

  @Test
  void whenTheManagerDiesProxiesFailFastWithAClearError() throws Exception {
    Manager manager = mp.manager();
    DictProxy<String, String> dict = manager.dict();
    QueueProxy<String> queue = manager.queue();
    dict.put("k", "v");
    CompletableFuture<String> blocked = CompletableFuture.supplyAsync(() -> {
      try {
        return queue.get();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, task -> new Thread(task, "blocked-in-queue-get").start());

    long killed = System.nanoTime();
    ProcessHandle.of(manager.pid()).orElseThrow().destroyForcibly();
    ExecutionException waiting = assertThrows(ExecutionException.class, () -> blocked.get(10, TimeUnit.SECONDS));
    System.err.println("[measure] manager killed -> blocked queue.get() failed: "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed) + " ms");
    assertInstanceOf(ManagerDiedException.class, waiting.getCause());

    long start = System.nanoTime();
    ManagerDiedException error = assertThrows(ManagerDiedException.class, () -> dict.put("k", "w"));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < 1000, "failed fast: " + millis + " ms");
    assertTrue(error.getMessage().contains("SyncManager-1"), error.getMessage());
    assertThrows(ManagerDiedException.class, manager::dict);
    manager.shutdown();
    assertThrows(IllegalStateException.class, manager::dict);
  }

  @Test
  void aManagerRestartedByPolicyStartsEmptyAndOldProxiesKeepFailing() throws Exception {
    Manager manager = mp.manager(ManagerOptions.defaults().withRestart(ManagerOptions.Restart.ON_FAILURE));
    DictProxy<String, Integer> old = manager.dict();
    old.put("a", 1);
    long firstPid = manager.pid();
    ProcessHandle.of(firstPid).orElseThrow().destroyForcibly();
    assertTrue(SharedFiles.awaitState(() -> manager.restarts() == 1, Duration.ofSeconds(60)), "restarted");
    assertNotEquals(firstPid, manager.pid());
    assertThrows(ManagerDiedException.class, () -> old.get("a"));
    DictProxy<String, Integer> fresh = manager.dict();
    assertNull(fresh.get("a"), "the new manager starts empty");
    fresh.put("a", 2);
    assertEquals(2, fresh.get("a"));
  }

  @Test
  void jvmOptionsThatAreNotOptionsAreRefused() {
    ManagerOptions defaults = ManagerOptions.defaults();
    assertThrows(NullPointerException.class, () -> defaults.withJvmOptions(null));
    IllegalArgumentException notAnOption =
        assertThrows(IllegalArgumentException.class, () -> defaults.withJvmOptions(List.of("Xmx1g")));
    assertTrue(notAnOption.getMessage().contains("Xmx1g"), notAnOption.getMessage());
    assertThrows(IllegalArgumentException.class, () -> defaults.withJvmOptions(Arrays.asList("-Xmx1g", null)));
    assertEquals(List.of("-Xmx1g"), defaults.withJvmOptions(List.of("-Xmx1g")).jvmOptions());
  }

  /**
   * shutdown() does not wait behind a restart in progress. The restarted manager's JVM is held at its
   * very start by HotSpot's PauseAtStartup (it waits while its pause file exists); the first one is not,
   * since its pause file's directory does not exist yet (the JVM then goes on at once). shutdown()
   * returns long before the restart's start timeout, and ends the paused JVM.
   */
  @Test
  void shutdownDoesNotWaitBehindARestartInProgress(@TempDir Path temp) throws Exception {
    Path pauses = temp.resolve("pauses");
    Path pauseFile = pauses.resolve("paused");
    Manager manager = mp.manager(ManagerOptions.defaults()
        .withRestart(ManagerOptions.Restart.ON_FAILURE)
        .withStartTimeout(Duration.ofSeconds(60))
        .withJvmOptions(List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:+PauseAtStartup",
            "-XX:PauseAtStartupFile=" + pauseFile)));
    Files.createDirectory(pauses);
    ProcessHandle.of(manager.pid()).orElseThrow().destroyForcibly();
    assertTrue(SharedFiles.awaitState(() -> Files.exists(pauseFile), Duration.ofSeconds(30)),
        "the restarted manager's JVM paused at its start");

    CompletableFuture<Void> shutdown = CompletableFuture.runAsync(manager::shutdown,
        task -> new Thread(task, "manager-shutdown").start());
    shutdown.get(15, TimeUnit.SECONDS);
    assertEquals(0, manager.restarts(), "the restart was given up");
    assertThrows(IllegalStateException.class, manager::dict);
  }

  @Test
  void aManagedLockHeldByAKilledProcessIsReleasedAndTheNextOwnerTold() throws Exception {
    try (Manager manager = mp.manager()) {
      LockProxy lock = manager.lock();
      Event holding = mp.event();
      Process p = mp.process(() -> holdManagedLock(lock, holding));
      p.start();
      assertTrue(holding.await(Duration.ofSeconds(30)));
      assertTrue(lock.isLocked());
      p.kill();
      assertTrue(lock.acquire(Duration.ofSeconds(10)));
      assertTrue(lock.previousOwnerDied());
      lock.release();
      p.join();
    }
  }

  @Test
  void anInterruptedWaitDoesNotReleaseAManagedLockItsThreadHolds() throws Exception {
    try (Manager manager = mp.manager()) {
      LockProxy lock = manager.lock();
      EventProxy never = manager.event();
      CompletableFuture<Throwable> waited = new CompletableFuture<>();
      java.util.concurrent.CountDownLatch locked = new java.util.concurrent.CountDownLatch(1);
      Thread holder = new Thread(() -> {
        try {
          lock.acquire();
          locked.countDown();
          never.await(Duration.ofSeconds(60));
          waited.complete(null);
        } catch (Throwable e) {
          waited.complete(e);
        }
      }, "holder");
      holder.start();
      assertTrue(locked.await(30, TimeUnit.SECONDS));
      // Interrupted while it waits for the manager's answer, which is what this covers. An interrupt
      // that closes the connection while the await is still being sent leaves the manager unable to
      // tell that the grant was read (see ManagerServer.Connection#closed): that window is not covered.
      awaitWaitingForTheManager(holder);
      holder.interrupt();
      assertInstanceOf(InterruptedException.class, waited.get(30, TimeUnit.SECONDS));
      holder.join(10_000);
      assertFalse(lock.acquire(Duration.ofSeconds(2)),
          "the manager released the lock of a live process whose thread was interrupted in another call");
      assertTrue(lock.isLocked());
      lock.release();
      assertTrue(lock.acquire(Duration.ofSeconds(10)));
      assertFalse(lock.previousOwnerDied(), "no process died");
      lock.release();
    }
  }

  /** Until {@code thread} is blocked reading a manager's answer (its request was sent). */
  private static void awaitWaitingForTheManager(Thread thread) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (Arrays.stream(thread.getStackTrace()).noneMatch(frame ->
        frame.getClassName().endsWith("internal.ManagerChannel") && frame.getMethodName().equals("receive"))) {
      assertTrue(System.nanoTime() < deadline, "the thread never waited for the manager's answer");
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  @Test
  void anAcquireGrantedAfterItsCallerWasInterruptedIsGivenBack() throws Exception {
    try (Manager manager = mp.manager()) {
      LockProxy lock = manager.lock();
      lock.acquire();
      CompletableFuture<Throwable> waited = new CompletableFuture<>();
      Thread waiter = new Thread(() -> {
        try {
          lock.acquire();
          waited.complete(null);
        } catch (Throwable e) {
          waited.complete(e);
        }
      }, "waiter");
      waiter.start();
      // Its call has been sent once it reads for the answer.
      assertTrue(SharedFiles.awaitState(() -> Arrays.stream(waiter.getStackTrace())
          .anyMatch(frame -> frame.getMethodName().equals("receive")), Duration.ofSeconds(10)));
      waiter.interrupt();
      assertInstanceOf(InterruptedException.class, waited.get(30, TimeUnit.SECONDS));
      lock.release();
      assertTrue(lock.acquire(Duration.ofSeconds(10)), "the interrupted waiter's grant kept the lock");
      assertFalse(lock.previousOwnerDied(), "no process died");
      lock.release();
    }
  }

  @Test
  void threadsThatEndDoNotKeepTheirConnectionsToTheManager() throws Exception {
    try (Manager manager = mp.manager()) {
      DictProxy<String, Integer> dict = manager.dict();
      dict.size();
      long before = openFiles();
      for (int i = 0; i < 40; i++) {
        Thread caller = new Thread(dict::size, "short-lived caller " + i);
        caller.start();
        caller.join(10_000);
      }
      long after = openFiles();
      assertTrue(after - before < 10, "each ended thread kept its socket to the manager: " + before + " open files"
          + " before 40 short-lived callers, " + after + " after");
    }
  }

  @Test
  void aManagedLockTakenByAThreadThatEndedStaysHeldUntilReleased() throws Exception {
    try (Manager manager = mp.manager()) {
      LockProxy lock = manager.lock();
      Thread taker = new Thread(() -> ChildBodies.unchecked(lock::acquire), "taker");
      taker.start();
      taker.join(30_000);
      Thread another = new Thread(lock::isLocked, "another caller");
      another.start();
      another.join(30_000);
      assertFalse(lock.acquire(Duration.ofMillis(500)), "the ended thread's lock was released behind its back");
      lock.release();
      assertTrue(lock.acquire(Duration.ofSeconds(10)));
      lock.release();
    }
  }

  @Test
  void aStartTimeoutTooLongToCountHasNoLimit() {
    try (Manager manager = mp.manager(ManagerOptions.defaults().withStartTimeout(Duration.ofSeconds(Long.MAX_VALUE)))) {
      DictProxy<String, Integer> dict = manager.dict();
      dict.put("started", 1);
      assertEquals(1, dict.get("started"));
    }
  }

  @Test
  void aCallThatWaitsForNothingButTheAnswerWorksWithTheInterruptStatusSetAndKeepsIt() throws Exception {
    try (Manager manager = mp.manager()) {
      CompletableFuture<String> outcome = CompletableFuture.supplyAsync(() -> {
        Thread.currentThread().interrupt();
        DictProxy<String, Integer> dict = manager.dict();
        dict.put("a", 1);
        Integer read = dict.get("a");
        return read + " interrupted=" + Thread.currentThread().isInterrupted();
      }, runnable -> new Thread(runnable, "interrupted caller").start());
      assertEquals("1 interrupted=true", outcome.get(30, TimeUnit.SECONDS));
    }
  }

  private static long openFiles() throws java.io.IOException {
    try (var files = Files.list(Path.of("/proc/self/fd"))) {
      return files.count();
    }
  }
}
