package io.multiprocessing4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the reliability probes share: the output line of {@code python_mp_reliability.py}
 * ({@code {"probe", "outcome", "detail", "variant"}}), bounded waits, and a look at {@code /proc}.
 * Every wait a probe makes goes through {@link #bounded} or a call with a timeout, so no probe can hang.
 */
final class Probes {
  private Probes() {}

  /** The key in {@code detail} naming the Python variant a differently named Java variant stands in for. */
  static final String PYTHON_COUNTERPART = "python_counterpart";

  /** Prints one probe line on stdout, keys in Python's order. */
  static void out(String probe, String outcome, Map<String, ?> detail, String variant) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("probe", probe);
    line.put("outcome", outcome);
    line.put("detail", detail);
    if (variant != null) {
      line.put("variant", variant);
    }
    StringBuilder json = new StringBuilder();
    BenchLine.write(json, line);
    System.out.println(json);
    System.out.flush();
  }

  /** A detail map, keys in the given order: {@code detail("k1", v1, "k2", v2, ...)}. */
  static Map<String, Object> detail(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  /** Python's {@code exc_info}: the exception's class and its message (cut to 300 characters). */
  static Map<String, Object> exc(Throwable e) {
    String message = String.valueOf(e.getMessage());
    return detail("type", e.getClass().getName(), "msg", message.length() > 300 ? message.substring(0, 300) : message);
  }

  /** A probe step that may wait. */
  interface Step {
    Object run() throws InterruptedException;
  }

  /** Runs {@code step}: what it returned, or the exception it threw as {@link #exc} describes it. */
  static Object attempt(Step step) throws InterruptedException {
    try {
      return step.run();
    } catch (RuntimeException e) {
      return exc(e);
    }
  }

  /** How a bounded call ended: {@code ok} with a value, {@code raised} with the exception, or {@code timeout}. */
  record Bounded<V>(String status, V value, Throwable error) {
    boolean ok() {
      return status.equals("ok");
    }

    /** The outcome in Python's words: {@code no_error}, {@code hang} (the limit passed) or {@code raised}. */
    String outcome() {
      return ok() ? "no_error" : status.equals("timeout") ? "hang" : "raised";
    }
  }

  /** Python's {@code run_bounded}: runs {@code call} on a daemon thread and waits at most {@code timeout}. */
  static <V> Bounded<V> bounded(Callable<V> call, Duration timeout) {
    CompletableFuture<V> result = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        result.complete(call.call());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    }, "probe-bounded-call");
    thread.setDaemon(true);
    thread.start();
    return await(result, timeout);
  }

  /** Waits at most {@code timeout} for {@code future}; a failure is unwrapped to its cause. */
  static <V> Bounded<V> await(Future<V> future, Duration timeout) {
    try {
      return new Bounded<>("ok", future.get(timeout.toMillis(), TimeUnit.MILLISECONDS), null);
    } catch (TimeoutException e) {
      return new Bounded<>("timeout", null, null);
    } catch (ExecutionException e) {
      return new Bounded<>("raised", null, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Bounded<>("raised", null, e);
    } catch (RuntimeException e) {
      return new Bounded<>("raised", null, e); // CancellationException
    }
  }

  /** Closes a context or pool, waiting at most 20 s (a non-daemon child would hold up close() for ever). */
  static void closeBounded(AutoCloseable resource) {
    Bounded<Object> closed = bounded(() -> {
      resource.close();
      return null;
    }, Duration.ofSeconds(20));
    if (!closed.ok()) {
      System.err.println("# closing " + resource + ": " + closed.status() + " " + closed.error());
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static double secondsSince(long t0) {
    return BenchLine.round((System.nanoTime() - t0) / 1e9, 3);
  }

  /** The state letter of {@code /proc/PID/stat} ('R', 'S', 'Z', ...), or null if there is no such process. */
  static String procState(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The parent pid from {@code /proc/PID/stat}, or null. */
  static Long procParent(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Alive as Python's probe counts it: the pid exists and is neither a zombie nor dead. */
  static boolean alive(long pid) {
    String state = procState(pid);
    return state != null && !state.equals("Z") && !state.equals("X");
  }

  /** The command line of a process, cut to its last 160 characters, or null. */
  static String cmdline(long pid) {
    try {
      String cmd = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))).replace('\0', ' ').strip();
      return cmd.length() > 160 ? cmd.substring(cmd.length() - 160) : cmd;
    } catch (IOException e) {
      return null;
    }
  }

  /** Every pid descending from this JVM now. */
  static List<Long> descendants() {
    List<Long> pids = new ArrayList<>();
    ProcessHandle.current().descendants().forEach(h -> pids.add(h.pid()));
    return pids;
  }

  /** SIGKILLs a pid if it is still alive. */
  static void killPid(long pid) {
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }
}
