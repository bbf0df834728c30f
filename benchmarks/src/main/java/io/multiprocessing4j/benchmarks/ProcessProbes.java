package io.multiprocessing4j.benchmarks;

import static io.multiprocessing4j.benchmarks.Probes.PYTHON_COUNTERPART;
import static io.multiprocessing4j.benchmarks.Probes.detail;
import static io.multiprocessing4j.benchmarks.Probes.exc;
import static io.multiprocessing4j.benchmarks.Probes.out;

import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pool;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.ProcessOptions;
import io.multiprocessing4j.Queue;
import io.multiprocessing4j.SerializableFunction;
import io.multiprocessing4j.SimpleQueue;
import io.multiprocessing4j.StartMethod;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** The process probes: {@code unpicklable_arg}, {@code terminate_running}, {@code daemon_child_spawn}. */
final class ProcessProbes {
  private ProcessProbes() {}

  /** Stands in for Python's lambda: a value Java serialization refuses. */
  private static final class NotSerializable {}

  /** Values that cannot travel, at each place Python's probe puts a lambda. */
  static void unpicklableArg() throws InterruptedException {
    for (StartMethod method : StartMethod.values()) {
      processWithUnserializableArg(method);
    }
    Multiprocessing mp = Multiprocessing.create();
    try {
      Pool pool = mp.pool(2);
      poolCase(pool, "pool.map(fn capturing a non-Serializable, range(3))", "pool.map(lambda x: x, range(3))",
          () -> pool.mapAsync(ProbeTargets.capturing(new NotSerializable()), List.of(0, 1, 2)).get());
      poolCase(pool, "pool.map(identity, [1, non-Serializable, 3])", "pool.map(identity, [lambda: 1])",
          () -> pool.mapAsync(identityOfAnything(), List.of(1, new NotSerializable(), 3)).get());
      poolCase(pool, "pool.map(returns non-Serializable, range(3))  # unserializable RESULT",
          "pool.map(return_lambda, range(3))  # unpicklable RESULT",
          () -> pool.mapAsync(ProbeTargets.returnsUnserializable(), List.of(0, 1, 2)).get());
      pool.terminate();
      queuePut(mp);
      simpleQueuePut(mp);
    } finally {
      Probes.closeBounded(mp);
    }
  }

  private static SerializableFunction<Object, Object> identityOfAnything() {
    return x -> x;
  }

  private static void processWithUnserializableArg(StartMethod method) {
    Multiprocessing mp = Multiprocessing.create(method);
    try {
      if (method == StartMethod.WARM) {
        mp.awaitWarmAgents(Duration.ofSeconds(30)); // idle agents are helpers, as Python's forkserver is
      }
      Set<Long> before = new HashSet<>(Probes.descendants());
      Process p = mp.process(ProbeTargets.takesArg(new NotSerializable()));
      long t0 = System.nanoTime();
      String outcome;
      Map<String, Object> det;
      try {
        p.start();
        p.join(Duration.ofSeconds(10));
        int code = p.exitCode().orElse(Integer.MIN_VALUE);
        outcome = code == 0 ? "no_error" : "child_exitcode_" + code;
        det = detail("exitcode", code);
      } catch (RuntimeException e) {
        outcome = "raised_at_start";
        det = detail("exception", exc(e), "pid_assigned", p.pid().isPresent());
      }
      det.put("elapsed_s", Probes.secondsSince(t0));
      Probes.sleep(200);
      Set<Long> now = new HashSet<>(Probes.descendants());
      now.removeAll(before);
      det.put("leftover_child_processes", List.copyOf(now));
      det.put("active_children", mp.activeChildren().size());
      det.put("start_method", method.name());
      det.put(PYTHON_COUNTERPART, "Process(args=(lambda,)) " + (method == StartMethod.WARM ? "forkserver" : "spawn"));
      out("unpicklable_arg", outcome, det, "Process(target capturing a non-Serializable) " + method.name());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      Probes.closeBounded(mp);
    }
  }

  private static void poolCase(Pool pool, String variant, String pythonVariant, Callable<?> call) {
    long t0 = System.nanoTime();
    Probes.Bounded<?> got = Probes.bounded(call, Duration.ofSeconds(20));
    String outcome = got.outcome();
    Map<String, Object> det = detail();
    if (outcome.equals("raised")) {
      Throwable e = got.error() instanceof java.util.concurrent.ExecutionException ee ? ee.getCause() : got.error();
      det = detail("exception", exc(e));
    }
    det.put("elapsed_s", Probes.secondsSince(t0));
    Probes.Bounded<List<Integer>> again = Probes.await(pool.mapAsync(ProbeTargets.identity(), List.of(1, 2)),
        Duration.ofSeconds(10));
    det.put("pool_usable_afterwards", again.ok() ? again.value().equals(List.of(1, 2)) : again.status());
    det.put("start_method", "spawn");
    det.put(PYTHON_COUNTERPART, pythonVariant);
    out("unpicklable_arg", outcome, det, variant);
  }

  private static void queuePut(Multiprocessing mp) throws InterruptedException {
    Queue<Object> q = mp.queue();
    Object put = Probes.attempt(() -> {
      q.put(new NotSerializable());
      return "returned normally";
    });
    Object get = Probes.attempt(() -> {
      q.get(Duration.ofSeconds(3));
      return "got item";
    });
    boolean dropped = put.equals("returned normally") && !get.equals("got item");
    out("unpicklable_arg", dropped ? "silently_dropped" : put instanceof Map ? "raised" : "no_error",
        detail("put", put, "consumer_get_timeout_3s", get, "start_method", "spawn",
            PYTHON_COUNTERPART, "Queue.put(lambda)"), "Queue.put(non-Serializable)");
    q.close();
  }

