package io.multiprocessing4j.benchmarks;

import static io.multiprocessing4j.benchmarks.Probes.PYTHON_COUNTERPART;
import static io.multiprocessing4j.benchmarks.Probes.detail;
import static io.multiprocessing4j.benchmarks.Probes.exc;
import static io.multiprocessing4j.benchmarks.Probes.out;

import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pool;
import io.multiprocessing4j.PoolOptions;
import io.multiprocessing4j.ProcessInfo;
import io.multiprocessing4j.ResultIterator;
import io.multiprocessing4j.TaskFailedException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.IntStream;

/** The pool probes: {@code pool_worker_killed}, {@code exception_in_worker}, {@code maxtasksperchild}. */
final class PoolProbes {
  private PoolProbes() {}

  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  private static List<Long> workerPids(Pool pool) {
    return pool.workers().stream().map(ProcessInfo::pid).toList();
  }

  /** A worker SIGKILLed while {@code map} runs: Python's {@code Pool.map} hangs. */
  static void poolWorkerKilled() {
    Multiprocessing mp = Multiprocessing.create();
    try {
      Pool pool = mp.pool(2);
      // The workers are up, as Python's are when Pool() returns.
      Probes.await(pool.mapAsync(ProbeTargets.identity(), range(2)), Duration.ofSeconds(60));
      List<Long> before = workerPids(pool);
      CompletableFuture<List<Integer>> results = pool.mapAsync(ProbeTargets.sleepTask(), range(20), 1);
      Probes.sleep(1200);
      long victim = before.get(0);
      Probes.killPid(victim);
      long t0 = System.nanoTime();
      Probes.Bounded<List<Integer>> got = Probes.await(results, Duration.ofSeconds(20));
      double waited = Probes.secondsSince(t0);
      String outcome;
      Map<String, Object> extra;
      switch (got.status()) {
        case "ok" -> {
          outcome = "finished";
          extra = detail("results_len", got.value().size(), "results_in_order", got.value().equals(range(20)));
        }
        case "timeout" -> {
          outcome = "hang";
          extra = detail("note", "mapAsync(...).get(20 s) timed out");
        }
        default -> {
          outcome = "raised";
          extra = detail("exception", exc(got.error()));
        }
      }
      List<Long> after = workerPids(pool);
      long t1 = System.nanoTime();
      Probes.Bounded<Object> stopped = Probes.bounded(() -> {
        pool.terminate();
        pool.join();
        return null;
      }, Duration.ofSeconds(20));
      Map<String, Object> det = detail("api", "Pool.mapAsync(sleepTask, range(20), 1).get(20 s)", "start_method", "spawn",
          "tasks", 20, "task_s", 0.5, "victim_pid", victim, "worker_pids_before", before,
          "worker_pids_after", after, "worker_replaced", !after.contains(victim) && after.size() == 2,
          "waited_s", waited, "terminate_after_s", Probes.secondsSince(t1), "terminate_join", stopped.status());
      det.putAll(extra);
      out("pool_worker_killed", outcome, det, "Pool");
      taskKillsItsWorker(mp);
    } finally {
      Probes.closeBounded(mp);
    }
  }

