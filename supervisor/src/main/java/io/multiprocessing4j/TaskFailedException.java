package io.multiprocessing4j;

import java.util.Optional;

/**
 * A pool task failed: its function threw in a worker process, or its result could not be decoded here
 * (then the cause says why and there is no remote trace). Only that task's result fails; the
 * worker and every other task carry on. Thrown by the blocking {@link Pool} calls, and the exceptional
 * completion of the futures and iterators of the others.
 *
 * <p>{@link #getCause()} is the exception the function threw, rebuilt here with the child's stack
 * trace, or a {@link RemoteTraceback} when it could not be rebuilt; {@link #remoteTraceback()} is the
 * child's trace as text either way (Python attaches the same as {@code RemoteTraceback}).
 */
public class TaskFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long taskIndex;
  private final String workerName;
  private final long workerPid;
  private final String remoteTraceback;

  /**
   * @param cause the task's exception; if null, the cause is left unset, so it may still be given
   *     with {@link #initCause} (a worker's last words, for a {@link WorkerDiedException})
   * @param taskIndex the task's position in its call's input (0 for {@code apply})
   * @param workerName the worker it failed in
   * @param workerPid that worker's pid
   * @param remoteTraceback the child's stack trace, or null when there is none
   */
  public TaskFailedException(String message, Throwable cause, long taskIndex, String workerName, long workerPid,
      String remoteTraceback) {
    super(message);
    if (cause != null) {
      initCause(cause);
    }
    this.taskIndex = taskIndex;
    this.workerName = workerName;
    this.workerPid = workerPid;
    this.remoteTraceback = remoteTraceback;
  }

  /** The task's position in the input of its {@code map}/{@code imap}/{@code starmap} call; 0 for {@code apply}. */
  public long taskIndex() {
    return taskIndex;
  }

  /** The name of the worker the task failed in, e.g. {@code SpawnPoolWorker-3}. */
  public String workerName() {
    return workerName;
  }

  /** That worker's pid. */
  public long workerPid() {
    return workerPid;
  }

  /** The child's stack trace as text; empty when the child sent none. */
  public Optional<String> remoteTraceback() {
    return Optional.ofNullable(remoteTraceback);
  }
}
