package io.multiprocessing4j;

import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeoutException;

/**
 * The results of {@link Pool#imap} (in input order) or {@link Pool#imapUnordered} (in completion
 * order) as they arrive. Python's {@code IMapIterator}.
 *
 * <p>The input is read lazily and the pool keeps only a bounded window of results ahead of the
 * reader, so a million items never sit in memory at once; a reader that stops early should
 * {@link #close()} the iterator (or use try-with-resources) to cancel the rest. A task that failed
 * throws its {@link TaskFailedException} from {@link #next()} at its position, and iteration may go on
 * past it. If the pool is terminated, {@link #next()} returns the results that had arrived (up to the
 * first missing one, for {@code imap}), then throws a {@link java.util.concurrent.CancellationException};
 * if it breaks, likewise a {@link PoolBrokenException}; if an input item cannot be serialized, a
 * {@link PicklingException} at that item's position. Such a failure of the call as a whole (a
 * terminate, a broken pool, an input that could not be read or sent) ends the iteration: once it has
 * been thrown, {@link #hasNext()} returns false and {@link #next()} throws
 * {@link NoSuchElementException}, as {@link Iterator}'s contract asks, so a loop that catches each
 * item's exception ends.
 *
 * <p>Meant for one reading thread. {@link #hasNext()} and {@link #next()} block until the next result
 * or the end is known; if the reading thread is interrupted while waiting they throw an
 * {@link IllegalStateException} whose cause is the {@link InterruptedException}, with the interrupt
 * status kept.
 *
 * @param <R> the result type
 */
public interface ResultIterator<R> extends Iterator<R>, AutoCloseable {
  /**
   * The next result, waiting at most {@code timeout} for it. Python's {@code next(timeout)}: a null
   * timeout (Python's {@code None}) or an endless one waits without a limit, a negative one does not wait.
   *
   * @throws TimeoutException if no result arrived in time (the iterator stays usable)
   * @throws NoSuchElementException if every result has been returned, or the call's failure thrown
   * @throws TaskFailedException if this position's task failed
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  R next(Duration timeout) throws TimeoutException, InterruptedException;

  /** Stops the rest of this call: no more input is read, and results not yet returned are dropped. Idempotent. */
  @Override
  void close();
}
