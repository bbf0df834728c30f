package io.multiprocessing4j;

/**
 * A held lock (or semaphore permit) that {@link #close()} gives back: Python's {@code with lock:} as
 * try-with-resources.
 *
 * <pre>{@code
 * try (Guard held = lock.guard()) {
 *   if (held.previousOwnerDied()) {
 *     repairSharedData();
 *   }
 *   update();
 * }
 * }</pre>
 *
 * <p>Belongs to the thread that acquired it; not thread-safe.
 */
public final class Guard implements AutoCloseable {
  private final Runnable release;
  private final boolean previousOwnerDied;
  private boolean released;

  Guard(Runnable release, boolean previousOwnerDied) {
    this.release = release;
    this.previousOwnerDied = previousOwnerDied;
  }

  /**
   * Whether this holding was taken over from a process that died while holding the lock (the
   * equivalent of a robust mutex's {@code EOWNERDEAD}): the data the lock protects may be half-updated.
   * Always false for a semaphore permit.
   */
  public boolean previousOwnerDied() {
    return previousOwnerDied;
  }

  /** Releases what this guard holds; later calls do nothing. Never blocks. */
  @Override
  public void close() {
    if (!released) {
      released = true;
      release.run();
    }
  }
}
