package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.Connection;
import io.multiprocessing4j.JoinableQueue;
import io.multiprocessing4j.Queue;
import io.multiprocessing4j.SerializableRunnable;
import io.multiprocessing4j.SimpleQueue;
import java.util.Arrays;

/**
 * The child-side bodies of the pipe and queue benches ({@code pingpong_child}, {@code pipe_sender},
 * {@code queue_producer} of {@code python_mp_bench.py}), in a class of their own for the reason
 * {@link ChildTargets} gives.
 */
final class ChannelTargets {
  private ChannelTargets() {}

  /** A body that may be interrupted (the child was terminated): it just stops. */
  @FunctionalInterface
  interface Body {
    void run() throws InterruptedException;
  }

  private static void run(Body body) {
    try {
      body.run();
    } catch (InterruptedException terminated) {
      Thread.currentThread().interrupt();
    }
  }

  /** Echoes every message until "STOP": Python's {@code pingpong_child}. */
  static SerializableRunnable echo(Connection<Object> conn, boolean bytes) {
    return () -> run(() -> {
      while (true) {
        if (bytes) {
          byte[] message = conn.recvBytes();
          if (message.length == 4 && new String(message).equals("STOP")) {
            break;
          }
          conn.sendBytes(message);
        } else {
          Object message = conn.recv();
          if ("STOP".equals(message)) {
            break;
          }
          conn.send(message);
        }
      }
      conn.close();
    });
  }

  /**
   * The timing side of {@code pipe_pingpong_children} (no Python counterpart): warms up, then times
   * {@code reps} runs of {@code n} round trips with the echoing child, puts the rates (a
   * {@code double[]}) and every round trip's nanoseconds (a {@code long[]}) on {@code results}, and
   * sends "STOP".
   */
  static SerializableRunnable pinger(Connection<Object> conn, Object payload, boolean bytes, int reps, int n,
      Queue<Object> results) {
    return () -> run(() -> {
      for (int i = 0; i < 2000; i++) {
        roundTrip(conn, payload, bytes);
      }
      double[] rates = new double[reps];
      long[] rtts = new long[reps * n];
      for (int r = 0; r < reps; r++) {
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
          long t0 = System.nanoTime();
          roundTrip(conn, payload, bytes);
          rtts[r * n + i] = System.nanoTime() - t0;
        }
        rates[r] = n / ((System.nanoTime() - start) / 1e9);
      }
      results.put(rates);
      results.put(rtts);
      if (bytes) {
        conn.sendBytes("STOP".getBytes());
      } else {
        conn.send("STOP");
      }
      conn.close();
    });
  }

  private static void roundTrip(Connection<Object> conn, Object payload, boolean bytes)
      throws InterruptedException {
    if (bytes) {
      conn.sendBytes((byte[]) payload);
      conn.recvBytes();
    } else {
      conn.send(payload);
      conn.recv();
    }
  }

  /** Says "ready", then per "go" sends {@code count} payloads: Python's {@code pipe_sender}. */
  static SerializableRunnable pipeSender(Connection<Object> conn, int size, int count, int reps, boolean bytes) {
    return () -> run(() -> {
      byte[] payload = payload(size);
      conn.send("ready");
      for (int r = 0; r < reps; r++) {
        conn.recv(); // "go"
        for (int i = 0; i < count; i++) {
          if (bytes) {
            conn.sendBytes(payload);
          } else {
            conn.send(payload);
          }
        }
      }
      conn.recv(); // wait until the parent is done before closing
      conn.close();
    });
  }

  /**
   * Says "ready" on {@code ready}, then per "go" on {@code go} puts {@code count} payloads (and, if
   * {@code joinable}, waits in {@code join()}): Python's {@code queue_producer}, with a "ready"/"go"
   * queue pair standing in for its Barrier.
   */
  static SerializableRunnable queueProducer(Queue<byte[]> q, Queue<String> ready, Queue<String> go, int size,
      int count, int reps, boolean joinable) {
    return () -> run(() -> {
      byte[] payload = payload(size);
      ready.put("ready");
      for (int r = 0; r < reps; r++) {
        go.get();
        for (int i = 0; i < count; i++) {
          q.put(payload);
        }
        if (joinable) {
          ((JoinableQueue<byte[]>) q).join();
        }
      }
    });
  }

  /** {@link #queueProducer} for a {@link SimpleQueue}. */
  static SerializableRunnable simpleProducer(SimpleQueue<byte[]> q, Queue<String> ready, Queue<String> go, int size,
      int count, int reps) {
    return () -> run(() -> {
      byte[] payload = payload(size);
      ready.put("ready");
      for (int r = 0; r < reps; r++) {
        go.get();
        for (int i = 0; i < count; i++) {
          q.put(payload);
        }
      }
    });
  }

  private static byte[] payload(int size) {
    byte[] payload = new byte[size];
    Arrays.fill(payload, (byte) 'x');
    return payload;
  }
}
