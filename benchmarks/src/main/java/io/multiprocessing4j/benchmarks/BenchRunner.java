package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.ProcessOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's main class: prints one JSON line per figure on stdout, in the format and with the
 * {@code bench} names and {@code params} of {@code shared/bench-ref/python_mp_bench.py}, plus a
 * {@code start_method} param naming ours, so {@code compare.py} can join the two outputs. Progress and
 * everything the children print go to stderr.
 *
 * <pre>
 * java -cp ... io.multiprocessing4j.benchmarks.BenchRunner [--quick] [--only a,b] [--reps N]
 *     [--retries N] [--max-foreign F] [--wait-quiet SECONDS] [--list]
 * </pre>
 *
 * <p>Exit status 0 when every selected bench ran, 1 when one failed (its stack trace is on stderr and
 * the others still run), 2 on a usage error. No child outlives the runner: each bench closes its
 * contexts, and at exit any descendant still alive is reported and killed.
 */
public final class BenchRunner {
  /** A bench body: runs on a {@link Benches} and emits its lines there. */
  @FunctionalInterface
  interface Body {
    void run(Benches benches) throws Exception;
  }

  /** One bench: its {@code --only} name, whether python_mp_bench.py has it too, and its body. */
  private record Bench(String name, boolean python, Body body) {}

  /** In Python's order (the JVM's floor beside the start-up benches it is the floor of). */
  private static final List<Bench> BENCHES = List.of(
      new Bench("process_start_join", true, Benches::processStartJoin),
      new Bench("process_start_first_msg", true, Benches::processStartFirstMsg),
      new Bench("jvm_floor", false, Benches::jvmFloor),
      new Bench("pool_startup", true, Benches::poolStartup),
      new Bench("pool_map_small", true, Benches::poolMapSmall),
      new Bench("pool_apply_async", true, Benches::poolApplyAsync),
      new Bench("pool_map_cpu", true, Benches::poolMapCpu),
      new Bench("pipe_pingpong", true, Benches::pipePingpong),
      new Bench("pipe_pingpong_children", false, Benches::pipePingpongChildren),
      new Bench("pipe_throughput", true, Benches::pipeThroughput),
      new Bench("queue_throughput", true, Benches::queueThroughput),
      new Bench("simplequeue_throughput", true, Benches::simplequeueThroughput),
      new Bench("joinablequeue_throughput", true, Benches::joinablequeueThroughput),
      new Bench("value_increment", true, Benches::valueIncrement),
      new Bench("array_sum", true, Benches::arraySum),
      new Bench("manager_dict_ops", true, Benches::managerDictOps),
      new Bench("lock_handoff", true, Benches::lockHandoff),
      new Bench("child_rss", true, Benches::childRss));

  private record Options(boolean quick, Set<String> only, Integer reps, int retries, double maxForeign,
      double waitQuietSeconds, boolean list) {}

