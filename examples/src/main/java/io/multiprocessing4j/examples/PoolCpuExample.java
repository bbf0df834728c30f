package io.multiprocessing4j.examples;

import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pool;
import java.util.List;
import java.util.stream.IntStream;

/**
 * What a pool is for: CPU-bound work on every core. Counts the primes below five million in slices,
 * in this JVM and on a pool of {@link Multiprocessing#cpuCount()} workers, twice each in turns, and prints
 * the speed-up of the best times (the ceiling is the number of cores).
 */
public final class PoolCpuExample {
  private static final int LIMIT = 5_000_000;
  private static final int SLICES = 64;

  private PoolCpuExample() {}

  /** The primes in {@code [from, to)}, by trial division: deliberately CPU-bound. */
  static int countPrimes(int from, int to) {
    int count = 0;
    for (int n = Math.max(2, from); n < to; n++) {
      boolean prime = true;
      for (int d = 2; (long) d * d <= n && prime; d++) {
        prime = n % d != 0;
      }
      count += prime ? 1 : 0;
    }
    return count;
  }

  static int countSlice(int slice) {
    return countPrimes(slice * (LIMIT / SLICES), (slice + 1) * (LIMIT / SLICES));
  }

  public static void main(String[] args) throws InterruptedException {
    List<Integer> slices = IntStream.range(0, SLICES).boxed().toList();
    try (Multiprocessing mp = Multiprocessing.create(); Pool pool = mp.pool()) {
      // Warm up both sides first, so the optimizing compiler has done its work before the timing.
      slices.forEach(PoolCpuExample::countSlice);
      pool.map(PoolCpuExample::countSlice, slices, 1);

      // Best of two, taken in turns: anything else using the CPU meanwhile (on a fresh machine, the
      // library's first class-data archive being made in the background) only ever slows a timing.
      long serialNanos = Long.MAX_VALUE;
      long poolNanos = Long.MAX_VALUE;
      int serial = 0;
      int parallel = 0;
      for (int round = 0; round < 2; round++) {
        long start = System.nanoTime();
        serial = slices.stream().mapToInt(PoolCpuExample::countSlice).sum();
        serialNanos = Math.min(serialNanos, System.nanoTime() - start);

        start = System.nanoTime();
        parallel = pool.map(PoolCpuExample::countSlice, slices, 1).stream().mapToInt(Integer::intValue).sum();
        poolNanos = Math.min(poolNanos, System.nanoTime() - start);
      }

      System.out.printf("primes below %,d: %,d (serial) = %,d (pool)%n", LIMIT, serial, parallel);
      System.out.printf("serial %d ms, pool of %d workers %d ms: speed-up %.2f on %d cores%n", serialNanos / 1_000_000,
          pool.processes(), poolNanos / 1_000_000, (double) serialNanos / poolNanos, Multiprocessing.cpuCount());
    }
  }
}
