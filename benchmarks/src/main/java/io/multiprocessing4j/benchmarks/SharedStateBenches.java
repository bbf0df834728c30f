package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.Array;
import io.multiprocessing4j.Barrier;
import io.multiprocessing4j.Condition;
import io.multiprocessing4j.DictProxy;
import io.multiprocessing4j.Event;
import io.multiprocessing4j.Guard;
import io.multiprocessing4j.Lock;
import io.multiprocessing4j.Manager;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.SerializableRunnable;
import io.multiprocessing4j.StartMethod;
import io.multiprocessing4j.Value;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shared-state benches of {@code python_mp_bench.py} ({@code value_increment}, {@code array_sum},
 * {@code manager_dict_ops}, {@code lock_handoff}): same names, params and units, children started with
 * {@code spawn}. Ported from {@code SharedStateBenchmark} / {@code ManagerBenchmark} in the
 * supervisor's tests. {@code value_increment} is timed as Python's, from the barrier to both joins,
 * with fresh child JVMs (no JIT warm-up), so it includes the children's exit; a lock-free line follows.
 */
final class SharedStateBenches {
  private final Benches benches;

  SharedStateBenches(Benches benches) {
    this.benches = benches;
  }

  /**
   * {@code value_increment}: 2 processes × 200 000 × {@code with v.getLock(): v.set(v.get() + 1)}, then
   * the same with {@code v.getAndAdd(1)} (lock-free; Python has no equivalent, its line is compared
   * with Python's locked one); increments/s. Each line has {@code until_done}: the rate up to the last
   * child's last increment (children note {@code System.nanoTime()}, one clock for the machine), that
   * is without the children's exit, which the primary figure includes as Python's does; {@code per_rep}:
   * the primary figure of each repetition, in order; and {@code exit_ms}: per repetition, the time from
   * the last child's last increment until both {@code join()}s had returned (the children's exit, which
   * decides the spread of the lock-free line).
   */
  void valueIncrement() throws Exception {
    valueIncrement(true);
    valueIncrement(false);
  }

