package io.multiprocessing4j.internal;

import io.multiprocessing4j.PoolBrokenException;
import io.multiprocessing4j.ProcessInfo;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What a pool actor publishes for the blocking {@code Pool} facade to read without asking it: whether
 * the pool broke, its running workers, and the moment its last worker has exited.
 */
public final class PoolStatus {
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private volatile PoolBrokenException broken;
  private volatile List<ProcessInfo> workers = List.of();
  private boolean stopping;

  /** Completes once the pool actor has stopped and every worker it started has exited. */
  public CompletableFuture<Void> terminated() {
    return terminated;
  }

  /** Why the pool broke, or null while it has not. */
  public PoolBrokenException broken() {
    return broken;
  }

  /** The running workers, as last published. */
  public List<ProcessInfo> workers() {
    return workers;
  }

  /**
   * Runs {@code submit} (which tells the actor) unless the actor is stopping. The actor marks itself
   * stopping and then sends itself its final message, so every submission that got through is
   * received, and answered, before the actor stops.
   *
   * @return false if the actor is stopping and {@code submit} was not run
   */
  public synchronized boolean submitIfRunning(Runnable submit) {
    if (stopping) {
      return false;
    }
    submit.run();
    return true;
  }

  synchronized void markStopping() {
    stopping = true;
  }

  void broke(PoolBrokenException reason) {
    broken = reason;
  }

  void publishWorkers(List<ProcessInfo> running) {
    workers = List.copyOf(running);
  }
}
