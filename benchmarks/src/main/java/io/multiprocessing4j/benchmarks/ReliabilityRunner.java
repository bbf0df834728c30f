package io.multiprocessing4j.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the failure-mode probes of {@code shared/bench-ref/python_mp_reliability.py} against
 * multiprocessing4j and prints the same JSON lines ({@code {"probe", "outcome", "detail", "variant"}}),
 * so the two outputs can be joined on probe and variant. Where a Java variant stands in for a Python
 * variant of another name, its {@code detail} names that variant under {@code python_counterpart}.
 *
 * <pre>
 *   ReliabilityRunner                     all probes
 *   ReliabilityRunner --only a,b          these probes
 *   ReliabilityRunner --probe NAME        one probe in this JVM (what the driver runs in each child JVM)
 * </pre>
 *
 * <p>As Python's driver does, every probe runs in its own child JVM (plain {@link ProcessBuilder}, this
 * JVM's class path) under a hard time limit; while it runs, the driver keeps every process that ever
 * descended from it (processes a probe orphans are re-parented away from it, so a final look would miss
 * them), and afterwards SIGKILLs, by pid, any of them still alive. The last line ({@code _cleanup})
 * lists what it had to kill. Stdout carries only JSON lines; progress goes to stderr.
 */
public final class ReliabilityRunner {
  private ReliabilityRunner() {}

  /** A probe body, run inside its own JVM. */
  interface Probe {
    void run() throws Exception;
  }

  private record Entry(Probe probe, int limitSeconds) {}

  /**
   * Python's probes, in Python's order, with Python's limits; parent_killed_orphans gets 120 s (Python's:
   * 60), as it watches the orphans for 20 s, for two start methods.
   */
  private static final Map<String, Entry> PROBES = new LinkedHashMap<>();

  static {
    PROBES.put("pool_worker_killed", new Entry(PoolProbes::poolWorkerKilled, 90));
    PROBES.put("parent_killed_orphans", new Entry(OrphanProbe::parentKilledOrphans, 120));
    PROBES.put("unpicklable_arg", new Entry(ProcessProbes::unpicklableArg, 90));
    PROBES.put("exception_in_worker", new Entry(PoolProbes::exceptionInWorker, 90));
    PROBES.put("terminate_running", new Entry(ProcessProbes::terminateRunning, 60));
    PROBES.put("queue_join_deadlock", new Entry(ChannelProbes::queueJoinDeadlock, 90));
    PROBES.put("pipe_concurrent_writers", new Entry(ChannelProbes::pipeConcurrentWriters, 120));
    PROBES.put("listener_authkey", new Entry(StrangerProbe::listenerAuthkey, 90));
    PROBES.put("daemon_child_spawn", new Entry(ProcessProbes::daemonChildSpawn, 60));
    PROBES.put("maxtasksperchild", new Entry(PoolProbes::maxTasksPerChild, 120));
  }

  private static final String LINE_PREFIX = "{\"probe\": ";
  private static final long TRACK_INTERVAL_MS = 100;

