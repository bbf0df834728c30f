package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.Connection;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pool;
import io.multiprocessing4j.Pipe;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.ProcessOptions;
import io.multiprocessing4j.StartMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The library's figures, one method per bench, each measuring what the same-named bench of
 * {@code python_mp_bench.py} measures, once per start method ({@link StartMethods}). Every figure is a
 * whole child JVM, so it is timed from outside with {@link System#nanoTime()}; JMH has nothing to add
 * here. A context opened for a bench is closed before the bench returns, and every child it started is
 * gone by then.
 */
final class Benches {
  /** The longest any single step may take before the bench fails instead of hanging. */
  private static final Duration STEP_LIMIT = Duration.ofSeconds(60);
  /** Python's child_rss reads memory 0.3 s after the child reported in; so do we. */
  private static final long SETTLE_MILLIS = 300;
  static final int CHILDREN_SHARING = 4;
  private static final long SETTLE_LIMIT_MILLIS = 10_000;

  private final boolean quick;
  private final Integer repsOverride;
  private final List<BenchLine> lines = new ArrayList<>();

  Benches(boolean quick, Integer repsOverride) {
    this.quick = quick;
    this.repsOverride = repsOverride;
  }

  /** Runs one bench and returns the lines it produced. */
  List<BenchLine> run(BenchRunner.Body body) throws Exception {
    lines.clear();
    body.run(this);
    return List.copyOf(lines);
  }

  /** Timed repetitions (after one discarded warm-up): {@code --reps}, else the Python script's count. */
  int reps(int full, int quickReps) {
    return repsOverride != null ? repsOverride : quick ? quickReps : full;
  }

  /** A size or count: Python's {@code self.q(full, quick)}. Not changed by {@code --reps}. */
  int size(int full, int quickSize) {
    return quick ? quickSize : full;
  }

  void emit(BenchLine line) {
    lines.add(line);
  }

  /** {@code process_start_join}: {@code mp.process(noop)}, {@code start()}, {@code join()}; ms. */
  void processStartJoin() throws Exception {
    for (StartMethod method : StartMethods.MEASURED) {
      long opened = System.nanoTime();
      try (Multiprocessing mp = StartMethods.open(method)) {
        double contextMs = millisSince(opened);
        Rep startJoin = () -> {
          long t0 = System.nanoTime();
          Process p = mp.process(ChildTargets.noop());
          p.start();
          joinWithin(p);
          double ms = millisSince(t0);
          check(p.exitCode().orElse(Integer.MIN_VALUE) == 0, p + " did not exit with 0");
          return ms;
        };
        emitStartUp("process_start_join", method, startJoin, contextMs);
      }
    }
  }

  /**
   * {@code process_start_first_msg}: {@code mp.process(...)} and {@code start()} until the parent has
   * {@code recv()}d the child's first message on a one-way {@link Pipe}, made before the clock starts;
   * ms. As Python: {@code r, w = Pipe(duplex=False)}, the child sends 1 on {@code w}.
   */
  void processStartFirstMsg() throws Exception {
    for (StartMethod method : StartMethods.MEASURED) {
      long opened = System.nanoTime();
      try (Multiprocessing mp = StartMethods.open(method)) {
        double contextMs = millisSince(opened);
        Rep firstMessage = () -> {
          Pipe<Integer> pipe = mp.pipe(false);
          long t0 = System.nanoTime();
          Process p = mp.process(ChildTargets.sendFirstMessage(pipe.conn2()));
          p.start();
          check(pipe.conn1().poll(STEP_LIMIT), "no first message within " + STEP_LIMIT + " from " + p);
          Integer first = pipe.conn1().recv();
          double ms = millisSince(t0);
          check(Integer.valueOf(1).equals(first), "first message was " + first);
          pipe.conn2().close();
          joinWithin(p);
          pipe.conn1().close();
          return ms;
        };
        emitStartUp("process_start_first_msg", method, firstMessage, contextMs);
      }
    }
  }

  /** One timed start-up; returns milliseconds. */
  @FunctionalInterface
  private interface Rep {
    double run() throws Exception;
  }

  /**
   * Times {@code rep} after one discarded warm-up, as Python does, each repetition starting once this
   * runner's process tree is idle (see {@link #settle()}), and emits the line. For {@code warm} it also
   * emits a back-to-back line: repetitions with no pause, where an idle agent may still be booting.
   */
  private void emitStartUp(String bench, StartMethod method, Rep rep, double contextMs) throws Exception {
    int reps = reps(30, 6);
    List<Double> settled = new ArrayList<>();
    List<Double> settleWaits = new ArrayList<>();
    for (int i = 0; i <= reps; i++) {
      settleWaits.add(settle());
      double ms = rep.run();
      if (i > 0) {
        settled.add(ms);
      }
    }
    emit(BenchLine.ofSamples(bench, Map.of("start_method", StartMethods.param(method)), settled, "ms")
        .with("between_reps", "waited until the runner's process tree was idle")
        .with("settle_wait_max_ms", Collections.max(settleWaits))
        .with("context_create_ms", contextMs));
    if (method == StartMethod.WARM) {
      List<Double> backToBack = new ArrayList<>();
      for (int i = 0; i <= reps; i++) {
        double ms = rep.run();
        if (i > 0) {
          backToBack.add(ms);
        }
      }
      Map<String, Object> params = new LinkedHashMap<>();
      params.put("start_method", StartMethods.param(method));
      params.put("between_reps", "none (back to back)");
      emit(BenchLine.ofSamples(bench, params, backToBack, "ms"));
    }
  }

  /**
   * Waits until this runner's process tree (the runner and every child, idle agents and class-data
   * training runs included) used under 10% of a CPU over 200 ms, at most {@link #SETTLE_LIMIT_MILLIS};
   * returns how long it waited, in ms. So a repetition measures a start with the context's background
   * work done (warm agents booted, the AppCDS archive made), not the tail of the previous repetition.
   */
  static double settle() throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + SETTLE_LIMIT_MILLIS * 1_000_000L;
    while (System.nanoTime() < deadline) {
      double before = CpuAccounting.snapshot().ownSeconds();
      Thread.sleep(200);
      if (CpuAccounting.snapshot().ownSeconds() - before < 0.02) {
        break;
      }
    }
    return millisSince(t0);
  }

  /**
   * {@code child_rss}: VmRSS of an idle child (with PSS as extra fields), then PSS per child with
   * {@value #CHILDREN_SHARING} idle children alive at once, which is what the shared class-data archive
   * saves; also this runner's own RSS, as Python reports its driver's.
   */
  void childRss() throws Exception {
    boolean parentReported = false;
    for (StartMethod method : StartMethods.MEASURED) {
      try (Multiprocessing mp = StartMethods.open(method)) {
        settle();
        if (!parentReported) {
          long self = ProcessHandle.current().pid();
          Map<String, Double> rss = ProcMemory.rss(self);
          emit(BenchLine.of("child_rss", Map.of("process", "parent (benchmark driver, for reference)"),
                  rss.get("VmRSS"), "MiB")
              .with("breakdown", BenchLine.round2(rss))
              .with("pss_mib", ProcMemory.pss(self).get("Pss"))
              .with("note", "the runner JVM, measured after Multiprocessing.create()"));
          parentReported = true;
        }
        List<IdleChild> one = startIdle(mp, 1);
        try {
          long pid = one.get(0).pid();
          Map<String, Double> rss = ProcMemory.rss(pid);
          Map<String, Double> pss = ProcMemory.pss(pid);
          Map<String, Object> params = new LinkedHashMap<>(); // in Python's key order
          params.put("process", "idle Process child");
          params.put("start_method", StartMethods.param(method));
          emit(BenchLine.of("child_rss", params, rss.get("VmRSS"), "MiB")
              .with("breakdown", BenchLine.round2(rss))
              .with("pss_mib", pss.get("Pss"))
              .with("pss_breakdown", BenchLine.round2(pss))
              .with("child_jvms_alive", liveChildJvms()));
        } finally {
          stop(one);
        }
        List<IdleChild> several = startIdle(mp, CHILDREN_SHARING);
        try {
          List<Double> psses = new ArrayList<>();
          List<Double> rsses = new ArrayList<>();
          Map<String, Double> firstPss = null;
          for (IdleChild child : several) {
            Map<String, Double> pss = ProcMemory.pss(child.pid());
            firstPss = firstPss == null ? pss : firstPss;
            psses.add(pss.get("Pss"));
            rsses.add(ProcMemory.rss(child.pid()).get("VmRSS"));
          }
          Map<String, Object> params = new LinkedHashMap<>();
          params.put("process", "idle Process child, PSS per child, " + CHILDREN_SHARING + " alive at once");
          params.put("start_method", StartMethods.param(method));
          params.put("children_alive", CHILDREN_SHARING);
          emit(BenchLine.of("child_rss", params, BenchLine.median(psses), "MiB")
              .spread(psses)
              .with("child_jvms_alive", liveChildJvms())
              .with("vmrss_median_mib", BenchLine.median(rsses))
              .with("pss_breakdown", BenchLine.round2(firstPss)));
        } finally {
          stop(several);
        }
      }
    }
    poolWorkerRss();
  }

  /**
   * {@code child_rss} of pool workers as Python measures them: a 2-worker pool maps a 0.1 s task that
   * returns the worker's pid over 4 items (chunksize 1, so both workers run some), then RSS 0.2 s later.
   * Pools start their workers with spawn (see {@code PoolOptions}), so there is one line.
   */
  private void poolWorkerRss() throws Exception {
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN); Pool pool = mp.pool(2)) {
      List<Long> pids = new ArrayList<>(new TreeSet<>(
          pool.map(PoolTargets.pidSlow(), List.of(0, 1, 2, 3), 1)));
      Thread.sleep(200);
      List<Double> rsses = new ArrayList<>();
      List<Double> psses = new ArrayList<>();
      Map<String, Double> first = null;
      for (long pid : pids) {
        Map<String, Double> rss = ProcMemory.rss(pid);
        first = first == null ? rss : first;
        rsses.add(rss.get("VmRSS"));
        psses.add(ProcMemory.pss(pid).get("Pss"));
      }
      Map<String, Object> params = new LinkedHashMap<>(); // in Python's key order
      params.put("process", "Pool worker (after trivial map)");
      params.put("start_method", "spawn");
      params.put("workers_sampled", rsses.size());
      emit(BenchLine.of("child_rss", params, BenchLine.median(rsses), "MiB")
          .with("breakdown", BenchLine.round2(first))
          .with("pss_mib", BenchLine.median(psses)));
    }
  }

  /** Every JVM alive shares the archive's pages, so PSS depends on how many: with warm, idle agents count too. */
  private static long liveChildJvms() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count();
  }

  /** {@code pool_*}: see {@link PoolBenches}. */
  void poolStartup() throws Exception {
    new PoolBenches(this).poolStartup();
  }

  void poolMapSmall() throws Exception {
    new PoolBenches(this).poolMapSmall();
  }

  void poolApplyAsync() throws Exception {
    new PoolBenches(this).poolApplyAsync();
  }

  void poolMapCpu() throws Exception {
    new PoolBenches(this).poolMapCpu();
  }

  /** {@code pipe_*} and {@code *queue_throughput}: see {@link ChannelBenches}. */
  void pipePingpong() throws Exception {
    new ChannelBenches(this).pipePingpong();
  }

  void pipePingpongChildren() throws Exception {
    new ChannelBenches(this).pipePingpongChildren();
  }

  void pipeThroughput() throws Exception {
    new ChannelBenches(this).pipeThroughput();
  }

  void queueThroughput() throws Exception {
    new ChannelBenches(this).queueThroughput();
  }

  void simplequeueThroughput() throws Exception {
    new ChannelBenches(this).simplequeueThroughput();
  }

  void joinablequeueThroughput() throws Exception {
    new ChannelBenches(this).joinablequeueThroughput();
  }

  /** Shared state and synchronization: see {@link SharedStateBenches}. */
  void valueIncrement() throws Exception {
    new SharedStateBenches(this).valueIncrement();
  }

  void arraySum() throws Exception {
    new SharedStateBenches(this).arraySum();
  }

  void managerDictOps() throws Exception {
    new SharedStateBenches(this).managerDictOps();
  }

  void lockHandoff() throws Exception {
    new SharedStateBenches(this).lockHandoff();
  }

  /** The JVM's own floor, measured in the same run: see {@link JvmFloor}. */
  void jvmFloor() throws Exception {
    JvmFloor.measure(this);
  }

  /** An idle child and the parent's end of its duplex pipe. */
  private record IdleChild(Process process, Connection<Object> conn, long pid) {}

  /**
   * Starts {@code n} idle children, each with a duplex pipe as Python's {@code idle_child}, waits for
   * every one's pid, then lets them settle for {@value #SETTLE_MILLIS} ms as Python does.
   */
  private List<IdleChild> startIdle(Multiprocessing mp, int n) throws Exception {
    List<Process> started = new ArrayList<>();
    List<Connection<Object>> conns = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        Pipe<Object> pipe = mp.pipe();
        // Daemon, so an idle child halts with this JVM even if the runner itself is killed.
        Process p = mp.process(ChildTargets.idle(pipe.conn2()), ProcessOptions.defaults().withDaemon(true));
        p.start();
        pipe.conn2().close();
        started.add(p);
        conns.add(pipe.conn1());
      }
      List<IdleChild> children = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Connection<Object> conn = conns.get(i);
        check(conn.poll(STEP_LIMIT), started.get(i) + " did not report in within " + STEP_LIMIT);
        children.add(new IdleChild(started.get(i), conn, ((Number) conn.recv()).longValue()));
      }
      Thread.sleep(SETTLE_MILLIS);
      return children;
    } catch (Exception | Error e) {
      started.forEach(Process::terminate);
      conns.forEach(Connection::close);
      for (Process p : started) {
        joinWithin(p);
      }
      throw e;
    }
  }

  /** Tells each child to stop (Python sends "bye") and waits until each has exited. */
  private static void stop(List<IdleChild> children) throws InterruptedException {
    for (IdleChild child : children) {
      try {
        child.conn().send("bye");
      } catch (RuntimeException gone) {
        child.process().terminate();
      }
    }
    for (IdleChild child : children) {
      joinWithin(child.process());
      child.conn().close();
    }
  }

  /** Joins {@code p}, killing it if it has not exited within the step limit. */
  static void joinWithin(Process p) throws InterruptedException {
    if (!p.join(STEP_LIMIT)) {
      p.kill();
      p.join(STEP_LIMIT);
      throw new IllegalStateException(p + " did not exit within " + STEP_LIMIT + "; killed");
    }
  }

  static double millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e6;
  }

  static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }
}
