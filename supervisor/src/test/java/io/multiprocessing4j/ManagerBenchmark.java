package io.multiprocessing4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * manager_dict_ops of ../shared/bench-ref/python_mp_bench.py, measured the same way: a child does
 * 10,000 {@code d[i] = i} then 10,000 {@code d[i]} on a manager dict, repetitions + 1 times (the first
 * is dropped as warm-up), timing itself; ops/s for set+get, set and get. Prints JSON lines like
 * {@link SharedStateBenchmark}. A main program: {@code java -cp ... io.multiprocessing4j.ManagerBenchmark [--quick]}.
 */
public final class ManagerBenchmark {
  private ManagerBenchmark() {}

  /** Child side: Python's manager_dict_client; records (set seconds, get seconds) per repetition. */
  static void client(DictProxy<Integer, Integer> dict, int n, int reps, Array.OfDouble seconds) {
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
  }

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    int reps = quick ? 2 : 5;
    int n = quick ? 1_000 : 10_000;
    try (Multiprocessing mp = Multiprocessing.create()) {
      SharedStateBenchmark.CpuMeter cpu = new SharedStateBenchmark.CpuMeter();
      long t0 = System.nanoTime();
      Manager manager = mp.manager();
      double startupMillis = SharedStateBenchmark.millisSince(t0);
      DictProxy<Integer, Integer> dict = manager.dict();
      Array.OfDouble seconds = mp.rawArray(Array.DOUBLE, 2 * (reps + 1));
      Process p = mp.process(() -> client(dict, n, reps + 1, seconds));
      p.start();
      p.join();
      if (dict.size() != n) {
        throw new AssertionError("dict has " + dict.size() + " keys, not " + n);
      }
      t0 = System.nanoTime();
      manager.shutdown();
      double shutdownMillis = SharedStateBenchmark.millisSince(t0);
      List<Double> combined = new ArrayList<>();
      List<Double> sets = new ArrayList<>();
      List<Double> gets = new ArrayList<>();
      for (int rep = 1; rep <= reps; rep++) {
        double set = seconds.get(2 * rep);
        double get = seconds.get(2 * rep + 1);
        combined.add(2 * n / (set + get));
        sets.add(n / set);
        gets.add(n / get);
      }
      Map<String, Object> base = Map.of("start_method", "spawn", "client", "child process", "keys", n);
      emit(base, "set+get", combined, cpu);
      emit(base, "set", sets, cpu);
      emit(base, "get", gets, cpu);
      System.out.println(String.format(java.util.Locale.ROOT, "{\"bench\": \"manager_startup\", \"params\": "
          + "{\"start_method\": \"spawn\"}, \"value\": %.1f, \"unit\": \"ms\", \"reps\": 1, \"extra\": true, "
          + "\"shutdown_ms\": %.1f}", startupMillis, shutdownMillis));
    }
  }

  private static void emit(Map<String, Object> base, String op, List<Double> rates, SharedStateBenchmark.CpuMeter cpu) {
    SharedStateBenchmark.emit("manager_dict_ops", SharedStateBenchmark.with(base, "op", op), rates, "ops/s", cpu, null);
  }
}
