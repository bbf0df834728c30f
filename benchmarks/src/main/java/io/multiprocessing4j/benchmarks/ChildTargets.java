package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.Connection;
import io.multiprocessing4j.PipeClosedException;
import io.multiprocessing4j.SerializableRunnable;

/**
 * The child-side bodies of the benchmarks, as in {@code python_mp_bench.py}. The lambdas are created
 * here, not in the runner, because a child deserializing a lambda loads the class that wrote it: this
 * one is small, so a child loads no benchmark machinery (as Python's spawn child imports only the
 * module of its target).
 */
final class ChildTargets {
  private ChildTargets() {}

  /** Does nothing: Python's {@code noop}. */
  static SerializableRunnable noop() {
    return ChildTargets::doNothing;
  }

  /** Sends one message and closes its end: Python's {@code send_first_msg}. */
  static SerializableRunnable sendFirstMessage(Connection<Integer> out) {
    return () -> {
      out.send(1);
      out.close();
    };
  }

  /** Sends its pid, then waits for any message (or end of file): Python's {@code idle_child}. */
  static SerializableRunnable idle(Connection<Object> conn) {
    return () -> {
      conn.send(ProcessHandle.current().pid());
      try {
        conn.recv();
      } catch (InterruptedException | PipeClosedException stopped) {
        // Terminated, or the parent closed its end: stop idling either way.
      }
      conn.close();
    };
  }

  private static void doNothing() {}
}
