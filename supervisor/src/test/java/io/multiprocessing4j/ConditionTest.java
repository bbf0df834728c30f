package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Condition: await/signal/signalAll/awaitFor (Python's wait/notify/notify_all/wait_for) across processes. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConditionTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() throws Exception {
    mp.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm(), "shared-memory files left after close");
  }

  /**
   * Child side, the producer: puts 1..n into a one-slot mailbox ({@code box}, 0 = empty), waiting
   * for the consumer to empty it each time.
   */
  static void produce(Condition condition, Value.OfInt box, int n) {
    ChildBodies.unchecked(() -> {
      for (int i = 1; i <= n; i++) {
        try (Guard held = condition.guard()) {
          condition.awaitFor(() -> box.get() == 0);
          box.set(i);
          condition.signalAll();
        }
      }
    });
  }

  @Test
  void producerAndConsumerInTwoProcesses() throws Exception {
    Condition condition = mp.condition();
    Value.OfInt box = mp.rawValue(0);
    int n = 500;
    Process producer = mp.process(() -> produce(condition, box, n));
    producer.start();
    long sum = 0;
    for (int i = 1; i <= n; i++) {
      try (Guard held = condition.guard()) {
        assertTrue(condition.awaitFor(() -> box.get() != 0, Duration.ofSeconds(30)), "item " + i);
        sum += box.getAndSet(0);
        condition.signalAll();
      }
    }
    producer.join();
    assertEquals(OptionalInt.of(0), producer.exitCode(), producer.remoteTraceback().orElse(""));
    assertEquals((long) n * (n + 1) / 2, sum);
  }

  @Test
  void waitingAndSignallingNeedTheLock() {
    Condition condition = mp.condition(mp.lock());
    assertThrows(IllegalMonitorStateException.class, condition::await);
    assertThrows(IllegalMonitorStateException.class, condition::signal);
    assertThrows(IllegalMonitorStateException.class, condition::signalAll);
  }

  @Test
  void aTimedOutAwaitReturnsFalseWithTheLockHeldAsBefore() throws Exception {
    RLock lock = mp.rLock();
    Condition condition = mp.condition(lock);
    lock.acquire();
    lock.acquire();
    long start = System.nanoTime();
    assertFalse(condition.await(Duration.ofMillis(100)));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(100));
    assertEquals(2, lock.getHoldCount(), "the hold count is restored");
    assertFalse(condition.awaitFor(() -> false, Duration.ofMillis(20)));
    assertTrue(condition.awaitFor(() -> true, Duration.ZERO));
    assertTrue(condition.awaitFor(() -> true, Duration.ofSeconds(Long.MAX_VALUE)),
        "a timeout too long to count in nanoseconds is no limit, not an ArithmeticException");
    lock.release();
    lock.release();
    assertEquals("<Condition(<RLock(None, 0)>, 0)>", condition.toString());
  }

  @Test
  void signalWakesTheLongestWaitingFirstAndSignalAllWakesEveryone() throws Exception {
    Condition condition = mp.condition();
    ConcurrentLinkedQueue<String> woken = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<Void>> waiters = new ArrayList<>();
    for (String name : List.of("first", "second", "third")) {
      int before = condition.waiters();
      waiters.add(CompletableFuture.runAsync(() -> ChildBodies.unchecked(() -> {
        try (Guard held = condition.guard()) {
          assertTrue(condition.await(Duration.ofSeconds(30)));
          woken.add(name);
        }
      }), runnable -> new Thread(runnable).start()));
      assertTrue(SharedFiles.awaitState(() -> condition.waiters() == before + 1, Duration.ofSeconds(10)));
    }
    try (Guard held = condition.guard()) {
      condition.signal();
    }
    waiters.get(0).get(10, TimeUnit.SECONDS);
    assertEquals(List.of("first"), List.copyOf(woken));
    try (Guard held = condition.guard()) {
      condition.signalAll();
    }
    for (CompletableFuture<Void> waiter : waiters) {
      waiter.get(10, TimeUnit.SECONDS);
    }
    assertEquals(3, woken.size());
    assertEquals(0, condition.waiters());
  }

  /** Child side: waits on the condition, having said so while it held the lock; it is killed waiting. */
  static void waitUntilKilled(Condition condition, Event waiting) {
    ChildBodies.unchecked(() -> {
      condition.acquire();
      waiting.set();
      condition.await(Duration.ofMinutes(2));
    });
  }

  @Test
  void aSignalThatPickedAWaiterKilledWhileWaitingWakesALiveOne() throws Exception {
    Condition condition = mp.condition();
    Event waiting = mp.event();
    Process p = mp.process(() -> waitUntilKilled(condition, waiting));
    p.start();
    assertTrue(waiting.await(Duration.ofSeconds(30)));
    try (Guard held = condition.guard()) {
      assertEquals(1, condition.waiters(), "the child waits: it let go of the lock");
    }
    p.kill();
    p.join();
    CompletableFuture<Boolean> live = CompletableFuture.supplyAsync(() -> {
      try (Guard held = condition.guard()) {
        return condition.await(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, runnable -> new Thread(runnable, "live waiter").start());
    assertTrue(SharedFiles.awaitState(() -> condition.waiters() == 2, Duration.ofSeconds(10)));
    try (Guard held = condition.guard()) {
      condition.signal();
    }
    assertTrue(live.get(30, TimeUnit.SECONDS), "the only signal went to the dead child's place in the queue");
  }
}
