package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pool;
import io.multiprocessing4j.PoolOptions;
import io.multiprocessing4j.ProcessOptions;
import io.multiprocessing4j.StartMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

/**
 * The {@code pool_*} benches of {@code python_mp_bench.py}, same names, params and units. Throughput
 * benches use one pool whose workers have started and run a warm-up map before the clock starts, as
 * Python's do, plus one discarded repetition per configuration: the workers' JIT (C2, see
 * {@link PoolOptions#DEFAULT_WORKER_JVM_OPTIONS}) needs that warm-up, which CPython does not.
 */
final class PoolBenches {
  private static final int PROCESSES = 2;
  private static final Duration AGENTS_LIMIT = Duration.ofSeconds(60);
  /** Maps of N the pool has run before the steady-state line of {@code pool_map_small} is timed. */
  private static final int STEADY_AFTER_MAPS = 40;

  private static volatile long sink;

  private final Benches benches;

  PoolBenches(Benches benches) {
    this.benches = benches;
  }

  /**
   * {@code pool_startup}: {@code mp.pool(2)} until {@code map(square, [1, 2])} returns; ms, with
   * {@code close_join_median_ms} ({@code close()}: Python's {@code close(); join()}). Each repetition
   * after the context's background work has settled, 1 warm-up discarded, as the start-up benches.
   * <ul>
   *   <li>{@code spawn}, default pool options: fresh worker JVMs, the figure for a fresh context.</li>
   *   <li>{@code warm}: a context whose idle agents are booted (awaited before each repetition).
   *       Pool workers take warm agents only when launched with the agents' flags
   *       ({@link ProcessOptions#DEFAULT_JVM_OPTIONS}, C1 only); the default worker flags keep C2, so a
   *       default pool spawns even in a warm context. The line says so in {@code worker_jvm_options}.</li>
   * </ul>
   */
  void poolStartup() throws Exception {
    startUp(StartMethod.SPAWN, PoolOptions.defaults().withProcesses(PROCESSES), null);
    startUp(StartMethod.WARM, PoolOptions.defaults().withProcesses(PROCESSES)
        .withJvmOptions(ProcessOptions.DEFAULT_JVM_OPTIONS), "ProcessOptions.DEFAULT_JVM_OPTIONS (takes warm agents)");
  }

  private void startUp(StartMethod method, PoolOptions options, String workerFlags) throws Exception {
    int reps = benches.reps(15, 3);
    long opened = System.nanoTime();
    try (Multiprocessing mp = StartMethods.open(method)) {
      double contextMs = Benches.millisSince(opened);
      List<Double> samples = new ArrayList<>();
      List<Double> teardown = new ArrayList<>();
      List<Double> settleWaits = new ArrayList<>();
      for (int i = 0; i <= reps; i++) {
        settleWaits.add(Benches.settle());
        if (method == StartMethod.WARM) {
          Benches.check(mp.awaitWarmAgents(AGENTS_LIMIT), "warm agents not ready within " + AGENTS_LIMIT);
        }
        long t0 = System.nanoTime();
        Pool pool = mp.pool(options);
        List<Integer> result;
        try {
          result = pool.map(PoolTargets.square(), List.of(1, 2));
        } catch (Exception | Error e) {
          pool.terminate();
          throw e;
        }
        double ms = Benches.millisSince(t0);
        long t1 = System.nanoTime();
        pool.close();
        double closeMs = Benches.millisSince(t1);
        Benches.check(result.equals(List.of(1, 4)), "map(square, [1, 2]) gave " + result);
        if (i > 0) {
          samples.add(ms);
          teardown.add(closeMs);
        }
      }
      Map<String, Object> params = new LinkedHashMap<>();
      params.put("start_method", StartMethods.param(method));
      params.put("processes", PROCESSES);
      if (workerFlags != null) {
        params.put("worker_jvm_options", workerFlags);
      }
      benches.emit(BenchLine.ofSamples("pool_startup", params, samples, "ms")
          .with("close_join_median_ms", BenchLine.median(teardown))
          .with("context_create_ms", contextMs)
          .with("settle_wait_max_ms", Collections.max(settleWaits)));
    }
  }