  private void valueIncrement(boolean locked) throws Exception {
    int reps = benches.reps(5, 2);
    int n = benches.size(200_000, 50_000);
    List<Double> rates = new ArrayList<>();
    List<Double> untilDone = new ArrayList<>();
    List<Double> exitMillis = new ArrayList<>();
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN)) {
      for (int rep = 0; rep < reps; rep++) {
        Value.OfInt value = mp.value(0);
        Barrier start = mp.barrier(3);
        Array.OfLong doneAt = mp.rawArray(Array.LONG, 2);
        List<Process> children = List.of(
            mp.process(SharedStateTargets.increment(value, n, start, locked, doneAt, 0)),
            mp.process(SharedStateTargets.increment(value, n, start, locked, doneAt, 1)));
        children.forEach(Process::start);
        start.await();
        long t0 = System.nanoTime();
        joinAll(children);
        long joined = System.nanoTime();
        double seconds = (joined - t0) / 1e9;
        Benches.check(value.get() == 2 * n, "lost increments: " + value.get() + " != " + 2 * n);
        rates.add(2 * n / seconds);
        long lastIncrement = Math.max(doneAt.get(0), doneAt.get(1));
        untilDone.add(2 * n / ((lastIncrement - t0) / 1e9));
        exitMillis.add(BenchLine.round((joined - lastIncrement) / 1e6, 2));
      }
    }
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("start_method", "spawn");
    params.put("processes", 2);
    params.put("per_process", n);
    params.put("final_total_correct", true);
    params.put("how", locked ? "with v.getLock(): v.set(v.get() + 1)" : "v.getAndAdd(1)  # lock-free, no Python equivalent");
    untilDone.sort(null);
    benches.emit(BenchLine.ofSamples("value_increment", params, rates, "increments/s")
        .with("until_done", untilDone.get(untilDone.size() / 2))
        .with("exit_ms", exitMillis));
  }

  /**
   * {@code array_sum}: an {@code Array.DOUBLE} of 1 000 000: the child fills it under one lock, the
   * parent sums it under the lock through the raw buffer and element by element (lock per element),
   * and the allocation; ms. The sum is checked.
   */
  void arraySum() throws Exception {
    int reps = benches.reps(5, 2);
    int n = 1_000_000;
    double expected = (double) n * (n - 1) / 2;
    List<Double> allocate = new ArrayList<>();
    List<Double> write = new ArrayList<>();
    List<Double> sumLocked = new ArrayList<>();
    List<Double> sumPerElement = new ArrayList<>();
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN)) {
      for (int rep = 0; rep < reps; rep++) {
        long t0 = System.nanoTime();
        Array.OfDouble array = mp.array(Array.DOUBLE, n);
        allocate.add(Benches.millisSince(t0));
        Value.OfDouble seconds = mp.rawValue(0.0);
        Process p = mp.process(SharedStateTargets.fill(array, seconds));
        p.start();
        joinAll(List.of(p));
        write.add(seconds.get() * 1e3);

        t0 = System.nanoTime();
        double total = 0;
        try (Guard held = array.getLock().guard()) {
          DoubleBuffer elements = array.asBuffer();
          for (int i = 0; i < n; i++) {
            total += elements.get(i);
          }
        }
        sumLocked.add(Benches.millisSince(t0));
        Benches.check(total == expected, "sum " + total + " != " + expected);

        t0 = System.nanoTime();
        total = 0;
        for (int i = 0; i < n; i++) {
          total += array.get(i);
        }
        sumPerElement.add(Benches.millisSince(t0));
        Benches.check(total == expected, "sum " + total + " != " + expected);
      }
    }
    arrayLine(n, "parent_sum", "with arr.getLock().guard(): sum of arr.asBuffer()", sumLocked);
    arrayLine(n, "parent_sum", "sum of arr.get(i)  # lock per element, as sum(arr)", sumPerElement);
    arrayLine(n, "child_write", "under one lock: a[i] = i loop", write);
    arrayLine(n, "allocate", "mp.array(Array.DOUBLE, N)", allocate);
  }

  private void arrayLine(int n, String phase, String how, List<Double> samples) {
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("start_method", "spawn");
    params.put("typecode", "d");
    params.put("length", n);
    params.put("phase", phase);
    params.put("how", how);
    benches.emit(BenchLine.ofSamples("array_sum", params, samples, "ms"));
  }

  /**
   * {@code manager_dict_ops}: a child does 10 000 {@code put(i, i)} then 10 000 {@code get(i)} on a
   * manager dict, reps + 1 times (the first dropped), timing itself; ops/s for set+get, set and get.
   */
  void managerDictOps() throws Exception {
    int reps = benches.reps(5, 2);
    int n = benches.size(10_000, 1_000);
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN)) {
      long t0 = System.nanoTime();
      Manager manager = mp.manager();
      double startupMs = Benches.millisSince(t0);
      DictProxy<Integer, Integer> dict = manager.dict();
      Array.OfDouble seconds = mp.rawArray(Array.DOUBLE, 2 * (reps + 1));
      Process p = mp.process(SharedStateTargets.dictClient(dict, n, reps + 1, seconds));
      p.start();
      joinAll(List.of(p));
      Benches.check(dict.size() == n, "dict has " + dict.size() + " keys, not " + n);
      t0 = System.nanoTime();
      manager.shutdown();
      double shutdownMs = Benches.millisSince(t0);
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
      dictLine(n, "set+get", combined);
      dictLine(n, "set", sets);
      dictLine(n, "get", gets);
      benches.emit(BenchLine.of("manager_startup", Map.of("start_method", "spawn"), startupMs, "ms")
          .with("reps", 1).extra().with("shutdown_ms", shutdownMs));
    }
  }

  private void dictLine(int n, String op, List<Double> rates) {
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("start_method", "spawn");
    params.put("client", "child process");
    params.put("keys", n);
    params.put("op", op);
    benches.emit(BenchLine.ofSamples("manager_dict_ops", params, rates, "ops/s"));
  }

  /** A parent-side round trip of {@code lock_handoff}. */
  @FunctionalInterface
  private interface RoundTrip {
    void run() throws Exception;
  }

  /**
   * {@code lock_handoff}: parent and child alternating through a Lock pair (released across processes),
   * an Event pair (set/await/clear), and a Condition with a shared turn; hand-offs/s (2 per round trip),
   * the first repetition discarded.
   */
  void lockHandoff() throws Exception {
    int reps = benches.reps(5, 2);
    int n = benches.size(20_000, 2_000);
    int rounds = n * (reps + 1);
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN)) {
      Lock a = mp.lock();
      Lock b = mp.lock();
      a.acquire();
      b.acquire();
      handoff(mp, "Lock pair (cross-process release)", n, reps, SharedStateTargets.lockPong(a, b, rounds), () -> {
        a.release();
        b.acquire();
      });

      Event e1 = mp.event();
      Event e2 = mp.event();
      handoff(mp, "Event pair (set/wait/clear)", n, reps, SharedStateTargets.eventPong(e1, e2, rounds), () -> {
        e1.set();
        e2.await();
        e2.clear();
      });

      Condition condition = mp.condition();
      Value.OfInt turn = mp.rawValue(0);
      condition.acquire();
      try {
        handoff(mp, "Condition + RawValue turn", n, reps, SharedStateTargets.conditionPong(condition, turn, rounds),
            () -> {
              turn.set(1);
              condition.signal();
              while (turn.get() != 0) {
                condition.await();
              }
            });
      } finally {
        condition.release();
      }
    }
  }

  private void handoff(Multiprocessing mp, String primitive, int n, int reps, SerializableRunnable partner,
      RoundTrip roundTrip) throws Exception {
    Process p = mp.process(partner);
    p.start();
    List<Double> rates = new ArrayList<>();
    try {
      for (int rep = 0; rep <= reps; rep++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          roundTrip.run();
        }
        if (rep > 0) {
          rates.add(2 * n / ((System.nanoTime() - t0) / 1e9));
        }
      }
    } catch (Exception | Error e) {
      p.kill();
      throw e;
    }
    joinAll(List.of(p));
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("start_method", "spawn");
    params.put("primitive", primitive);
    params.put("roundtrips", n);
    benches.emit(BenchLine.ofSamples("lock_handoff", params, rates, "handoffs/s"));
  }

  private static void joinAll(List<Process> children) throws InterruptedException {
    for (Process child : children) {
      Benches.joinWithin(child);
      Benches.check(child.exitCode().orElse(Integer.MIN_VALUE) == 0, child + " did not exit with 0");
    }
  }
}
