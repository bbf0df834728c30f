package io.multiprocessing4j;

import io.multiprocessing4j.internal.QueueHandle;
import io.multiprocessing4j.internal.Timeouts;
import java.io.Serializable;
import java.time.Duration;

/**
 * A process-safe FIFO queue: the equivalent of Python's {@code multiprocessing.Queue}. Made by
 * {@link Multiprocessing#queue()}; any number of processes put and get, with a queue captured in their
 * targets (or received through another queue or a pipe, or captured by a pool task).
 *
 * <p>How it works: the items live in a broker in the parent process that created the queue, not in an
 * OS pipe. The parent's handles call it directly; in any other process the queue opens, on first use,
 * one authenticated connection to it (over the context's private Unix socket), shared by every copy of
 * the queue and every thread there; on the parent's host, puts and gets then travel through two
 * shared-memory rings beside that connection, with no system call while both sides are running.
 * Consequences, each an improvement on Python:
 * <ul>
 *   <li>{@link #put} fails in the caller's thread when the item cannot be serialized
 *       ({@link PicklingException}) or is too large ({@link MessageTooLargeException}); Python's feeder
 *       thread drops it and prints a traceback.
 *   <li>When {@code put} returns, an item is in the broker or, from a child, on its way there: in the
 *       shared-memory ring the broker drains (also after the producer exited or died), or, across hosts,
 *       written to the socket or queued for the connection's flusher thread, which batches a fast
 *       stream into few socket writes and flushes before the JVM exits. So a producer that
 *       exits right after a put loses nothing, and joining a producer before draining its queue cannot
 *       deadlock (Python's documented deadlock needs a full OS pipe).
 *   <li>A bounded queue's back pressure holds across processes: a put into a full queue waits, in
 *       whatever process it runs, until a get anywhere makes room.
 * </ul>
 * Items leave in the order they were put (items of one producer keep their order; items of several
 * interleave as they arrive); blocked getters are served first come, first served.
 *
 * <p>Threads: every method may be called from any thread. {@link #qsize()}, {@link #empty()} and
 * {@link #full()} are snapshots, as in Python. The queue's items live until its context closes.
 *
 * @param <T> the type of the items
 */
public class Queue<T> implements Serializable {
  private static final long serialVersionUID = 1L;

  final QueueHandle handle;
  /** Python's {@code close()} is per queue object; a copy received elsewhere starts open. */
  private transient volatile boolean closed;

  Queue(QueueHandle handle) {
    this.handle = handle;
  }

  /**
   * Puts an item at the tail, waiting for space if the queue is bounded and full. A {@code byte[]}
   * travels as raw bytes, anything else with Java serialization. Equivalent of Python's
   * {@code put(obj)}.
   *
   * @throws PicklingException if the item cannot be serialized (nothing is put)
   * @throws MessageTooLargeException if it encodes to more than the queue's maximum (nothing is put)
   * @throws InterruptedException if the thread is interrupted while waiting for space (nothing is put)
   * @throws IllegalStateException if this queue object was closed, or its context is closed
   */
  public void put(T item) throws InterruptedException {
    checkOpen();
    handle.put(item, -1);
  }

  /**
   * Puts an item at the tail, waiting at most {@code timeout} for space (null: as long as it takes,
   * Python's {@code timeout=None}; negative: not at all). Equivalent of Python's
   * {@code put(obj, timeout=...)}.
   *
   * @throws QueueFullException if the queue stayed full for {@code timeout} (nothing is put)
   * @throws PicklingException, MessageTooLargeException, InterruptedException, IllegalStateException as
   *     {@link #put(Object)}
   */
  public void put(T item, Duration timeout) throws InterruptedException {
    checkOpen();
    handle.put(item, Timeouts.millis(timeout));
  }