  /**
   * {@code pool_map_small}: {@code map(square, range(N))}, N=100 000 default chunksize, N=10 000 chunksize 1; items/s.
   * Then N=100 000 again on the same pool once it has run {@value #STEADY_AFTER_MAPS} maps of that
   * size, so the JVMs' JIT has settled; {@code compare.py} sets it beside Python's one line, which is
   * CPython's steady state (it has no JIT to warm).
   */
  void poolMapSmall() throws Exception {
    int reps = benches.reps(7, 3);
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN); Pool pool = mp.pool(PROCESSES)) {
      pool.map(PoolTargets.square(), range(1000)); // warm-up, as Python's
      int large = benches.size(100_000, 20_000);
      int[][] cases = {{large, 0}, {benches.size(10_000, 2_000), 1}};
      for (int[] c : cases) {
        benches.emit(BenchLine.ofSamples("pool_map_small", mapParams(c[0], c[1]), timedMaps(pool, c[0], c[1], reps),
            "items/s"));
      }
      List<Integer> items = range(large);
      for (int i = reps + 1; i < STEADY_AFTER_MAPS; i++) {
        pool.map(PoolTargets.square(), items);
      }
      Map<String, Object> params = mapParams(large, 0);
      params.put("pool_warmed_by", STEADY_AFTER_MAPS + " maps of N (JIT settled; Python's line: one map of 1000)");
      benches.emit(BenchLine.ofSamples("pool_map_small", params, timedMaps(pool, large, 0, reps), "items/s"));
    }
  }

  /** {@code reps} timed maps of {@code range(n)} (chunksize 0: the default), after one discarded; items/s each. */
  private static List<Double> timedMaps(Pool pool, int n, int chunksize, int reps) throws Exception {
    List<Integer> items = range(n);
    List<Double> rates = new ArrayList<>();
    for (int r = 0; r <= reps; r++) {
      long t0 = System.nanoTime();
      List<Integer> res = chunksize == 0 ? pool.map(PoolTargets.square(), items)
          : pool.map(PoolTargets.square(), items, chunksize);
      double seconds = (System.nanoTime() - t0) / 1e9;
      Benches.check(res.size() == n && res.get(n - 1) == (n - 1) * (n - 1), "wrong map result");
      if (r > 0) {
        rates.add(n / seconds);
      }
    }
    return rates;
  }

  private static Map<String, Object> mapParams(int n, int chunksize) {
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("start_method", "spawn");
    params.put("processes", PROCESSES);
    params.put("N", n);
    params.put("chunksize", chunksize == 0 ? "default" : chunksize);
    return params;
  }

  /** {@code pool_apply_async}: 10 000 × {@code applyAsync(trivial, i)}, then every result; tasks/s. */
  void poolApplyAsync() throws Exception {
    int reps = benches.reps(7, 3);
    int n = benches.size(10_000, 2_000);
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN); Pool pool = mp.pool(PROCESSES)) {
      applyAll(pool, 200); // warm-up, as Python's
      List<Double> rates = new ArrayList<>();
      for (int r = 0; r <= reps; r++) {
        long t0 = System.nanoTime();
        int last = applyAll(pool, n);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Benches.check(last == n - 1, "last result " + last);
        if (r > 0) {
          rates.add(n / seconds);
        }
      }
      Map<String, Object> params = new LinkedHashMap<>();
      params.put("start_method", "spawn");
      params.put("processes", PROCESSES);
      params.put("tasks", n);
      benches.emit(BenchLine.ofSamples("pool_apply_async", params, rates, "tasks/s"));
    }
  }

  private static int applyAll(Pool pool, int n) throws Exception {
    List<CompletableFuture<Integer>> futures = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      futures.add(pool.applyAsync(PoolTargets.trivial(), i));
    }
    int last = -1;
    for (CompletableFuture<Integer> f : futures) {
      last = f.get();
    }
    return last;
  }

  /**
   * {@code pool_map_cpu}: 10 items of a pure-Java loop calibrated in this JVM to ~50 ms each,
   * {@code map(cpuWork, items, chunksize=1)} on 2 workers against the same loop run serially here;
   * speed-up = median serial / median parallel (ceiling 2.0).
   */
  void poolMapCpu() throws Exception {
    int reps = benches.reps(5, 2);
    int k = benches.size(5, 2);
    long n0 = 20_000_000L;
    for (int i = 0; i < 5; i++) { // let the JIT compile the loop before calibrating, as the workers will
      sink += PoolTargets.sumOfSquares(n0);
    }
    double t = Double.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      t = Math.min(t, timeSeconds(n0));
    }
    long n = (long) (n0 * 0.050 / t);
    t = Double.MAX_VALUE; // once more at the target size: the first estimate may include compilation
    for (int i = 0; i < 3; i++) {
      t = Math.min(t, timeSeconds(n));
    }
    n = (long) (n * 0.050 / t);
    double itemMs = Double.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      itemMs = Math.min(itemMs, timeSeconds(n) * 1e3);
    }
    List<Long> items = Collections.nCopies(2 * k, n);
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN); Pool pool = mp.pool(PROCESSES)) {
      pool.map(PoolTargets.square(), List.of(1, 2));
      List<Double> ser = new ArrayList<>();
      List<Double> par = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      for (int r = 0; r <= reps; r++) {
        long t0 = System.nanoTime();
        List<Long> serial = new ArrayList<>();
        for (long x : items) {
          serial.add(PoolTargets.sumOfSquares(x));
        }
        double s = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        List<Long> parallel = pool.map(PoolTargets.cpuWork(), items, 1);
        double p = (System.nanoTime() - t0) / 1e9;
        Benches.check(serial.equals(parallel), "serial and parallel results differ");
        if (r > 0) { // the first repetition warms the workers' JIT
          ser.add(s);
          par.add(p);
          ratios.add(s / p);
        }
      }
      Map<String, Object> params = new LinkedHashMap<>();
      params.put("start_method", "spawn");
      params.put("processes", PROCESSES);
      params.put("items", 2 * k);
      params.put("item_ms", BenchLine.round(itemMs, 1));
      params.put("iters_per_item", n);
      benches.emit(BenchLine.of("pool_map_cpu", params, BenchLine.median(ser) / BenchLine.median(par), "speedup")
          .samples(ratios)
          .with("serial_median_ms", BenchLine.median(ser) * 1e3)
          .with("parallel_median_ms", BenchLine.median(par) * 1e3)
          .with("ceiling", 2.0));
    }
  }

  private static double timeSeconds(long n) {
    long t0 = System.nanoTime();
    sink += PoolTargets.sumOfSquares(n); // used, so the JIT cannot drop the loop
    return (System.nanoTime() - t0) / 1e9;
  }

  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }
}