  /**
   * Not in Python's probe (its {@code Pool} hangs here too, and {@code ProcessPoolExecutor} breaks): one
   * task SIGKILLs its worker on every attempt, while 19 others run.
   */
  private static void taskKillsItsWorker(Multiprocessing mp) {
    Pool pool = mp.pool(2);
    try {
      List<CompletableFuture<Integer>> futures = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        futures.add(pool.applyAsync(ProbeTargets.sleepOrKillWorker(7), i));
      }
      long t0 = System.nanoTime();
      int ok = 0;
      Map<String, Object> failed = new java.util.TreeMap<>();
      Object fatalResult = null;
      for (int i = 0; i < futures.size(); i++) {
        Probes.Bounded<Integer> got = Probes.await(futures.get(i), Duration.ofSeconds(30));
        if (got.ok()) {
          ok++;
        } else {
          String kind = got.error() == null ? got.status() : got.error().getClass().getSimpleName();
          failed.merge(kind, 1, (a, b) -> (Integer) a + (Integer) b);
          if (i == 7) {
            fatalResult = got.error() == null ? got.status() : exc(got.error());
          }
        }
      }
      double waited = Probes.secondsSince(t0);
      Probes.Bounded<Integer> again = Probes.await(pool.applyAsync(ProbeTargets.identity(), 1), Duration.ofSeconds(20));
      boolean onlyFatalFailed = ok == 19 && failed.equals(Map.of("WorkerDiedException", 1));
      out("pool_worker_killed", onlyFatalFailed ? "raised WorkerDiedException for that task only" : "other", detail(
          "api", "Pool.applyAsync x20, task 7 SIGKILLs its worker on every attempt", "tasks", 20, "task_s", 0.5,
          "results_ok", ok, "futures_failed_by_type", failed, "task_7", fatalResult, "all_settled_after_s", waited,
          "submit_after", again.ok() ? "accepted, result " + again.value() : again.status()),
          "Pool, a task kills its worker on every attempt");
    } finally {
      pool.terminate();
    }
  }

  /** A task that throws, per API; and an exception that cannot be deserialized in the parent. */
  static void exceptionInWorker() {
    Multiprocessing mp = Multiprocessing.create();
    try {
      Pool pool = mp.pool(2);
      mapWithFailure(pool);
      imapWithFailure(pool);
      applyAsyncWithFailure(pool);
      pool.terminate();
      Pool second = mp.pool(2);
      undeserializableException(second);
    } finally {
      Probes.closeBounded(mp);
    }
  }

  private static boolean usable(Pool pool) {
    Probes.Bounded<List<Integer>> got = Probes.await(pool.mapAsync(ProbeTargets.identity(), List.of(1, 2)),
        Duration.ofSeconds(10));
    return got.ok() && got.value().equals(List.of(1, 2));
  }

  private static void mapWithFailure(Pool pool) {
    Probes.Bounded<List<Integer>> got = Probes.await(pool.mapAsync(ProbeTargets.maybeRaise(), range(10), 1),
        Duration.ofSeconds(20));
    Map<String, Object> det;
    String outcome;
    if (got.ok()) {
      outcome = "no_error";
      det = detail("results", got.value());
    } else if (got.status().equals("timeout")) {
      outcome = "hang";
      det = detail();
    } else {
      Throwable e = got.error();
      Throwable cause = e.getCause();
      String remote = e instanceof TaskFailedException tf ? tf.remoteTraceback().orElse("") : "";
      StringWriter local = new StringWriter();
      e.printStackTrace(new PrintWriter(local));
      det = detail("exception", exc(e), "cause_type", cause == null ? null : cause.getClass().getName(),
          "remote_traceback_has_message", remote.contains("boom at item 5"),
          "remote_traceback_names_worker_function", remote.contains("maybeRaise"),
          "formatted_local_traceback_includes_remote", local.toString().contains("boom at item 5")
              && local.toString().contains("ProbeTargets.lambda$maybeRaise"),
          "failed_item_index", e instanceof TaskFailedException tf ? tf.taskIndex() : null,
          "other_9_results_returned", false,
          "remote_traceback_excerpt", remote.lines().limit(3).toList());
      outcome = remote.contains("boom at item 5") ? "raised_with_remote_traceback" : "raised";
    }
    det.put("pool_usable_afterwards", usable(pool));
    det.put("api", "pool.mapAsync(f, range(10), 1).get(20 s), f(5) throws IllegalArgumentException");
    out("exception_in_worker", outcome, det, "map");
  }

  private static void imapWithFailure(Pool pool) {
    List<Object> got = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    try (ResultIterator<Integer> it = pool.imap(ProbeTargets.maybeRaise(), range(10))) {
      for (int i = 0; i < 10; i++) {
        try {
          got.add(it.next(Duration.ofSeconds(10)));
        } catch (NoSuchElementException end) {
          break;
        } catch (TimeoutException e) {
          errors.add("timeout");
          break;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        } catch (RuntimeException e) {
          errors.add(e.getClass().getSimpleName());
        }
      }
    }
    boolean perItem = got.size() == 9 && errors.equals(List.of("TaskFailedException"));
    out("exception_in_worker", perItem ? "per_item_errors" : "other",
        detail("results", got, "errors", errors, "note", "next(10 s) throws at the failing position; next() continues"),
        "imap");
  }

  private static void applyAsyncWithFailure(Pool pool) {
    List<CompletableFuture<Integer>> futures = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      futures.add(pool.applyAsync(ProbeTargets.maybeRaise(), i));
    }
    List<Object> values = new ArrayList<>();
    for (CompletableFuture<Integer> f : futures) {
      Probes.Bounded<Integer> got = Probes.await(f, Duration.ofSeconds(10));
      values.add(got.ok() ? got.value() : got.status().equals("timeout") ? "timeout" : got.error().getClass().getSimpleName());
    }
    long failed = values.stream().filter(v -> !(v instanceof Integer)).count();
    out("exception_in_worker", failed == 1 && values.contains("TaskFailedException") ? "per_task_errors" : "other",
        detail("results", values), "apply_async");
  }

  private static void undeserializableException(Pool pool) {
    long t0 = System.nanoTime();
    Probes.Bounded<List<Integer>> got = Probes.await(pool.mapAsync(ProbeTargets.raiseUndeserializable(), range(6), 1),
        Duration.ofSeconds(15));
    String outcome = got.outcome();
    Map<String, Object> det = detail();
    if (outcome.equals("raised")) {
      Throwable cause = got.error().getCause();
      det = detail("exception", exc(got.error()), "cause", cause == null ? null : exc(cause));
    }
    det.put("elapsed_s", Probes.secondsSince(t0));
    det.put("pool_usable_afterwards", usable(pool));
    List<Long> workers = workerPids(pool);
    Probes.Bounded<Object> stopped = Probes.bounded(() -> {
      pool.terminate();
      pool.join();
      return null;
    }, Duration.ofSeconds(15));
    det.put("terminate_join", stopped.ok() ? "ok" : stopped.status());
    Probes.sleep(200);
    det.put("workers_alive_after_terminate", workers.stream().filter(Probes::alive).count());
    det.put("api", "pool.mapAsync(f, range(6), 1).get(15 s), f(3) throws an exception whose readObject throws");
    det.put(PYTHON_COUNTERPART, "unpicklable exception (custom __init__)");
    out("exception_in_worker", outcome, det, "undeserializable exception (readObject throws)");
  }

  /** {@code maxTasksPerChild=2}: how many distinct workers 10 items see. */
  static void maxTasksPerChild() {
    List<Map.Entry<String, Function<Pool, CompletableFuture<List<Long>>>>> calls = List.of(
        Map.entry("map chunksize=1", p -> p.mapAsync(ProbeTargets.getpidTask(), range(10), 1)),
        Map.entry("map default chunksize", p -> p.mapAsync(ProbeTargets.getpidTask(), range(10))),
        Map.entry("apply_async x10", p -> {
          List<CompletableFuture<Long>> each = new ArrayList<>();
          for (int i = 0; i < 10; i++) {
            each.add(p.applyAsync(ProbeTargets.getpidTask(), i));
          }
          return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
              .thenApply(done -> each.stream().map(CompletableFuture::join).toList());
        }));
    Multiprocessing mp = Multiprocessing.create();
    try {
      for (Map.Entry<String, Function<Pool, CompletableFuture<List<Long>>>> call : calls) {
        Pool pool = mp.pool(PoolOptions.defaults().withProcesses(2).withMaxTasksPerChild(2));
        Probes.Bounded<List<Long>> got = Probes.await(call.getValue().apply(pool), Duration.ofSeconds(30));
        pool.terminate();
        if (!got.ok()) {
          out("maxtasksperchild", got.status(), detail("error", got.error() == null ? null : exc(got.error())),
              call.getKey());
          continue;
        }
        List<Long> pids = got.value();
        List<Integer> perPid = new HashSet<>(pids).stream()
            .map(pid -> (int) pids.stream().filter(pid::equals).count())
            .sorted((a, b) -> b - a).toList();
        out("maxtasksperchild", new HashSet<>(pids).size() + "_distinct_workers", detail(
            "pool", "PoolOptions.withProcesses(2).withMaxTasksPerChild(2)", "tasks", 10,
            "distinct_worker_pids", new HashSet<>(pids).size(), "tasks_per_pid", perPid,
            "note", "a 'task' is a chunk, as Python counts: with the default chunksize (2 here) 10 items = 5 tasks",
            "start_method", "spawn"), call.getKey());
      }
    } finally {
      Probes.closeBounded(mp);
    }
  }
}
