package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Lock and RLock: Python's semantics, timeouts, cross-process release, and robustness to owner death. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LockTest {
  private static final Duration CHILD_BOOT = Duration.ofSeconds(30);

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() throws Exception {
    mp.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm(), "shared-memory files left after close");
  }

  /** Child side: takes the lock and dies holding it. */
  static void holdAndIdle(Lock lock, Event holding) {
    ChildBodies.unchecked(lock::acquire);
    ChildBodies.announceThenIdle(holding);
  }

  /** Child side: takes the re-entrant lock of a value twice, half-updates the value, and idles. */
  static void holdValueLockAndIdle(Value.OfInt value, Event holding) {
    ChildBodies.unchecked(() -> {
      value.getLock().acquire();
      value.getLock().acquire();
    });
    value.set(-1);
    ChildBodies.announceThenIdle(holding);
  }

  /** Child side: Python's lock_pong, two locks used as binary semaphores released across processes. */
  static void pong(Lock ping, Lock pongLock, int rounds) {
    ChildBodies.unchecked(() -> {
      for (int i = 0; i < rounds; i++) {
        ping.acquire();
        pongLock.release();
      }
    });
  }

  @Test
  void lockSemanticsAsInPython() throws Exception {
    Lock lock = mp.lock();
    assertEquals("<Lock(owner=None)>", lock.toString());
    assertThrows(IllegalStateException.class, lock::release, "releasing an unlocked lock");
    assertTrue(lock.tryAcquire());
    assertTrue(lock.isLocked());
    assertFalse(lock.tryAcquire(), "not re-entrant");
    long start = System.nanoTime();
    assertFalse(lock.acquire(Duration.ofMillis(100)), "the timeout passes while held (by this very thread)");
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(100));
    assertTrue(lock.toString().startsWith("<Lock(owner=pid " + ProcessHandle.current().pid()), lock.toString());

    // Any thread may release a Lock.
    CompletableFuture.runAsync(lock::release).get(10, TimeUnit.SECONDS);
    assertFalse(lock.isLocked());
    try (Guard held = lock.guard()) {
      assertTrue(lock.isLocked());
      assertFalse(held.previousOwnerDied());
    }
    assertFalse(lock.isLocked());
    assertTrue(lock.acquire(Duration.ZERO));
    lock.release();
  }

  /** Python's None and a Duration too long to count in nanoseconds both wait without a limit. */
  @Test
  void aTimeoutTooLongToCountWaitsWithoutALimit() throws Exception {
    Lock lock = mp.lock();
    lock.acquire();
    CompletableFuture<Boolean> acquirer = CompletableFuture.supplyAsync(() -> {
      try {
        return lock.acquire(Duration.ofSeconds(Long.MAX_VALUE));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertFalse(SharedFiles.awaitState(acquirer::isDone, Duration.ofMillis(200)), "the acquire waits");
    lock.release();
    assertTrue(acquirer.get(10, TimeUnit.SECONDS));
    lock.release();
    assertTrue(lock.acquire(null));
    lock.release();
  }

  @Test
  void rLockSemanticsAsInPython() throws Exception {
    RLock lock = mp.rLock();
    assertThrows(IllegalMonitorStateException.class, lock::release);
    lock.acquire();
    assertTrue(lock.tryAcquire());
    assertEquals(2, lock.getHoldCount());
    assertTrue(lock.isHeldByCurrentThread());
    assertFalse(CompletableFuture.supplyAsync(lock::tryAcquire).get(10, TimeUnit.SECONDS), "owned by another thread");
    ExecutionException notOwner = assertThrows(ExecutionException.class,
        () -> CompletableFuture.runAsync(lock::release).get(10, TimeUnit.SECONDS));
    assertInstanceOf(IllegalMonitorStateException.class, notOwner.getCause(), "only the owner may release an RLock");
    lock.release();
    assertEquals(1, lock.getHoldCount());
    lock.release();
    assertEquals(0, lock.getHoldCount());
    assertEquals("<RLock(None, 0)>", lock.toString());
    assertTrue(CompletableFuture.supplyAsync(() -> {
      try {
        return lock.acquire(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }).get(10, TimeUnit.SECONDS));
    assertFalse(lock.acquire(Duration.ofMillis(50)), "held by the pool thread; its task returned without releasing");
  }

  @Test
  void anInterruptedAcquireThrowsButAGuardWaitsAndKeepsTheInterrupt() throws Exception {
    Lock lock = mp.lock();
    lock.acquire();
    Thread.currentThread().interrupt();
    assertThrows(InterruptedException.class, lock::acquire);
    lock.release();
    assertFalse(lock.isLocked());

    lock.acquire();
    CompletableFuture<Boolean> keptInterrupt = new CompletableFuture<>();
    Thread waiter = new Thread(() -> {
      Thread.currentThread().interrupt();
      try (Guard held = lock.guard()) {
        keptInterrupt.complete(Thread.interrupted());
      }
    });
    waiter.start();
    assertFalse(SharedFiles.awaitState(keptInterrupt::isDone, Duration.ofMillis(200)),
        "the guard keeps waiting although its thread is interrupted");
    lock.release();
    assertTrue(keptInterrupt.get(10, TimeUnit.SECONDS), "the interrupt is kept for later");
  }

  @Test
  void locksHandedBackAndForthBetweenProcessesAsBinarySemaphores() throws Exception {
    Lock ping = mp.lock();
    Lock pong = mp.lock();
    ping.acquire();
    pong.acquire();
    int rounds = 2000;
    Process p = mp.process(() -> pong(ping, pong, rounds));
    p.start();
    for (int i = 0; i < rounds; i++) {
      ping.release();
      assertTrue(pong.acquire(CHILD_BOOT), "hand-off " + i);
    }
    p.join();
    assertEquals(OptionalInt.of(0), p.exitCode(), p.remoteTraceback().orElse(""));
  }

  @Test
  void whenTheOwnerIsKilledTheNextAcquirerProceedsAndIsTold() throws Exception {
    Lock lock = mp.lock();
    Event holding = mp.event();
    Process p = mp.process(() -> holdAndIdle(lock, holding));
    p.start();
    assertTrue(holding.await(CHILD_BOOT), "the child took the lock");
    assertFalse(lock.tryAcquire());

    long killed = System.nanoTime();
    p.kill();
    assertTrue(lock.acquire(Duration.ofSeconds(10)), "the lock of a dead owner is taken over");
    System.err.println("[measure] lock owner killed -> next acquire returned: "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed) + " ms");
    assertTrue(lock.previousOwnerDied(), "the new owner is told that the previous one died");
    lock.release();
    assertFalse(lock.previousOwnerDied(), "cleared on release");
    try (Guard held = lock.guard()) {
      assertFalse(held.previousOwnerDied());
    }
    p.join();
  }

  @Test
  void whenTheOwnerOfAValuesLockIsKilledTheNextUserProceedsAndIsTold() throws Exception {
    Value.OfInt value = mp.value(5);
    Event holding = mp.event();
    Process p = mp.process(() -> holdValueLockAndIdle(value, holding));
    p.start();
    assertTrue(holding.await(CHILD_BOOT), "the child took the value's lock");
    p.kill();
    try (Guard held = value.getLock().guard()) {
      assertTrue(held.previousOwnerDied());
      assertEquals(-1, value.get(), "the half-done update is visible, and the caller knows to repair it");
      assertEquals(1, value.getLock().getHoldCount(), "the dead owner's hold count is not inherited");
      value.set(5);
    }
    assertEquals(5, value.get());
    p.join();
  }

  /** Python's {@code acquire(False)} in a loop: a poller must not be left out where a waiter takes over. */
  @Test
  void tryAcquireTakesOverTheLockOfAKilledOwner() throws Exception {
    Lock lock = mp.lock();
    Event holding = mp.event();
    Process p = mp.process(() -> holdAndIdle(lock, holding));
    p.start();
    assertTrue(holding.await(CHILD_BOOT), "the child took the lock");
    p.kill();
    p.join();
    assertTrue(SharedFiles.awaitState(lock::tryAcquire, Duration.ofSeconds(10)),
        "tryAcquire never took over the lock of the dead owner");
    assertTrue(lock.previousOwnerDied());
    lock.release();
  }
}
