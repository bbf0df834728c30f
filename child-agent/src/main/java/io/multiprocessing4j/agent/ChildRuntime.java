package io.multiprocessing4j.agent;

import java.util.Optional;

/**
 * Who this JVM is in the process tree, when it is a child launched by multiprocessing4j. Set once by
 * {@link ChildMain} before the target runs; read by {@code Multiprocessing.currentProcess()} and by
 * {@code Process.start()} (a daemon child may not start children of its own).
 *
 * @param name this process's name, e.g. {@code Process-1}
 * @param pid this process's pid
 * @param daemon whether this child was started as a daemon
 * @param parentPid the pid of the JVM that started this one
 * @param parentName that JVM's process name ({@code MainProcess} for a top-level program)
 */
public record ChildRuntime(String name, long pid, boolean daemon, long parentPid, String parentName) {
  private static volatile ChildRuntime current;

  /** This JVM's identity if it is a multiprocessing4j child; empty in a top-level program. */
  public static Optional<ChildRuntime> current() {
    return Optional.ofNullable(current);
  }

  static void install(ChildRuntime runtime) {
    current = runtime;
  }
}