  /**
   * Puts an item if there is space now. Equivalent of Python's {@code put_nowait(obj)}. From a child it
   * waits for the broker's answer (a round trip), never for space.
   *
   * @throws QueueFullException if the queue is full (nothing is put); if the thread is interrupted
   *     while asking, too, with its interrupt status set
   * @throws PicklingException, MessageTooLargeException, IllegalStateException as {@link #put(Object)}
   */
  public void putNowait(T item) {
    checkOpen();
    try {
      handle.put(item, 0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QueueFullException("interrupted while putting on " + handle.name());
    }
  }

  /**
   * Removes and returns the item at the head, waiting as long as it takes for one. Equivalent of
   * Python's {@code get()}. The item is cast to {@code T} unchecked.
   *
   * @throws InterruptedException if the thread is interrupted while waiting (no item is lost)
   * @throws IllegalStateException if this queue object was closed, its context is closed, or the item
   *     cannot be decoded
   */
  @SuppressWarnings("unchecked")
  public T get() throws InterruptedException {
    checkOpen();
    return (T) handle.get(-1);
  }

  /**
   * Removes and returns the item at the head, waiting at most {@code timeout} for one (null: as long as
   * it takes, Python's {@code timeout=None}; negative: not at all). Equivalent of Python's
   * {@code get(timeout=...)}.
   *
   * @throws QueueEmptyException if no item came within {@code timeout}
   * @throws InterruptedException, IllegalStateException as {@link #get()}
   */
  @SuppressWarnings("unchecked")
  public T get(Duration timeout) throws InterruptedException {
    checkOpen();
    return (T) handle.get(Timeouts.millis(timeout));
  }

  /**
   * Removes and returns the item at the head if there is one now. Equivalent of Python's
   * {@code get_nowait()}.
   *
   * @throws QueueEmptyException if the queue is empty; if the thread is interrupted while asking, too,
   *     with its interrupt status set
   * @throws IllegalStateException as {@link #get()}
   */
  @SuppressWarnings("unchecked")
  public T getNowait() {
    checkOpen();
    try {
      return (T) handle.get(0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QueueEmptyException("interrupted while getting from " + handle.name());
    }
  }

  /**
   * The number of items in the queue now (items on their way from other processes not counted).
   * Equivalent of Python's {@code qsize()}. From a child, a round trip to the broker.
   *
   * @throws IllegalStateException if this queue object was closed or its context is closed
   */
  public int qsize() {
    checkOpen();
    return (int) handle.size();
  }

  /** Whether the queue has no items now. Equivalent of Python's {@code empty()}; see {@link #qsize()}. */
  public boolean empty() {
    return qsize() == 0;
  }

  /** Whether a bounded queue is at its maxsize now (never for an unbounded one). Python's {@code full()}. */
  public boolean full() {
    checkOpen();
    return handle.isFull();
  }

  /** The queue's {@code maxsize}; 0 when unbounded. */
  public int maxsize() {
    return handle.maxsize();
  }

  /**
   * This process will use this queue object no more: later calls on it throw
   * {@link IllegalStateException}. Items already put stay in the queue; other processes, and other
   * copies of the queue, are unaffected. Idempotent, never blocks. Equivalent of Python's
   * {@code close()}.
   */
  public void close() {
    closed = true;
  }

  /**
   * Waits until the broker has every item this process put: Python's {@code join_thread()}, which waits
   * for the feeder thread to flush. Puts here leave no buffer behind, so this only waits for the items
   * still on their way (a round trip from a child; nothing in the parent).
   *
   * @throws IllegalStateException if the queue object is not closed yet (as in Python) or its context is
   *     closed
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public void joinThread() throws InterruptedException {
    if (!closed) {
      throw new IllegalStateException("joinThread() before close() on " + handle.name());
    }
    handle.sync();
  }

  final void checkOpen() {
    if (closed) {
      throw new IllegalStateException(handle.name() + " is closed");
    }
  }

  @Override
  public String toString() {
    return handle.name() + (handle.maxsize() > 0 ? "[maxsize=" + handle.maxsize() + "]" : "") + (closed ? "[closed]" : "");
  }
}
