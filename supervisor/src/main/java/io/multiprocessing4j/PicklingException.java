package io.multiprocessing4j;

/**
 * A target, argument or value could not be serialized to travel to another process. Thrown in the
 * caller's thread (for a process, by {@link Process#start()}), before any process is started. The
 * message names the class that cannot travel and where it was captured. Python raises
 * {@code PicklingError} (or {@code AttributeError: Can't pickle ...}) in the same place.
 */
public class PicklingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public PicklingException(String message, Throwable cause) {
    super(message, cause);
  }
}
