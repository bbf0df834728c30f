package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing a context is Python's interpreter exit: daemon children are terminated (gone within 2 s),
 * non-daemon children are joined; nothing waits for ever on what the context held.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ContextCloseTest {
  private static final Duration CHILD_BOOT = Duration.ofSeconds(30);

  private final Multiprocessing mp = Multiprocessing.create();

  @TempDir
  Path dir;

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /**
   * Threads waiting on the context's locks, semaphores, events, conditions and barriers wake with an
   * IllegalStateException when it closes, as waiting queue and pipe calls are refused; they used to
   * wait for ever on memory no process shares any more.
   */
  @Test
  void threadsWaitingOnSynchronizationPrimitivesWakeWhenTheContextCloses() throws Exception {
    Multiprocessing other = Multiprocessing.create();
    Lock lock = other.lock();
    lock.acquire();
    Semaphore semaphore = other.semaphore(0);
    Event event = other.event();
    Condition condition = other.condition();
    Barrier barrier = other.barrier(2);
    ExecutorService threads = Executors.newCachedThreadPool(task -> {
      Thread thread = new Thread(task);
      thread.setDaemon(true);
      return thread;
    });
    try {
      List<Future<?>> waits = new ArrayList<>();
      waits.add(threads.submit(() -> ChildBodies.unchecked(lock::acquire)));
      waits.add(threads.submit(() -> ChildBodies.unchecked(semaphore::acquire)));
      waits.add(threads.submit(() -> ChildBodies.unchecked(event::await)));
      waits.add(threads.submit(() -> ChildBodies.unchecked(() -> {
        try (Guard held = condition.guard()) {
          condition.await();
        }
      })));
      waits.add(threads.submit(() -> ChildBodies.unchecked(barrier::await)));
      assertFalse(SharedFiles.awaitState(() -> waits.stream().anyMatch(Future::isDone), Duration.ofMillis(200)),
          "every thread waits");
      other.close();
      for (Future<?> wait : waits) {
        ExecutionException woken = assertThrows(ExecutionException.class, () -> wait.get(10, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, woken.getCause());
        assertTrue(woken.getCause().getMessage().contains("context that created it is closed"),
            woken.getCause().getMessage());
      }
      assertThrows(IllegalStateException.class, lock::tryAcquire, "the handle refuses its released block");
    } finally {
      threads.shutdownNow();
    }
  }

  /** Child side: announces itself and runs until {@code release} exists. */
  static void announceAndWait(String token, String release) {
    System.out.println("running " + token);
    ChildSide.awaitFile(release);
  }

  @Test
  void daemonChildIsTerminatedWhenTheContextCloses() throws Exception {
    String token = "t" + System.nanoTime();
    String release = dir.resolve("release").toString();
    try (StdCapture out = StdCapture.stdout()) {
      Process daemon = mp.process(() -> announceAndWait(token, release), ProcessOptions.defaults().withDaemon(true));
      daemon.start();
      out.awaitLine("running " + token, CHILD_BOOT);

      long t0 = System.nanoTime();
      mp.close();
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.err.println("[measure] context close with one busy daemon child: " + ms + " ms");

      assertFalse(daemon.isAlive());
      assertEquals(OptionalInt.of(-15), daemon.exitCode());
      assertTrue(ms < 2000, "daemon children are gone within 2 s of close: " + ms + " ms");
    }
  }

  @Test
  void nonDaemonChildIsJoinedWhenTheContextCloses() throws Exception {
    String token = "t" + System.nanoTime();
    String release = dir.resolve("release").toString();
    try (StdCapture out = StdCapture.stdout()) {
      Process worker = mp.process(() -> announceAndWait(token, release));
      worker.start();
      out.awaitLine("running " + token, CHILD_BOOT);

      CompletableFuture<Void> closing = CompletableFuture.runAsync(mp::close);
      assertThrows(TimeoutException.class, () -> closing.get(300, TimeUnit.MILLISECONDS),
          "close() waits for a running non-daemon child");
      assertTrue(worker.isAlive(), "close() does not stop a non-daemon child");

      ChildSide.touch(release);
      closing.get(10, TimeUnit.SECONDS);
      assertEquals(OptionalInt.of(0), worker.exitCode(), "the child finished its target normally");
    }
  }
}
