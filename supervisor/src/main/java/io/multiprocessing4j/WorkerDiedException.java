package io.multiprocessing4j;

/**
 * A pool task was lost: the worker running it died (killed by a signal, {@code System.exit}, a JVM
 * crash, out of memory) on every attempt, {@link PoolOptions#taskRetries()} re-runs included. Only
 * this task fails; the dead workers were replaced and every other task still completes. The message
 * says how the last worker died; {@link #remoteTraceback()} has its last words when the child managed
 * to report them (e.g. an {@link OutOfMemoryError}).
 */
public class WorkerDiedException extends TaskFailedException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;
  private final int attempts;

  /**
   * @param exitCode the last worker's exit code, Python style ({@code -N} for death by signal N)
   * @param attempts how many times the task was started
   */
  public WorkerDiedException(String message, long taskIndex, String workerName, long workerPid, int exitCode,
      int attempts, String remoteTraceback) {
    super(message, null, taskIndex, workerName, workerPid, remoteTraceback);
    this.exitCode = exitCode;
    this.attempts = attempts;
  }

  /** The exit code of the last worker that died running this task ({@code -9} after SIGKILL). */
  public int exitCode() {
    return exitCode;
  }

  /** How many times the task was started before it was given up. */
  public int attempts() {
    return attempts;
  }
}
