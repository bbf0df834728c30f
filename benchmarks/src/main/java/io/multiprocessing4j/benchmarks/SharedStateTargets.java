package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.Array;
import io.multiprocessing4j.Barrier;
import io.multiprocessing4j.Condition;
import io.multiprocessing4j.DictProxy;
import io.multiprocessing4j.Event;
import io.multiprocessing4j.Guard;
import io.multiprocessing4j.Lock;
import io.multiprocessing4j.RLock;
import io.multiprocessing4j.SerializableRunnable;
import io.multiprocessing4j.Value;
import java.nio.DoubleBuffer;

/**
 * The child-side bodies of the shared-state benches ({@code value_incr}, {@code array_writer},
 * {@code manager_dict_client}, {@code lock_pong}, {@code event_pong}, {@code cond_pong} of
 * {@code python_mp_bench.py}), in a class of their own for the reason {@link ChildTargets} gives.
 * Ported from {@code supervisor/src/test/.../SharedStateBenchmark} and {@code ManagerBenchmark}.
 */
final class SharedStateTargets {
  private SharedStateTargets() {}

  /** A child body that may throw: a failure makes the child exit non-zero, which the bench checks. */
  @FunctionalInterface
  interface Body extends java.io.Serializable {
    void run() throws Exception;
  }

  private static SerializableRunnable of(Body body) {
    return () -> {
      try {
        body.run();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }

  /**
   * Meets the parent at the barrier, then {@code n} × {@code with v.getLock(): v += 1} (or
   * {@code v.getAndAdd(1)} when not {@code locked}), then notes when it was done in {@code doneAt[slot]}.
   */
  static SerializableRunnable increment(Value.OfInt value, int n, Barrier start, boolean locked,
      Array.OfLong doneAt, int slot) {
    return of(() -> {
      start.await();
      if (locked) {
        RLock lock = value.getLock();
        for (int i = 0; i < n; i++) {
          lock.acquireUninterruptibly();
          try {
            value.set(value.get() + 1);
          } finally {
            lock.release();
          }
        }
      } else {
        for (int i = 0; i < n; i++) {
          value.getAndAdd(1);
        }
      }
      doneAt.set(slot, System.nanoTime());
    });
  }

  /** Fills the array under one lock and reports how long that took, in seconds. */
  static SerializableRunnable fill(Array.OfDouble array, Value.OfDouble seconds) {
    return of(() -> {
      long t0 = System.nanoTime();
      try (Guard held = array.getLock().guard()) {
        DoubleBuffer elements = array.asBuffer();
        for (int i = 0; i < array.length(); i++) {
          elements.put(i, i);
        }
      }
      seconds.set((System.nanoTime() - t0) / 1e9);
    });
  }

  /** {@code reps} × ({@code n} puts then {@code n} gets); (set s, get s) per repetition into {@code seconds}. */
  static SerializableRunnable dictClient(DictProxy<Integer, Integer> dict, int n, int reps, Array.OfDouble seconds) {
    return of(() -> {
      for (int rep = 0; rep < reps; rep++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          dict.put(i, i);
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          dict.get(i);
        }
        long t2 = System.nanoTime();
        seconds.set(2 * rep, (t1 - t0) / 1e9);
        seconds.set(2 * rep + 1, (t2 - t1) / 1e9);
      }
    });
  }

  static SerializableRunnable lockPong(Lock a, Lock b, int rounds) {
    return of(() -> {
      for (int i = 0; i < rounds; i++) {
        a.acquire();
        b.release();
      }
    });
  }

  static SerializableRunnable eventPong(Event e1, Event e2, int rounds) {
    return of(() -> {
      for (int i = 0; i < rounds; i++) {
        e1.await();
        e1.clear();
        e2.set();
      }
    });
  }

  static SerializableRunnable conditionPong(Condition condition, Value.OfInt turn, int rounds) {
    return of(() -> {
      try (Guard held = condition.guard()) {
        for (int i = 0; i < rounds; i++) {
          while (turn.get() != 1) {
            condition.await();
          }
          turn.set(0);
          condition.signal();
        }
      }
    });
  }
}
