package io.multiprocessing4j;

/**
 * A manager process is gone (killed, crashed, shut down): thrown at once by any proxy call to it, and
 * by a call that was waiting for its answer, instead of hanging. The objects the manager held are lost
 * with it; a manager restarted by its {@link ManagerOptions.Restart restart policy} starts empty, so
 * create new objects through the {@link Manager}. Python has no equivalent: its proxies raise
 * {@code EOFError} or {@code ConnectionRefusedError}, or hang.
 */
public class ManagerDiedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message which manager, during which call, and what that means for its objects
   * @param cause the I/O failure that revealed it
   */
  public ManagerDiedException(String message, Throwable cause) {
    super(message, cause);
  }
}