  public static void main(String[] args) throws Exception {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--only" -> {
          for (String name : argument(args, ++i).split(",")) {
            if (!name.isBlank()) {
              names.add(name.strip());
            }
          }
        }
        case "--probe" -> runInThisJvm(argument(args, ++i));
        case "--victim-parent" -> OrphanProbe.victimParent(argument(args, ++i));
        case "--list" -> {
          PROBES.keySet().forEach(System.out::println);
          return;
        }
        default -> usage("unknown argument " + args[i]);
      }
    }
    for (String name : names) {
      if (!PROBES.containsKey(name)) {
        usage("unknown probe " + name + "; choose from " + String.join(", ", PROBES.keySet()));
      }
    }
    drive(names.isEmpty() ? new ArrayList<>(PROBES.keySet()) : names);
  }

  private static String argument(String[] args, int i) {
    if (i >= args.length) {
      usage(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private static void usage(String problem) {
    System.err.println("ReliabilityRunner: " + problem);
    System.err.println("usage: ReliabilityRunner [--only a,b] | --list");
    System.exit(2);
  }

  /** Runs one probe here, then exits however the library's children are doing (bounded). */
  private static void runInThisJvm(String name) {
    Entry entry = PROBES.get(name);
    if (entry == null) {
      usage("unknown probe " + name);
    }
    int status = 0;
    try {
      entry.probe().run();
    } catch (Throwable e) {
      e.printStackTrace();
      status = 1;
    }
    System.out.flush();
    // A context left open keeps this JVM up while a non-daemon child runs; the driver's clean-up is
    // the backstop, but a probe JVM must end on its own: halt if the exit itself hangs.
    Thread halt = new Thread(() -> {
      Probes.sleep(10_000);
      Runtime.getRuntime().halt(3);
    }, "probe-exit-watchdog");
    halt.setDaemon(true);
    halt.start();
    System.exit(status);
  }

  /** Command line of a JVM that runs this class with {@code args}, on this JVM's class path. */
  static List<String> javaCommand(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ReliabilityRunner.class.getName());
    Collections.addAll(command, args);
    return command;
  }

  private static void drive(List<String> names) throws Exception {
    Map<String, Object> strays = new LinkedHashMap<>();
    long tAll = System.nanoTime();
    for (String name : names) {
      int limit = PROBES.get(name).limitSeconds();
      long t0 = System.nanoTime();
      java.lang.Process probe = new ProcessBuilder(javaCommand("--probe", name))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      probe.getOutputStream().close();
      List<String> lines = Collections.synchronizedList(new ArrayList<>());
      Thread reader = new Thread(() -> readLines(probe, lines), "probe-stdout");
      reader.setDaemon(true);
      reader.start();
      Map<Long, ProcessHandle> seen = new LinkedHashMap<>();
      long deadline = t0 + TimeUnit.SECONDS.toNanos(limit);
      while (!probe.waitFor(TRACK_INTERVAL_MS, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline) {
        probe.descendants().forEach(h -> seen.putIfAbsent(h.pid(), h));
      }
      boolean timedOut = probe.isAlive();
      if (timedOut) {
        probe.descendants().forEach(h -> seen.putIfAbsent(h.pid(), h));
        probe.destroyForcibly();
        probe.waitFor(10, TimeUnit.SECONDS);
      }
      reader.join(5_000);
      List<String> probeLines;
      synchronized (lines) {
        probeLines = new ArrayList<>(lines);
      }
      probeLines.forEach(System.out::println);
      System.out.flush();
      if (timedOut) {
        Probes.out(name, "probe_timeout", Probes.detail("limit_s", limit), null);
      } else if (probe.exitValue() != 0 || probeLines.isEmpty()) {
        Probes.out(name, "probe_error", Probes.detail("returncode", probe.exitValue()), null);
      }
      Probes.sleep(500);
      List<Object> left = new ArrayList<>();
      for (ProcessHandle h : seen.values()) {
        if (h.isAlive() && Probes.alive(h.pid())) { // the handle checks the start time: a reused pid is not ours
          left.add(Probes.detail("pid", h.pid(), "cmd", Probes.cmdline(h.pid())));
          h.destroyForcibly();
        }
      }
      if (!left.isEmpty()) {
        strays.put(name, left);
      }
      System.err.printf("# %s done in %.1fs%n", name, (System.nanoTime() - t0) / 1e9);
    }
    Probes.out("_cleanup", strays.isEmpty() ? "no_strays" : "strays_killed", Probes.detail(
        "strays_by_probe", strays, "total_runtime_s", BenchLine.round((System.nanoTime() - tAll) / 1e9, 1)), null);
  }

  /** Keeps the probe's JSON lines; a child's own output copied to the probe's stdout is passed to stderr. */
  private static void readLines(java.lang.Process probe, List<String> lines) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(probe.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith(LINE_PREFIX)) {
          lines.add(line);
        } else {
          System.err.println("  | " + line);
        }
      }
    } catch (IOException e) {
      System.err.println("# reading a probe's output failed: " + e);
    }
  }
}
