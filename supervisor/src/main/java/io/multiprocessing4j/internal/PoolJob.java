package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * One call on a pool ({@code map}, {@code imap}, {@code apply}...): its encoded function, its input
 * feed, and where its results go. The pool actor takes the job's chunks, runs them on workers and hands
 * every outcome back with {@link #settle}; the job alone decides when it is complete and tells its
 * caller (a future, or an iterator's reader).
 *
 * <p>Threads: {@link #settle} is called only by the pool actor; {@link #fail}, the input callbacks and
 * {@link #isSettled()} may be called from any thread, so subclasses guard their state with the job's
 * monitor. A job settles once; it then calls its settled listener exactly once (the actor forgets it).
 */
public abstract class PoolJob {
  /** What the caller called, for messages: {@code Pool.map}, {@code Pool.apply}... */
  final String call;
  final Payload function;
  private final Executor completions;
  private ChunkFeed feed;
  /**
   * The pipe-end copies that the job's function and items registered when they were serialized: a
   * copy holds its end open until a worker reads it, so those no worker read are released once the
   * job settles (no worker reads them after that), or the other end would never see end of file.
   */
  private final EndCopies endCopies = new EndCopies();
  private Consumer<PoolJob> onSettled;
  private boolean settledNotified;

  /**
   * @param completions where futures are completed: the pool's completion thread, so that callers'
   *     dependent stages never run on the pool actor's thread, or in place for a blocking call, whose
   *     future has no dependent stage (see {@code PoolCalls})
   */
  PoolJob(String call, Payload function, Executor completions) {
    this.call = call;
    this.function = function;
    this.completions = completions;
  }

  /**
   * Wires the job to its input, to the copies its function registered ({@link #endCopies}), and to
   * whoever must learn that it settled; called once, before submission.
   */
  void attach(ChunkFeed feed, EndCopies functionCopies, Consumer<PoolJob> onSettled) {
    this.feed = feed;
    holdUntilSettled(functionCopies);
    this.onSettled = onSettled;
  }

  /** Keeps the copies one encoding of the job's items registered until the job settles ({@link #endCopies}). */
  void holdUntilSettled(EndCopies copies) {
    copies.moveTo(endCopies);
  }

  ChunkFeed feed() {
    return feed;
  }

  /**
   * The results of one chunk (actor thread only).
   *
   * @param failures {@code failures[i]} is item {@code i}'s failure, or null when {@code values[i]} is its
   *     result; null when no item failed
   */
  abstract void settle(Chunk chunk, Object[] values, RuntimeException[] failures);

  /** Fails the job as a whole (terminated, broken pool, cancelled); a no-op once settled. */
  abstract void fail(RuntimeException reason);

  /** True once no more results are needed: complete, failed or cancelled. */
  abstract boolean isSettled();

  /** True for a job of exactly one task ({@code apply}), which may travel with others of its function. */
  boolean isOneTask() {
    return false;
  }

  /** The input had {@code total} items, all fed. */
  abstract void inputEnded(int total);

  /** Reading or encoding the input failed after {@code fed} items had been fed. */
  abstract void inputFailed(RuntimeException error, int fed);

  /** Runs a completion where the job was told to (on this thread if that executor is gone). */
  final void complete(Runnable completion) {
    try {
      completions.execute(completion);
    } catch (RejectedExecutionException poolGone) {
      completion.run();
    }
  }

  /** Subclasses call this once the job has settled: closes the feed and tells the actor, once. */
  final void settled() {
    synchronized (this) {
      if (settledNotified) {
        return;
      }
      settledNotified = true;
    }
    if (feed != null) {
      feed.close();
    }
    endCopies.release();
    if (onSettled != null) {
      onSettled.accept(this);
    }
  }
}
