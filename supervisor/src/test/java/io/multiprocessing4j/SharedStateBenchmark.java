package io.multiprocessing4j;

import java.io.IOException;
import java.nio.DoubleBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The shared-state benchmarks of ../shared/bench-ref/python_mp_bench.py, measured the same way and
 * printed in the same JSON-lines format ({@code bench}, {@code params}, {@code value} = median of the
 * repetitions, {@code unit}, {@code reps}, {@code stats}, {@code foreign_cpu_frac}), so that
 * compare.py can join the two outputs: value_increment, array_sum, lock_handoff (manager_dict_ops
 * lives in {@link ManagerBenchmark}). A main program, not a test: run it with the test class path,
 * e.g. {@code java -cp ... io.multiprocessing4j.SharedStateBenchmark [--quick] [--only a,b]}.
 */
public final class SharedStateBenchmark {
  private final boolean quick;
  private final Multiprocessing mp = Multiprocessing.create();

  private SharedStateBenchmark(boolean quick) {
    this.quick = quick;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    List<String> only = List.of();
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("--only")) {
        only = List.of(args[i + 1].split(","));
      }
    }
    SharedStateBenchmark bench = new SharedStateBenchmark(quick);
    try {
      if (only.isEmpty() || only.contains("value_increment")) {
        bench.valueIncrement(true);
        bench.valueIncrement(false);
      }
      if (only.isEmpty() || only.contains("array_sum")) {
        bench.arraySum();
      }
      if (only.isEmpty() || only.contains("lock_handoff")) {
        bench.lockHandoff();
      }
    } finally {
      bench.mp.close();
    }
  }

  private int reps() {
    return quick ? 2 : 5;
  }

  // ---------------------------------------------------------------------------------------------
  // value_increment

  /**
   * Child side of value_increment: optionally warm the JIT up on a private value, meet at the
   * barrier, increment, and record when it finished (System.nanoTime is CLOCK_MONOTONIC, one clock
   * for every process on the machine).
   */
  static void increment(Value.OfInt value, Value.OfInt scratch, int warmup, int n, Barrier start, boolean locked,
      Array.OfLong finishedAt, int slot) {
    ChildBodies.unchecked(() -> {
      incrementLoop(scratch, warmup, locked);
      start.await();
      incrementLoop(value, n, locked);
      finishedAt.set(slot, System.nanoTime());
    });
  }

  private static void incrementLoop(Value.OfInt value, int n, boolean locked) {
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
  }

  private void valueIncrement(boolean locked) throws Exception {
    for (int warmup : new int[] {0, 200_000}) {
      valueIncrement(locked, warmup);
    }
  }

  private void valueIncrement(boolean locked, int warmup) throws Exception {
    int n = quick ? 50_000 : 200_000;
    List<Double> rates = new ArrayList<>();
    List<Double> workRates = new ArrayList<>();
    CpuMeter cpu = new CpuMeter();
    for (int rep = 0; rep < reps(); rep++) {
      Value.OfInt value = mp.value(0);
      Barrier start = mp.barrier(3);
      Array.OfLong finishedAt = mp.rawArray(Array.LONG, 2);
      List<Process> processes = new ArrayList<>();
      for (int p = 0; p < 2; p++) {
        int slot = p;
        Value.OfInt scratch = mp.value(0);
        processes.add(mp.process(() -> increment(value, scratch, warmup, n, start, locked, finishedAt, slot)));
      }
      processes.forEach(Process::start);
      start.await();
      long t0 = System.nanoTime();
      for (Process p : processes) {
        p.join();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (value.get() != 2 * n) {
        throw new AssertionError("lost increments: " + value.get() + " != " + 2 * n);
      }
      rates.add(2 * n / seconds);
      workRates.add(2 * n / ((Math.max(finishedAt.get(0), finishedAt.get(1)) - t0) / 1e9));
    }
    String how = locked ? "with v.getLock(): v.set(v.get() + 1)  # Python: with v.get_lock(): v.value += 1"
        : "v.getAndAdd(1)  # lock-free, no Python equivalent";
    Map<String, Object> params = with(Map.of("start_method", "spawn", "processes", 2, "per_process", n,
        "final_total_correct", true), "how", how, "jit_warmup", warmup == 0 ? "none (fresh child JVMs, as Python)"
        : warmup + " of the same operations on a private value before the barrier");
    emit(warmup == 0 ? "value_increment" : "value_increment_warm", params, rates, "increments/s", cpu,
        "timed like Python: from the barrier to both joins (includes child JVM exit)");
    emit("value_increment_until_done", params, workRates, "increments/s", cpu,
        "extra: from the barrier to the last child's last increment (excludes exit)");
  }

  // ---------------------------------------------------------------------------------------------
  // array_sum

  /** Child side of array_sum: fill under one lock; report the time. */
  static void fill(Array.OfDouble array, Value.OfDouble seconds) {
    ChildBodies.unchecked(() -> {
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

  private void arraySum() throws Exception {
    int n = 1_000_000;
    double expected = (double) n * (n - 1) / 2;
    List<Double> allocate = new ArrayList<>();
    List<Double> write = new ArrayList<>();
    List<Double> sumLocked = new ArrayList<>();
    List<Double> sumPerElement = new ArrayList<>();
    CpuMeter cpu = new CpuMeter();
    for (int rep = 0; rep < reps(); rep++) {
      long t0 = System.nanoTime();
      Array.OfDouble array = mp.array(Array.DOUBLE, n);
      allocate.add(millisSince(t0));
      Value.OfDouble seconds = mp.rawValue(0.0);
      Process p = mp.process(() -> fill(array, seconds));
      p.start();
      p.join();
      write.add(seconds.get() * 1e3);

      t0 = System.nanoTime();
      double total = 0;
      try (Guard held = array.getLock().guard()) {
        DoubleBuffer elements = array.asBuffer();
        for (int i = 0; i < n; i++) {
          total += elements.get(i);
        }
      }
      sumLocked.add(millisSince(t0));
      check(total, expected);

      t0 = System.nanoTime();
      total = 0;
      for (int i = 0; i < n; i++) {
        total += array.get(i);
      }
      sumPerElement.add(millisSince(t0));
      check(total, expected);
    }
    Map<String, Object> base = Map.of("start_method", "spawn", "typecode", "d", "length", n);
    emit("array_sum", with(base, "phase", "parent_sum", "how",
        "with arr.getLock().guard(): sum of arr.asBuffer()  # Python: with arr.get_lock(): sum(arr.get_obj())"),
        sumLocked, "ms", cpu, null);
    emit("array_sum", with(base, "phase", "parent_sum", "how", "sum of arr.get(i)  # lock per element, as sum(arr)"),
        sumPerElement, "ms", cpu, null);
    emit("array_sum", with(base, "phase", "child_write", "how", "under one lock: a[i] = i loop"), write, "ms", cpu,
        null);
    emit("array_sum", with(base, "phase", "allocate", "how", "mp.array(Array.DOUBLE, N)"), allocate, "ms", cpu, null);
  }

  private static void check(double total, double expected) {
    if (total != expected) {
      throw new AssertionError("sum " + total + " != " + expected);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // lock_handoff

  static void lockPong(Lock a, Lock b, int rounds) {
    ChildBodies.unchecked(() -> {
      for (int i = 0; i < rounds; i++) {
        a.acquire();
        b.release();
      }
    });
  }

  static void eventPong(Event e1, Event e2, int rounds) {
    ChildBodies.unchecked(() -> {
      for (int i = 0; i < rounds; i++) {
        e1.await();
        e1.clear();
        e2.set();
      }
    });
  }

  static void conditionPong(Condition condition, Value.OfInt turn, int rounds) {
    ChildBodies.unchecked(() -> {
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

  private void lockHandoff() throws Exception {
    int n = quick ? 2_000 : 20_000;
    int reps = reps();
    Map<String, Object> base = Map.of("start_method", "spawn", "roundtrips", n);

    Lock a = mp.lock();
    Lock b = mp.lock();
    a.acquire();
    b.acquire();
    handoff(base, "Lock pair (cross-process release)", n, reps,
        () -> mp.process(() -> lockPong(a, b, n * (reps + 1))), () -> {
          a.release();
          b.acquire();
        });

    Event e1 = mp.event();
    Event e2 = mp.event();
    handoff(base, "Event pair (set/wait/clear)", n, reps,
        () -> mp.process(() -> eventPong(e1, e2, n * (reps + 1))), () -> {
          e1.set();
          e2.await();
          e2.clear();
        });

    Condition condition = mp.condition();
    Value.OfInt turn = mp.rawValue(0);
    condition.acquire();
    try {
      handoff(base, "Condition + RawValue turn", n, reps,
          () -> mp.process(() -> conditionPong(condition, turn, n * (reps + 1))), () -> {
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

  private interface RoundTrip {
    void run() throws Exception;
  }

  private void handoff(Map<String, Object> base, String primitive, int n, int reps, Supplier<Process> partner,
      RoundTrip roundTrip) throws Exception {
    CpuMeter cpu = new CpuMeter();
    Process p = partner.get();
    p.start();
    List<Double> rates = new ArrayList<>();
    for (int rep = 0; rep <= reps; rep++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        roundTrip.run();
      }
      if (rep > 0) {
        rates.add(2 * n / ((System.nanoTime() - t0) / 1e9));
      }
    }
    p.join();
    emit("lock_handoff", with(base, "primitive", primitive), rates, "handoffs/s", cpu, null);
  }

  // ---------------------------------------------------------------------------------------------
  // output

  static double millisSince(long t0) {
    return (System.nanoTime() - t0) / 1e6;
  }

  static Map<String, Object> with(Map<String, Object> base, String... keyValues) {
    Map<String, Object> params = new java.util.LinkedHashMap<>(base);
    for (int i = 0; i < keyValues.length; i += 2) {
      params.put(keyValues[i], keyValues[i + 1]);
    }
    return params;
  }

  static void emit(String bench, Map<String, Object> params, List<Double> samples, String unit, CpuMeter cpu,
      String note) {
    List<Double> sorted = new ArrayList<>(samples);
    sorted.sort(null);
    double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
        : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
    StringBuilder line = new StringBuilder("{\"bench\": \"").append(bench).append("\", \"params\": {");
    String separator = "";
    for (Map.Entry<String, Object> entry : new java.util.TreeMap<>(params).entrySet()) {
      line.append(separator).append('"').append(entry.getKey()).append("\": ").append(json(entry.getValue()));
      separator = ", ";
    }
    line.append("}, \"value\": ").append(number(median)).append(", \"unit\": \"").append(unit)
        .append("\", \"reps\": ").append(samples.size()).append(", \"stats\": {\"min\": ").append(number(sorted.get(0)))
        .append(", \"max\": ").append(number(sorted.get(sorted.size() - 1))).append("}, \"foreign_cpu_frac\": ")
        .append(number(cpu.foreignFraction()));
    if (note != null) {
      line.append(", \"note\": ").append(json(note));
    }
    if (bench.endsWith("_until_done") || bench.endsWith("_warm")) {
      line.append(", \"extra\": true");
    }
    System.out.println(line.append('}'));
  }

  private static String json(Object value) {
    if (value instanceof Number || value instanceof Boolean) {
      return value.toString();
    }
    return "\"" + value.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String number(double value) {
    return String.format(Locale.ROOT, "%.6g", value);
  }

  /**
   * The share of the machine's CPU that other processes used since creation: all busy time in
   * /proc/stat minus this JVM's and its children's (reaped and live), as python_mp_bench.py reports it.
   */
  static final class CpuMeter {
    private final long machineStart = machineBusyTicks();
    private final long totalStart = machineTotalTicks();
    private final long ownStart = ownTicks();

    double foreignFraction() {
      long total = machineTotalTicks() - totalStart;
      long foreign = machineBusyTicks() - machineStart - (ownTicks() - ownStart);
      return total <= 0 ? 0 : Math.max(0, (double) foreign / total);
    }

    private static long[] cpuLine() {
      try {
        String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        return Arrays.stream(fields).skip(1).mapToLong(Long::parseLong).toArray();
      } catch (IOException | RuntimeException e) {
        return new long[8];
      }
    }

    private static long machineTotalTicks() {
      return Arrays.stream(cpuLine()).limit(8).sum();
    }

    private static long machineBusyTicks() {
      long[] cpu = cpuLine();
      return machineTotalTicks() - cpu[3] - cpu[4];
    }

    private static long ownTicks() {
      long ticks = processTicks("self", true);
      for (ProcessHandle child : ProcessHandle.current().descendants().toList()) {
        ticks += processTicks(Long.toString(child.pid()), false);
      }
      return ticks;
    }

    private static long processTicks(String pid, boolean withReapedChildren) {
      try {
        String stat = Files.readString(Path.of("/proc", pid, "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        if (withReapedChildren) {
          ticks += Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
        }
        return ticks;
      } catch (IOException | RuntimeException gone) {
        return 0;
      }
    }
  }
}
