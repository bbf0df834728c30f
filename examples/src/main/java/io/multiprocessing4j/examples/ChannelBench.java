package io.multiprocessing4j.examples;

import io.multiprocessing4j.Connection;
import io.multiprocessing4j.JoinableQueue;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pipe;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.Queue;
import io.multiprocessing4j.SimpleQueue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Pipe and queue speed, measured as {@code ../shared/bench-ref/python_mp_bench.py} measures Python's:
 * same bench names, same params, one JSON object per line on stdout, so {@code compare.py} can join the
 * two outputs. Child start-up is outside the timed region: producers wait for a "go" per repetition
 * (a queue stands in for Python's Barrier, which this library does not have yet). Each throughput
 * bench runs one repetition more than Python's and discards the first: children run C1-compiled code,
 * which needs that warm-up (ping-pong warms up with 2000 round trips instead of Python's 200).
 *
 * <p>Run: {@code BENCH_ONLY=pipe_pingpong,queue_throughput mvn -B -q -DskipTests package exec:exec -pl
 * examples -am -Dexample=io.multiprocessing4j.examples.ChannelBench}. The environment (which the
 * program's own JVM inherits from Maven) chooses: {@code BENCH_ONLY}, comma-separated bench names
 * (default: all five); {@code BENCH_QUICK=true}, smaller sizes.
 */
public final class ChannelBench {
  private static final int[] SIZES = {64, 1024, 65536, 1 << 20};
  private static final boolean QUICK = "true".equals(System.getenv("BENCH_QUICK"));

  private ChannelBench() {}

  public static void main(String[] args) throws Exception {
    String benches = System.getenv().getOrDefault("BENCH_ONLY",
        "pipe_pingpong,pipe_throughput,queue_throughput,simplequeue_throughput,joinablequeue_throughput");
    Set<String> only = Set.of(benches.split(","));
    try (Multiprocessing mp = Multiprocessing.create()) {
      if (only.contains("pipe_pingpong")) {
        pipePingpong(mp);
      }
      if (only.contains("pipe_throughput")) {
        pipeThroughput(mp);
      }
      if (only.contains("queue_throughput")) {
        for (int producers = 1; producers <= 2; producers++) {
          for (int size : SIZES) {
            queueRun(mp, "queue_throughput", mp::queue, size, producers, false);
          }
        }
      }
      if (only.contains("simplequeue_throughput")) {
        for (int producers = 1; producers <= 2; producers++) {
          simpleQueueRun(mp, producers);
        }
      }
      if (only.contains("joinablequeue_throughput")) {
        queueRun(mp, "joinablequeue_throughput", mp::joinableQueue, 1024, 1, true);
      }
    }
  }

  static int q(int full, int quick) {
    return QUICK ? quick : full;
  }

  static int countFor(int size) {
    int full = size <= 1024 ? 50_000 : size == 65536 ? 5_000 : 400;
    return q(full, Math.max(full / 8, 50));
  }

  static String label(int size) {
    return size >= 1 << 20 ? (size >> 20) + "MiB" : size >= 1024 ? (size >> 10) + "KiB" : size + "B";
  }

  static void echo(Connection<Object> conn, boolean bytes) throws InterruptedException {
    while (true) {
      if (bytes) {
        byte[] message = conn.recvBytes();
        if (message.length == 4 && new String(message).equals("STOP")) {
          return;
        }
        conn.sendBytes(message);
      } else {
        Object message = conn.recv();
        if ("STOP".equals(message)) {
          return;
        }
        conn.send(message);
      }
    }
  }

  static void pipePingpong(Multiprocessing mp) throws InterruptedException {
    int reps = q(7, 3);
    int n = q(10_000, 1_000);
    Object[][] cases = {{"int 1", 1, "send"}, {"bytes 100", new byte[100], "send"}, {"bytes 100", new byte[100], "send_bytes"}};
    for (Object[] c : cases) {
      boolean bytes = c[2].equals("send_bytes");
      Pipe<Object> pipe = mp.pipe();
      Connection<Object> theirs = pipe.conn2();
      Process child = mp.process(() -> Examples.unchecked(() -> echo(theirs, bytes)));
      child.start();
      theirs.close();
      Connection<Object> a = pipe.conn1();
      Object payload = c[1];
      // The JIT needs more warm-up than CPython's 200 round trips.
      for (int i = 0; i < 2000; i++) {
        roundTrip(a, payload, bytes);
      }
      double[] rates = new double[reps];
      long[] rtts = new long[reps * n];
      for (int r = 0; r < reps; r++) {
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
          long t0 = System.nanoTime();
          roundTrip(a, payload, bytes);
          rtts[r * n + i] = System.nanoTime() - t0;
        }
        rates[r] = n / ((System.nanoTime() - start) / 1e9);
      }
      if (bytes) {
        a.sendBytes("STOP".getBytes());
      } else {
        a.send("STOP");
      }
      child.join();
      a.close();
      Map<String, Object> params = params("payload", c[0], "api", c[2], "roundtrips", n);
      emit("pipe_pingpong", with(params, "metric", "rate"), median(rates), "roundtrips/s", reps, rates, "");
      Arrays.sort(rtts);
      emit("pipe_pingpong", with(params, "metric", "rtt_median"), rtts[rtts.length / 2] / 1e3, "us", reps, null,
          ", \"p99_us\": " + rtts[(int) (rtts.length * 0.99)] / 1e3 + ", \"samples_n\": " + rtts.length);
    }
  }

  private static void roundTrip(Connection<Object> a, Object payload, boolean bytes) throws InterruptedException {
    if (bytes) {
      a.sendBytes((byte[]) payload);
      a.recvBytes();
    } else {
      a.send(payload);
      a.recv();
    }
  }

  static void pipeSender(Connection<Object> conn, int size, int count, int reps, boolean bytes)
      throws InterruptedException {
    byte[] payload = new byte[size];
    Arrays.fill(payload, (byte) 'x');
    conn.send("ready");
    for (int r = 0; r < reps; r++) {
      conn.recv();
      for (int i = 0; i < count; i++) {
        if (bytes) {
          conn.sendBytes(payload);
        } else {
          conn.send(payload);
        }
      }
    }
    conn.recv();
  }

  static void pipeThroughput(Multiprocessing mp) throws InterruptedException {
    int reps = q(5, 2);
    for (int size : SIZES) {
      int count = countFor(size);
      for (String api : List.of("send_bytes", "send")) {
        boolean bytes = api.equals("send_bytes");
        Pipe<Object> pipe = mp.pipe();
        Connection<Object> theirs = pipe.conn2();
        Process child = mp.process(() -> Examples.unchecked(() -> pipeSender(theirs, size, count, reps + 1, bytes)));
        child.start();
        theirs.close();
        Connection<Object> a = pipe.conn1();
        a.recv();
        double[] rates = new double[reps + 1];
        for (int r = 0; r <= reps; r++) {
          long t0 = System.nanoTime();
          a.send("go");
          for (int i = 0; i < count; i++) {
            if (bytes) {
              a.recvBytes();
            } else {
              a.recv();
            }
          }
          rates[r] = count / ((System.nanoTime() - t0) / 1e9);
        }
        a.send("bye");
        child.join();
        a.close();
        Map<String, Object> params = params("payload", label(size), "payload_bytes", size, "api", api,
            "direction", "child->parent", "messages", count);
        emitRates("pipe_throughput", params, Arrays.copyOfRange(rates, 1, rates.length), size, reps);
      }
    }
  }

  static void queueProducer(Queue<byte[]> q, Queue<String> go, int size, int count, int reps, boolean joinable)
      throws InterruptedException {
    byte[] payload = new byte[size];
    Arrays.fill(payload, (byte) 'x');
    for (int r = 0; r < reps; r++) {
      go.get();
      for (int i = 0; i < count; i++) {
        q.put(payload);
      }
      if (joinable) {
        ((JoinableQueue<byte[]>) q).join();
      }
    }
  }

  static void queueRun(Multiprocessing mp, String bench, Supplier<Queue<byte[]>> factory, int size, int producers,
      boolean joinable) throws InterruptedException {
    int reps = q(5, 2);
    int count = countFor(size);
    int per = count / producers;
    int total = per * producers;
    Queue<byte[]> q = factory.get();
    Queue<String> go = mp.queue();
    List<Process> children = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      children.add(mp.process(() -> Examples.unchecked(() -> queueProducer(q, go, size, per, reps + 1, joinable))));
    }
    children.forEach(Process::start);
    double[] rates = new double[reps + 1];
    for (int r = 0; r <= reps; r++) {
      for (int p = 0; p < producers; p++) {
        go.put("go");
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < total; i++) {
        q.get();
        if (joinable) {
          ((JoinableQueue<byte[]>) q).taskDone();
        }
      }
      rates[r] = total / ((System.nanoTime() - t0) / 1e9);
    }
    for (Process child : children) {
      child.join();
    }
    Map<String, Object> params = params("payload", label(size), "payload_bytes", size, "producers", producers,
        "consumer", "parent", "messages", total);
    if (joinable) {
      params.put("consumer_calls", "get+task_done; producer q.join() per rep");
    }
    emitRates(bench, params, Arrays.copyOfRange(rates, 1, rates.length), size, reps);
  }

  static void simpleProducer(SimpleQueue<byte[]> q, Queue<String> go, int count, int reps) throws InterruptedException {
    byte[] payload = new byte[1024];
    for (int r = 0; r < reps; r++) {
      go.get();
      for (int i = 0; i < count; i++) {
        q.put(payload);
      }
    }
  }

  static void simpleQueueRun(Multiprocessing mp, int producers) throws InterruptedException {
    int reps = q(5, 2);
    int per = countFor(1024) / producers;
    int total = per * producers;
    SimpleQueue<byte[]> q = mp.simpleQueue();
    Queue<String> go = mp.queue();
    List<Process> children = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      children.add(mp.process(() -> Examples.unchecked(() -> simpleProducer(q, go, per, reps + 1))));
    }
    children.forEach(Process::start);
    double[] rates = new double[reps + 1];
    for (int r = 0; r <= reps; r++) {
      for (int p = 0; p < producers; p++) {
        go.put("go");
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < total; i++) {
        q.get();
      }
      rates[r] = total / ((System.nanoTime() - t0) / 1e9);
    }
    for (Process child : children) {
      child.join();
    }
    emitRates("simplequeue_throughput", params("payload", "1KiB", "payload_bytes", 1024, "producers", producers,
        "consumer", "parent", "messages", total), Arrays.copyOfRange(rates, 1, rates.length), 1024, reps);
  }

  private static void emitRates(String bench, Map<String, Object> params, double[] rates, int size, int reps) {
    emit(bench, with(params, "metric", "msgs"), median(rates), "msgs/s", reps, rates, "");
    double[] mbs = Arrays.stream(rates).map(rate -> rate * size / 1e6).toArray();
    emit(bench, with(params, "metric", "bytes"), median(mbs), "MB/s", reps, mbs, "");
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

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static void emit(String bench, Map<String, Object> params, double value, String unit, int reps,
      double[] samples, String extra) {
    StringBuilder json = new StringBuilder("{\"bench\": \"").append(bench).append("\", \"params\": {");
    String separator = "";
    for (Map.Entry<String, Object> param : params.entrySet()) {
      Object v = param.getValue();
      json.append(separator).append('"').append(param.getKey()).append("\": ")
          .append(v instanceof Number ? v.toString() : "\"" + v + "\"");
      separator = ", ";
    }
    json.append("}, \"value\": ").append(String.format("%.5g", value)).append(", \"unit\": \"").append(unit)
        .append("\", \"reps\": ").append(reps);
    if (samples != null) {
      json.append(", \"stats\": {\"min\": ").append(String.format("%.5g", Arrays.stream(samples).min().orElse(0)))
          .append(", \"max\": ").append(String.format("%.5g", Arrays.stream(samples).max().orElse(0))).append('}');
    }
    System.out.println(json.append(extra).append('}'));
  }
}
