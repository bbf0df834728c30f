package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.Connection;
import io.multiprocessing4j.JoinableQueue;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pipe;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.Queue;
import io.multiprocessing4j.SimpleQueue;
import io.multiprocessing4j.StartMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pipe and queue benches of {@code python_mp_bench.py}: same names, params and units, children
 * started with {@code spawn} and their start-up outside the timed region (they say "ready" first).
 * Where Python's throughput benches time {@code reps} repetitions, these run one more and discard the
 * first, and ping-pong warms up with 2000 round trips instead of 200: the children's code runs
 * C1-compiled and the parent's C2, both of which need that warm-up, which CPython does not.
 */
final class ChannelBenches {
  private static final int[] SIZES = {64, 1024, 65536, 1 << 20};
  private static final double MB = 1e6;
  private static final Duration STEP_LIMIT = Duration.ofSeconds(60);

  private final Benches benches;

  ChannelBenches(Benches benches) {
    this.benches = benches;
  }

  private int countFor(int size) {
    int full = size <= 1024 ? 50_000 : size == 65536 ? 5_000 : 400;
    return benches.size(full, Math.max(full / 8, 50));
  }

  private static String label(int size) {
    return size >= 1 << 20 ? (size >> 20) + "MiB" : size >= 1024 ? (size >> 10) + "KiB" : size + "B";
  }