  private static void simpleQueuePut(Multiprocessing mp) throws InterruptedException {
    SimpleQueue<Object> sq = mp.simpleQueue();
    Object res = Probes.attempt(() -> {
      sq.put(new NotSerializable());
      return "returned normally";
    });
    out("unpicklable_arg", res instanceof Map ? "raised_in_caller" : "no_error",
        detail("put", res, PYTHON_COUNTERPART, "SimpleQueue.put(lambda)"), "SimpleQueue.put(non-Serializable)");
    sq.close();
  }

  /** terminate() and kill() of a busy child; a target that ignores terminate(); terminate() after exit. */
  static void terminateRunning() throws InterruptedException {
    Multiprocessing mp = Multiprocessing.create();
    try {
      for (String how : List.of("terminate", "kill")) {
        Process p = mp.process(ProbeTargets.busyLoop());
        p.start();
        Probes.sleep(300);
        long t0 = System.nanoTime();
        if (how.equals("terminate")) {
          p.terminate();
        } else {
          p.kill();
        }
        p.join(Duration.ofSeconds(5));
        Object code = p.exitCode().isPresent() ? p.exitCode().getAsInt() : null;
        out("terminate_running", "exitcode_" + (code == null ? "None" : code), detail("call", how + "()", "exitcode", code,
            "is_alive_after_join", p.isAlive(), "join_returned_after_s", Probes.secondsSince(t0),
            "target", "busy loop that never looks at its interrupt status", "start_method", "spawn"), how);
      }
      Process stubborn = mp.process(ProbeTargets.swallowInterrupts());
      stubborn.start();
      Probes.sleep(300);
      long t0 = System.nanoTime();
      stubborn.terminate();
      stubborn.join(Duration.ofSeconds(2));
      boolean aliveAfter2s = stubborn.isAlive();
      Object code2s = stubborn.exitCode().isPresent() ? stubborn.exitCode().getAsInt() : null;
      stubborn.join(Duration.ofSeconds(5));
      Object codeLater = stubborn.exitCode().isPresent() ? stubborn.exitCode().getAsInt() : null;
      double endedAfter = Probes.secondsSince(t0);
      stubborn.kill();
      stubborn.join(Duration.ofSeconds(5));
      out("terminate_running", aliveAfter2s ? "terminate_ignored" : "exitcode_" + code2s, detail(
          "child", "target swallows every interrupt (Java's terminate() interrupts the target, then escalates)",
          "after_terminate_join2s", detail("is_alive", aliveAfter2s, "exitcode", code2s),
          "after_terminate_join_7s", detail("exitcode", codeLater, "ended_after_s", endedAfter),
          "after_kill", detail("is_alive", stubborn.isAlive(), "exitcode", stubborn.exitCode().isPresent()
              ? stubborn.exitCode().getAsInt() : null),
          PYTHON_COUNTERPART, "SIGTERM ignored"), "terminate ignored (target swallows interrupts)");
      Process done = mp.process(ProbeTargets.noop());
      done.start();
      done.join(Duration.ofSeconds(20));
      Object res = Probes.attempt(() -> {
        done.terminate();
        return "no error";
      });
      out("terminate_running", res.equals("no error") ? "no_error" : "raised", detail("terminate_after_exit", res,
          "exitcode", done.exitCode().isPresent() ? done.exitCode().getAsInt() : null), "terminate after exit");
    } finally {
      Probes.closeBounded(mp);
    }
  }

  /** A daemon child, and a pool worker, starting a child of their own. */
  static void daemonChildSpawn() {
    for (StartMethod method : StartMethod.values()) {
      Multiprocessing mp = Multiprocessing.create(method);
      try {
        Queue<String> q = mp.queue();
        Process d = mp.process(ProbeTargets.tryStartChild(q, method), ProcessOptions.defaults().withDaemon(true));
        d.start();
        String res;
        try {
          res = q.get(Duration.ofSeconds(20));
        } catch (RuntimeException | InterruptedException e) {
          res = "timeout " + e;
        }
        d.join(Duration.ofSeconds(10));
        out("daemon_child_spawn", res.startsWith("error") ? "raised" : res.startsWith("ok") ? "ok" : "timeout",
            detail("in", "daemon Process", "result", res, "start_method", method.name(),
                PYTHON_COUNTERPART, method == StartMethod.WARM ? null : "daemon Process (spawn)"),
            method == StartMethod.WARM ? "daemon Process (WARM)" : "daemon Process (spawn)");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        Probes.closeBounded(mp);
      }
    }
    Multiprocessing mp = Multiprocessing.create();
    try {
      Pool pool = mp.pool(1);
      Probes.Bounded<Integer> got = Probes.await(pool.applyAsync(ProbeTargets.startChildInWorker()),
          Duration.ofSeconds(20));
      pool.terminate();
      Object res = got.ok() ? detail("exitcode", got.value()) : got.error() == null ? detail()
          : exc(got.error().getCause() != null ? got.error().getCause() : got.error());
      out("daemon_child_spawn", got.outcome(),
          detail("in", "Pool worker (daemon)", "result", res), "Pool worker");
    } finally {
      Probes.closeBounded(mp);
    }
  }
}
