package io.multiprocessing4j;

import io.multiprocessing4j.internal.QueueHandle;

/**
 * A {@link Queue} that counts unfinished tasks: the equivalent of Python's
 * {@code multiprocessing.JoinableQueue}. Every put adds a task; {@link #taskDone()} marks one done;
 * {@link #join()} waits until none is left. Made by {@link Multiprocessing#joinableQueue()}.
 *
 * <p>A consumer that dies mid-task does not leave {@link #join()} waiting for ever: every item a process
 * takes counts as held by it until it calls {@code taskDone()} (which acknowledges the oldest item it
 * holds), and when a consumer process exits, or is killed, holding items, they go back to the head of
 * the queue for another consumer, and a warning is logged. Delivery is thus at least once: an item whose
 * consumer died after doing the work but before {@code taskDone()} is processed again. (If no consumer
 * is left, {@code join()} waits for one, as it waits for any item never taken.) So that they can go back,
 * the items a child holds stay in the parent's memory until it marks them done or exits; items the
 * parent itself takes are only counted.
 *
 * @param <T> the type of the items
 */
public final class JoinableQueue<T> extends Queue<T> {
  private static final long serialVersionUID = 1L;

  JoinableQueue(QueueHandle handle) {
    super(handle);
  }

  /**
   * Marks one task done; a consumer calls it once per item it got, when it has finished with it.
   * Equivalent of Python's {@code task_done()}. Never blocks long: it waits for the queue's broker in the
   * parent to accept the mark (from a child, a round trip), so that a surplus call fails here, in the
   * caller, even when another process marked done the item this one took.
   *
   * @throws IllegalStateException if called more times than items were put (Python's {@code ValueError}),
   *     if this queue object was closed, or its context is closed
   */
  public void taskDone() {
    checkOpen();
    handle.taskDone();
  }

  /**
   * Blocks until every item ever put has been marked done with {@link #taskDone()}. Equivalent of
   * Python's {@code join()}.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   * @throws IllegalStateException if this queue object was closed or its context is closed
   */
  public void join() throws InterruptedException {
    checkOpen();
    handle.join();
  }
}