  private BenchRunner() {}

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("BenchRunner: " + e.getMessage());
      System.err.println("usage: BenchRunner [--quick] [--only a,b] [--reps N] [--retries N] [--max-foreign F]"
          + " [--wait-quiet SECONDS] [--list]");
      System.exit(2);
      return;
    }
    if (options.list()) {
      // For run-side-by-side.sh: which benches exist, and which Python can run too.
      BENCHES.forEach(b -> System.out.println(b.name() + "\t" + (b.python() ? "python" : "java-only")));
      return;
    }
    // The library copies children's output line by line to System.out, looked up per line: send it to
    // stderr, so stdout carries nothing but the JSON lines.
    PrintStream json = System.out;
    System.setOut(System.err);
    int status;
    try {
      status = run(options, json);
    } finally {
      System.setOut(json);
      killStragglers();
    }
    json.flush();
    System.exit(status);
  }

  private static int run(Options options, PrintStream json) throws Exception {
    double busy = CpuAccounting.busyFraction(1000);
    if (busy > 0.10) {
      progress(String.format("WARNING: machine already %.0f%% busy before the benchmark starts; "
          + "numbers will be perturbed by other load", busy * 100));
    }
    long runStart = System.nanoTime();
    json.println(meta(options, busy).toJson());
    Benches benches = new Benches(options.quick(), options.reps());
    int status = 0;
    for (Bench bench : BENCHES) {
      if (!options.only().isEmpty() && !options.only().contains(bench.name())) {
        continue;
      }
      List<BenchLine> best = null;
      double bestFraction = Double.MAX_VALUE;
      try {
        for (int attempt = 1; attempt <= 1 + options.retries(); attempt++) {
          waitQuiet(options.waitQuietSeconds());
          CpuAccounting.Snapshot before = CpuAccounting.snapshot();
          long t0 = System.nanoTime();
          List<BenchLine> lines = benches.run(bench.body());
          double wall = (System.nanoTime() - t0) / 1e9;
          CpuAccounting.Snapshot after = CpuAccounting.snapshot();
          double foreign = CpuAccounting.foreignSeconds(before, after);
          double fraction = CpuAccounting.foreignFraction(before, after, wall);
          progress(String.format("%s attempt %d done in %.1fs (CPU used by other processes meanwhile: "
              + "%.2fs = %.0f%% of the machine)", bench.name(), attempt, wall, foreign, fraction * 100));
          if (fraction < bestFraction) {
            best = lines;
            bestFraction = fraction;
          }
          if (fraction < options.maxForeign()) {
            break;
          }
        }
      } catch (Exception e) {
        progress(bench.name() + " FAILED:");
        e.printStackTrace();
        status = 1;
        continue;
      }
      for (BenchLine line : best) {
        json.println(line.foreignCpuFrac(bestFraction).toJson());
      }
      json.flush();
    }
    json.println(BenchLine.of("meta_total_runtime", Map.of("quick", options.quick()),
            (System.nanoTime() - runStart) / 1e9, "s")
        .extra().with("loadavg_after", loadavg()).with("cpu_busy_fraction_after", CpuAccounting.busyFraction(1000))
        .toJson());
    return status;
  }

  private static BenchLine meta(Options options, double busy) {
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("java", System.getProperty("java.runtime.version"));
    params.put("vm", System.getProperty("java.vm.name"));
    params.put("platform", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    params.put("machine", System.getProperty("os.arch"));
    params.put("nproc", Runtime.getRuntime().availableProcessors());
    params.put("start_methods", StartMethods.MEASURED.stream().map(StartMethods::param).toList());
    params.put("child_jvm_options", String.join(" ", ProcessOptions.DEFAULT_JVM_OPTIONS));
    params.put("runner_jvm_options", String.join(" ",
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
    params.put("cpu_busy_fraction_before", busy);
    params.put("loadavg_before", loadavg());
    params.put("quick", options.quick());
    if (System.getProperty("mp4j.bench.source") != null) {
      params.put("source", System.getProperty("mp4j.bench.source")); // e.g. `git describe --dirty`
    }
    params.put("date_utc", LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toString());
    return BenchLine.of("meta", params, null, null).extra();
  }

  /** Waits (at most {@code seconds}) until the machine is under 10% busy, as Python's --wait-quiet does. */
  private static void waitQuiet(double seconds) throws InterruptedException {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (seconds > 0 && System.nanoTime() < deadline && CpuAccounting.busyFraction(1000) > 0.10) {
      // Sampling takes the second.
    }
  }

  /** Any descendant still alive now is a bug in a bench: say so, and kill it by its handle. */
  private static void killStragglers() {
    List<ProcessHandle> alive = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
    for (ProcessHandle p : alive) {
      progress("WARNING: child pid " + p.pid() + " still alive at exit (" + p.info().command().orElse("?")
          + "); killing it");
      p.destroyForcibly();
    }
    for (ProcessHandle p : alive) {
      try {
        p.onExit().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        progress("WARNING: pid " + p.pid() + " did not exit after SIGKILL within 5 s");
      }
    }
  }

  private static List<String> loadavg() {
    try {
      return Arrays.asList(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")).subList(0, 3);
    } catch (IOException e) {
      return List.of();
    }
  }

  private static void progress(String message) {
    System.err.println("# " + message);
  }

  private static Options parse(String[] args) {
    boolean quick = false;
    boolean list = false;
    Set<String> only = new LinkedHashSet<>();
    Integer reps = null;
    int retries = 0;
    double maxForeign = 0.05;
    double waitQuiet = 0;
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    while (!rest.isEmpty()) {
      String arg = rest.remove(0);
      switch (arg) {
        case "--quick" -> quick = true;
        case "--list" -> list = true;
        case "--only" -> only.addAll(Arrays.stream(value(arg, rest).split(",")).filter(s -> !s.isBlank()).toList());
        case "--reps" -> reps = positive(arg, Integer.parseInt(value(arg, rest)));
        case "--retries" -> retries = Integer.parseInt(value(arg, rest));
        case "--max-foreign" -> maxForeign = Double.parseDouble(value(arg, rest));
        case "--wait-quiet" -> waitQuiet = Double.parseDouble(value(arg, rest));
        default -> throw new IllegalArgumentException("unknown argument " + arg);
      }
    }
    Set<String> known = new LinkedHashSet<>(BENCHES.stream().map(Bench::name).toList());
    for (String name : only) {
      if (!known.contains(name)) {
        throw new IllegalArgumentException("unknown bench '" + name + "'; choose from " + String.join(", ", known));
      }
    }
    return new Options(quick, only, reps, retries, maxForeign, waitQuiet, list);
  }

  private static String value(String option, List<String> rest) {
    if (rest.isEmpty()) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return rest.remove(0);
  }

  private static int positive(String option, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(option + " must be at least 1");
    }
    return value;
  }
}
