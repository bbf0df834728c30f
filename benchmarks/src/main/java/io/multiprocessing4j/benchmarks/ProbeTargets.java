package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.Connection;
import io.multiprocessing4j.Lock;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.PipeClosedException;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.Queue;
import io.multiprocessing4j.SerializableCallable;
import io.multiprocessing4j.SerializableFunction;
import io.multiprocessing4j.SerializableRunnable;
import io.multiprocessing4j.StartMethod;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.util.Arrays;

/**
 * The child-side bodies of the reliability probes, as the module-level targets of
 * {@code python_mp_reliability.py}. Kept apart from the probes so that a child deserializing one loads
 * only this small class.
 */
final class ProbeTargets {
  private ProbeTargets() {}

  /** Python's {@code noop}. */
  static SerializableRunnable noop() {
    return () -> { };
  }

  /** Python's {@code identity}. */
  static SerializableFunction<Integer, Integer> identity() {
    return x -> x;
  }

  /** Python's {@code takes_arg}: a target that captures {@code arg} (which may not be serializable). */
  static SerializableRunnable takesArg(Object arg) {
    return () -> arg.hashCode();
  }

  /** A pool function that captures {@code captured} (which may not be serializable). */
  static SerializableFunction<Integer, Integer> capturing(Object captured) {
    return x -> x + (captured.hashCode() & 0); // uses the value, so the lambda really captures it
  }

  /** A pool function whose result cannot be serialized: Python's {@code return_lambda}. */
  static SerializableFunction<Integer, Object> returnsUnserializable() {
    return x -> new Object();
  }

  /** Python's {@code sleep_task}: sleeps 0.5 s, returns its item. */
  static SerializableFunction<Integer, Integer> sleepTask() {
    return x -> {
      sleepUninterrupted(500);
      return x;
    };
  }

  /** Sleeps 0.5 s and returns its item, except that item {@code fatal} SIGKILLs its own worker, every time. */
  static SerializableFunction<Integer, Integer> sleepOrKillWorker(int fatal) {
    return x -> {
      if (x == fatal) {
        try {
          new ProcessBuilder("kill", "-9", String.valueOf(ProcessHandle.current().pid())).start().waitFor();
          Thread.sleep(10_000); // the signal is on its way
        } catch (IOException | InterruptedException e) {
          throw new IllegalStateException("could not kill this worker", e);
        }
      }
      sleepUninterrupted(500);
      return x;
    };
  }

  /** Python's {@code getpid_task}: sleeps 20 ms, returns the worker's pid. */
  static SerializableFunction<Integer, Long> getpidTask() {
    return x -> {
      sleepUninterrupted(20);
      return ProcessHandle.current().pid();
    };
  }

  /** Python's {@code maybe_raise}: item 5 throws (IllegalArgumentException for Python's ValueError). */
  static SerializableFunction<Integer, Integer> maybeRaise() {
    return x -> {
      if (x == 5) {
        throw new IllegalArgumentException("boom at item " + x);
      }
      return x * 10;
    };
  }

  /** Python's {@code raise_two_arg}: item 3 throws an exception that serializes but cannot be deserialized. */
  static SerializableFunction<Integer, Integer> raiseUndeserializable() {
    return x -> {
      if (x == 3) {
        throw new UndeserializableException(1, 2);
      }
      return x;
    };
  }

  /** Python's {@code busy_loop}: spins and never looks at its interrupt status. */
  static SerializableRunnable busyLoop() {
    return () -> {
      long spins = 0;
      while (spins >= 0) {
        spins = (spins + 1) & Long.MAX_VALUE;
      }
    };
  }

  /** Python's {@code busy_ignore_term}, as a Java target can ignore terminate(): swallow every interrupt. */
  static SerializableRunnable swallowInterrupts() {
    return () -> {
      while (true) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException ignored) {
          // The point of this target: it ignores the request to stop.
        }
      }
    };
  }

  /** Puts this process's pid on {@code started}, then runs {@code target}: so a parent knows the target runs. */
  static SerializableRunnable announced(Queue<Long> started, SerializableRunnable target) {
    return () -> {
      try {
        started.put(ProcessHandle.current().pid());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      target.run();
    };
  }

  /** Python's {@code sleep_forever(sec)}. */
  static SerializableRunnable sleepFor(long millis) {
    return () -> sleepUninterrupted(millis);
  }

  /** Python's {@code put_big}. */
  static SerializableRunnable putBig(Queue<byte[]> queue, int size) {
    return () -> {
      try {
        queue.put(new byte[size]);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  /** Python's {@code pipe_writer}: {@code count} messages of {@code size} bytes all equal to {@code tag}. */
  static SerializableRunnable pipeWriter(Connection<Object> conn, byte tag, int size, int count, Lock lock) {
    return () -> {
      byte[] payload = new byte[size];
      Arrays.fill(payload, tag);
      try {
        for (int i = 0; i < count; i++) {
          if (lock != null) {
            lock.acquire();
            try {
              conn.sendBytes(payload);
            } finally {
              lock.release();
            }
          } else {
            conn.sendBytes(payload);
          }
        }
      } catch (PipeClosedException | InterruptedException stopped) {
        // The reader went away, as Python's writer catches BrokenPipeError.
      }
      conn.close();
    };
  }

  /** Python's {@code try_start_child}: reports "ok exitcode=N" or "error type: message" on {@code queue}. */
  static SerializableRunnable tryStartChild(Queue<String> queue, StartMethod method) {
    return () -> {
      String result;
      try (Multiprocessing inner = Multiprocessing.create(method)) {
        Process child = inner.process(noop());
        child.start();
        child.join();
        result = "ok exitcode=" + child.exitCode().orElse(Integer.MIN_VALUE);
      } catch (Exception e) {
        result = "error " + e.getClass().getName() + ": " + e.getMessage();
      }
      try {
        queue.put(result);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  /** Python's {@code start_child_in_worker}: starts a child from a pool task, returns its exit code. */
  static SerializableCallable<Integer> startChildInWorker() {
    return () -> {
      try (Multiprocessing inner = Multiprocessing.create()) {
        Process child = inner.process(noop());
        child.start();
        child.join();
        return child.exitCode().orElse(Integer.MIN_VALUE);
      }
    };
  }

  /** A legitimate child of the context: sends "hello" on its pipe end and waits for the echo. */
  static SerializableRunnable helloEcho(Connection<String> conn) {
    return () -> {
      try {
        conn.send("hello");
        conn.recv();
      } catch (InterruptedException | PipeClosedException stopped) {
        // Nothing to answer any more.
      }
      conn.close();
    };
  }

  private static void sleepUninterrupted(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Serializes fine in the worker; its readObject throws in the parent, as Python's TwoArgError fails to unpickle. */
  static final class UndeserializableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UndeserializableException(int a, int b) {
      super(a + "-" + b);
    }

    private void readObject(ObjectInputStream in) throws IOException {
      throw new IOException("UndeserializableException refuses to be deserialized");
    }
  }
}
