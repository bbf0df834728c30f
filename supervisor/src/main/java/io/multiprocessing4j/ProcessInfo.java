package io.multiprocessing4j;

/**
 * A process in the tree as seen from inside it: {@link Multiprocessing#currentProcess()} and
 * {@link Multiprocessing#parentProcess()}. Python returns {@code Process} objects for these; only
 * the identity and liveness make sense for a process one did not start.
 *
 * @param name {@code MainProcess} for a top-level program, else the name it was started with
 * @param pid its OS process id
 * @param daemon whether it was started as a daemon
 */
public record ProcessInfo(String name, long pid, boolean daemon) {
  /** Whether the OS process still runs. Does not block. */
  public boolean isAlive() {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }
}