  /**
   * {@code pipe_pingpong}: parent↔child round trips over a duplex pipe: int 1 and 100 bytes with
   * {@code send}, 100 bytes with {@code sendBytes}; round trips/s and median round trip (µs, p99 too).
   */
  void pipePingpong() throws Exception {
    int reps = benches.reps(7, 3);
    int n = benches.size(10_000, 1_000);
    Object[][] cases = pingpongCases();
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN)) {
      for (Object[] c : cases) {
        boolean raw = c[2].equals("send_bytes");
        Object payload = c[1];
        Pipe<Object> pipe = mp.pipe();
        Process child = mp.process(ChannelTargets.echo(pipe.conn2(), raw));
        child.start();
        pipe.conn2().close();
        Connection<Object> a = pipe.conn1();
        for (int i = 0; i < 2000; i++) { // warm-up (Python: 200)
          roundTrip(a, payload, raw);
        }
        List<Double> rates = new ArrayList<>();
        long[] rtts = new long[reps * n];
        for (int r = 0; r < reps; r++) {
          long start = System.nanoTime();
          for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            roundTrip(a, payload, raw);
            rtts[r * n + i] = System.nanoTime() - t0;
          }
          rates.add(n / ((System.nanoTime() - start) / 1e9));
        }
        if (raw) {
          a.sendBytes("STOP".getBytes());
        } else {
          a.send("STOP");
        }
        Benches.joinWithin(child);
        a.close();
        java.util.Arrays.sort(rtts);
        double medianUs = (rtts.length % 2 == 1 ? rtts[rtts.length / 2]
            : (rtts[rtts.length / 2 - 1] + rtts[rtts.length / 2]) / 2.0) / 1e3;
        Map<String, Object> params = params("payload", c[0], "api", c[2], "roundtrips", n);
        benches.emit(BenchLine.ofSamples("pipe_pingpong", with(params, "metric", "rate"), rates, "roundtrips/s"));
        benches.emit(BenchLine.of("pipe_pingpong", with(params, "metric", "rtt_median"), medianUs, "us")
            .with("reps", reps)
            .with("p99_us", rtts[(int) (rtts.length * 0.99)] / 1e3)
            .with("samples_n", rtts.length));
      }
    }
  }

  /**
   * {@code pipe_pingpong_children} (no Python counterpart): {@code pipe_pingpong}'s round trips, cases
   * and counts, but between two children, one echoing and one timing, with the parent's copies of the
   * ends closed; on one host their messages go straight from child to child. Python's pipe is the same
   * OS pipe whoever holds its ends, so its {@code pipe_pingpong} is the figure to hold it against.
   */
  void pipePingpongChildren() throws Exception {
    int reps = benches.reps(7, 3);
    int n = benches.size(10_000, 1_000);
    Object[][] cases = pingpongCases();
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN)) {
      for (Object[] c : cases) {
        boolean raw = c[2].equals("send_bytes");
        Pipe<Object> pipe = mp.pipe();
        Queue<Object> results = mp.queue();
        Process echo = mp.process(ChannelTargets.echo(pipe.conn2(), raw));
        Process pinger = mp.process(ChannelTargets.pinger(pipe.conn1(), c[1], raw, reps, n, results));
        echo.start();
        pinger.start();
        pipe.conn1().close();
        pipe.conn2().close();
        double[] rateArray = (double[]) results.get(STEP_LIMIT);
        long[] rtts = (long[]) results.get(STEP_LIMIT);
        Benches.joinWithin(pinger);
        Benches.joinWithin(echo);
        List<Double> rates = new ArrayList<>();
        for (double rate : rateArray) {
          rates.add(rate);
        }
        java.util.Arrays.sort(rtts);
        double medianUs = (rtts.length % 2 == 1 ? rtts[rtts.length / 2]
            : (rtts[rtts.length / 2 - 1] + rtts[rtts.length / 2]) / 2.0) / 1e3;
        Map<String, Object> params = params("payload", c[0], "api", c[2], "roundtrips", n, "between", "children");
        benches.emit(BenchLine.ofSamples("pipe_pingpong_children", with(params, "metric", "rate"), rates,
            "roundtrips/s"));
        benches.emit(BenchLine.of("pipe_pingpong_children", with(params, "metric", "rtt_median"), medianUs, "us")
            .with("reps", reps)
            .with("p99_us", rtts[(int) (rtts.length * 0.99)] / 1e3)
            .with("samples_n", rtts.length));
      }
    }
  }

  private static void roundTrip(Connection<Object> a, Object payload, boolean raw) throws InterruptedException {
    if (raw) {
      a.sendBytes((byte[]) payload);
      a.recvBytes();
    } else {
      a.send(payload);
      a.recv();
    }
  }

  /** {@code pipe_throughput}: child→parent stream of 64 B … 1 MiB, {@code sendBytes} and {@code send}; msgs/s, MB/s. */
  void pipeThroughput() throws Exception {
    int reps = benches.reps(5, 2);
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN)) {
      for (int size : SIZES) {
        int count = countFor(size);
        for (String api : List.of("send_bytes", "send")) {
          boolean raw = api.equals("send_bytes");
          Pipe<Object> pipe = mp.pipe();
          Process child = mp.process(ChannelTargets.pipeSender(pipe.conn2(), size, count, reps + 1, raw));
          child.start();
          pipe.conn2().close();
          Connection<Object> a = pipe.conn1();
          Benches.check(a.poll(STEP_LIMIT) && "ready".equals(a.recv()), "sender did not say ready"); // start-up excluded
          List<Double> rates = new ArrayList<>();
          for (int r = 0; r <= reps; r++) {
            long t0 = System.nanoTime();
            a.send("go");
            for (int i = 0; i < count; i++) {
              if (raw) {
                a.recvBytes();
              } else {
                a.recv();
              }
            }
            double rate = count / ((System.nanoTime() - t0) / 1e9);
            if (r > 0) {
              rates.add(rate);
            }
          }
          a.send("bye");
          Benches.joinWithin(child);
          a.close();
          emitRates("pipe_throughput", params("payload", label(size), "payload_bytes", size, "api", api,
              "direction", "child->parent", "messages", count), rates, size);
        }
      }
    }
  }

  /** {@code queue_throughput}: the same sizes through a {@link Queue}, 1 and 2 producers, the parent consuming. */
  void queueThroughput() throws Exception {
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN)) {
      for (int producers = 1; producers <= 2; producers++) {
        for (int size : SIZES) {
          queueRun(mp, "queue_throughput", mp.queue(), size, producers);
        }
      }
    }
  }

  /** {@code simplequeue_throughput}: 1 KiB payloads through a {@link SimpleQueue}, 1 and 2 producers. */
  void simplequeueThroughput() throws Exception {
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN)) {
      for (int producers = 1; producers <= 2; producers++) {
        int reps = benches.reps(5, 2);
        int per = countFor(1024) / producers;
        int total = per * producers;
        SimpleQueue<byte[]> q = mp.simpleQueue();
        Queue<String> ready = mp.queue();
        Queue<String> go = mp.queue();
        List<Process> children = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
          children.add(mp.process(ChannelTargets.simpleProducer(q, ready, go, 1024, per, reps + 1)));
        }
        List<Double> rates = consume(children, ready, go, total, reps, q::get, null);
        emitRates("simplequeue_throughput", params("payload", "1KiB", "payload_bytes", 1024,
            "producers", producers, "consumer", "parent", "messages", total), rates, 1024);
      }
    }
  }

  /** {@code joinablequeue_throughput}: 1 KiB through a {@link JoinableQueue}: {@code get()+taskDone()}, producer {@code join()}s. */
  void joinablequeueThroughput() throws Exception {
    try (Multiprocessing mp = StartMethods.open(StartMethod.SPAWN)) {
      queueRun(mp, "joinablequeue_throughput", mp.joinableQueue(), 1024, 1);
    }
  }

  private void queueRun(Multiprocessing mp, String bench, Queue<byte[]> q, int size, int producers) throws Exception {
    int reps = benches.reps(5, 2);
    int per = countFor(size) / producers;
    int total = per * producers;
    boolean joinable = q instanceof JoinableQueue<?>;
    Queue<String> ready = mp.queue();
    Queue<String> go = mp.queue();
    List<Process> children = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      children.add(mp.process(ChannelTargets.queueProducer(q, ready, go, size, per, reps + 1, joinable)));
    }
    List<Double> rates = consume(children, ready, go, total, reps, q::get,
        joinable ? ((JoinableQueue<byte[]>) q)::taskDone : null);
    Map<String, Object> params = params("payload", label(size), "payload_bytes", size, "producers", producers,
        "consumer", "parent", "messages", total);
    if (joinable) {
      params.put("consumer_calls", "get+task_done; producer q.join() per rep");
    }
    emitRates(bench, params, rates, size);
  }

  /** A blocking get. */
  @FunctionalInterface
  private interface Get {
    Object get() throws InterruptedException;
  }

  /**
   * Starts the producers, waits for each one's "ready" (start-up excluded, Python's Barrier), then per
   * repetition says "go" to each and times taking {@code total} items; the first repetition is discarded.
   */
  private static List<Double> consume(List<Process> children, Queue<String> ready, Queue<String> go, int total,
      int reps, Get get, Runnable taskDone) throws Exception {
    children.forEach(Process::start);
    try {
      for (int p = 0; p < children.size(); p++) {
        Benches.check(ready.get(STEP_LIMIT) != null, "a producer did not say ready");
      }
      List<Double> rates = new ArrayList<>();
      for (int r = 0; r <= reps; r++) {
        for (int p = 0; p < children.size(); p++) {
          go.put("go");
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < total; i++) {
          get.get();
          if (taskDone != null) {
            taskDone.run();
          }
        }
        double rate = total / ((System.nanoTime() - t0) / 1e9);
        if (r > 0) {
          rates.add(rate);
        }
      }
      for (Process child : children) {
        Benches.joinWithin(child);
        Benches.check(child.exitCode().orElse(Integer.MIN_VALUE) == 0, child + " did not exit with 0");
      }
      return rates;
    } catch (Exception | Error e) {
      children.forEach(Process::terminate);
      throw e;
    }
  }

  private void emitRates(String bench, Map<String, Object> params, List<Double> rates, int size) {
    benches.emit(BenchLine.ofSamples(bench, with(params, "metric", "msgs"), rates, "msgs/s"));
    List<Double> mbs = rates.stream().map(rate -> rate * size / MB).toList();
    benches.emit(BenchLine.ofSamples(bench, with(params, "metric", "bytes"), mbs, "MB/s"));
  }

  private static Map<String, Object> params(Object... keysAndValues) {
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("start_method", "spawn");
    for (int i = 0; i < keysAndValues.length; i += 2) {
      params.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return params;
  }

  private static Map<String, Object> with(Map<String, Object> params, String key, Object value) {
    Map<String, Object> copy = new LinkedHashMap<>(params);
    copy.put(key, value);
    return copy;
  }

  /** The ping-pong cases of Python's {@code pipe_pingpong}: payload label, payload, api. */
  private static Object[][] pingpongCases() {
    return new Object[][] {{"int 1", 1, "send"}, {"bytes 100", bytes(100), "send"},
        {"bytes 100", bytes(100), "send_bytes"}};
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) 'x');
    return b;
  }
}
