package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.SerializableFunction;

/**
 * The functions pool workers run in the {@code pool_*} benches, as in {@code python_mp_bench.py}
 * ({@code square}, {@code trivial}, {@code cpu_work}). Kept in a class of their own for the reason
 * {@link ChildTargets} gives: a worker deserializing a method reference loads the class that made it.
 */
final class PoolTargets {
  private PoolTargets() {}

  /** {@code x * x}: Python's {@code square}. */
  static SerializableFunction<Integer, Integer> square() {
    return PoolTargets::squareOf;
  }

  /** Returns its argument: Python's {@code trivial}. */
  static SerializableFunction<Integer, Integer> trivial() {
    return PoolTargets::identity;
  }

  /** A pure CPU loop of {@code n} iterations: Python's {@code cpu_work}. */
  static SerializableFunction<Long, Long> cpuWork() {
    return PoolTargets::sumOfSquares;
  }

  /** Waits 0.1 s, then returns this worker's pid: Python's {@code getpid_slow}. */
  static SerializableFunction<Integer, Long> pidSlow() {
    return PoolTargets::pidAfterPause;
  }

  private static Long pidAfterPause(Integer ignored) {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return ProcessHandle.current().pid();
  }

  static long sumOfSquares(long n) {
    long s = 0;
    for (long i = 0; i < n; i++) {
      s += i * i;
    }
    return s;
  }

  private static Integer squareOf(Integer x) {
    return x * x;
  }

  private static Integer identity(Integer x) {
    return x;
  }
}
