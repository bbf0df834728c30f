package io.multiprocessing4j;

import io.multiprocessing4j.internal.PipeHandle;
import io.multiprocessing4j.internal.Timeouts;
import java.io.Serializable;
import java.time.Duration;

/**
 * One end of a {@link Pipe}: the equivalent of Python's {@code multiprocessing.connection.Connection}.
 * Made by {@link Multiprocessing#pipe()}; pass an end to a child by capturing it in the child's target
 * (or by sending it through a queue or another pipe), as Python passes it in {@code args}.
 *
 * <p>How it works: the messages in flight live in a broker in the parent process that created the pipe.
 * The parent's ends call it directly; an end used in any other process opens one authenticated
 * connection to it (over the context's private Unix socket), shared by the threads of that process; on
 * the parent's host, sends and receives then travel through two shared-memory rings beside it. When a
 * child on that host holds an end alone (the parent closed its copies of both ends), the broker lets it read the end
 * directly: other children on the host then write their messages into shared memory it reads itself,
 * never through the parent, while the broker still decides end of file and where the ends are. Every
 * message is one whole frame or ring record (a large one a run of chunks that the writing process
 * does not interleave with anything), so messages arrive whole and in order, and two processes
 * (or threads) sending on the same end at once never interleave, whatever the size — where Python warns
 * that they corrupt each other. Messages from a few bytes up to {@link PipeOptions#maxMessageBytes()}
 * (512 MiB by default) travel; a larger one is refused at {@link #send}.
 *
 * <p>End of file: an end is closed once no process holds it any more, counted as an OS counts a pipe's
 * descriptors — the parent's copy until {@link #close()}, every process that received a copy until it
 * closes it or exits, and every copy still in flight (not one whose send or put failed, nor one in the
 * target of a child that died before reading it). Then {@link #recv()} at the other end returns what
 * is left and throws {@link PipeClosedException} (Python's {@code EOFError}) instead of blocking for
 * ever, and {@link #send} there throws it too (Python's {@code BrokenPipeError}). As in Python, the
 * parent should close its copy of an end it handed to a child if it wants to see that end close.
 * Closing a connection closes this process's hold on the end, for every copy of it in this process.
 *
 * <p>Threads: every method may be called from any thread.
 *
 * @param <T> the type of the messages
 */
public final class Connection<T> implements Serializable, AutoCloseable {
  private static final long serialVersionUID = 1L;

  private final PipeHandle handle;

  Connection(PipeHandle handle) {
    this.handle = handle;
  }

  /**
   * Sends a message: a {@code byte[]} travels as raw bytes, any other value with Java serialization
   * ({@code null} included). Does not wait for a receiver to take it (up to the limit below): returns once the message is in the pipe's
   * broker or, from a child, on its way there (in the shared-memory ring the broker drains, or that the
   * receiving child drains for an end it reads directly, also after this process exited; across hosts, written to the socket or queued for a flusher thread that batches
   * a fast stream and flushes before the JVM exits), so it is delivered
   * even if this process exits right after. Equivalent of Python's {@code Connection.send}.
   *
   * <p>Blocks, as Python's does on a full OS pipe, while the receiving end holds
   * {@link PipeOptions#maxBufferedBytes()} of messages not yet received (16 MiB by default; from a
   * child on the parent's host, once its shared-memory ring of up to 4 MiB is full too), until the
   * receiver takes some. Nothing is dropped. If the receiving end is closed, or its last holder dies,
   * meanwhile, the wait ends: this send throws {@link PipeClosedException}, or, if the message was
   * already on its way (in the ring), the next one does. An interrupt does not end the wait: the send
   * completes or fails as above, and the thread's interrupt status is kept.
   *
   * @throws PicklingException if the message cannot be serialized (nothing is sent)
   * @throws MessageTooLargeException if it encodes to more than the pipe's maximum (nothing is sent)
   * @throws PipeClosedException if the other end is closed (Python's {@code BrokenPipeError})
   * @throws IllegalStateException if this end is closed, only receives, or its pipe's context is closed
   */
  public void send(T message) {
    handle.send(message);
  }

  /**
   * Sends a whole byte array as one message. Equivalent of Python's {@code send_bytes(buf)}.
   *
   * @throws MessageTooLargeException, PipeClosedException, IllegalStateException as {@link #send}
   */
  public void sendBytes(byte[] bytes) {
    handle.sendBytes(bytes, 0, bytes.length);
  }

  /**
   * Sends {@code size} bytes of {@code bytes} from {@code offset} as one message. Equivalent of
   * Python's {@code send_bytes(buf, offset, size)}.
   *
   * @throws IndexOutOfBoundsException if the range is not inside the array
   * @throws MessageTooLargeException, PipeClosedException, IllegalStateException as {@link #send}
   */
  public void sendBytes(byte[] bytes, int offset, int size) {
    handle.sendBytes(bytes, offset, size);
  }

  /**
   * Receives the next message, blocking until there is one. Equivalent of Python's
   * {@code Connection.recv}. The message is cast to {@code T} unchecked: a message of another type
   * sent by the other end fails with {@link ClassCastException} where it is used.
   *
   * @return the message (a {@code byte[]} for a message sent with {@link #sendBytes})
   * @throws PipeClosedException when the other end is closed and every message it sent was received
   *     (Python's {@code EOFError})
   * @throws InterruptedException if the thread is interrupted while waiting (no message is lost: one
   *     that arrived meanwhile stays in the pipe or is returned with the interrupt status set)
   * @throws IllegalStateException if this end is closed, only sends, or a message cannot be decoded
   */
  @SuppressWarnings("unchecked")
  public T recv() throws InterruptedException {
    return (T) handle.recv();
  }

  /**
   * Receives the next message as the bytes that were sent (for a message sent with {@link #send}, its
   * serialized form). Blocks until there is one. Equivalent of Python's {@code recv_bytes()}.
   *
   * @throws PipeClosedException, InterruptedException, IllegalStateException as {@link #recv()}
   */
  public byte[] recvBytes() throws InterruptedException {
    return handle.recvBytes();
  }

  /**
   * Receives the next message's bytes into {@code buffer} from index 0. Equivalent of Python's
   * {@code recv_bytes_into(buffer)}.
   *
   * @return the number of bytes of the message
   * @throws BufferTooShortException if the message does not fit; it carries the message
   * @throws PipeClosedException, InterruptedException, IllegalStateException as {@link #recv()}
   */
  public int recvBytesInto(byte[] buffer) throws InterruptedException {
    return recvBytesInto(buffer, 0);
  }

  /**
   * Receives the next message's bytes into {@code buffer} from {@code offset}. Equivalent of Python's
   * {@code recv_bytes_into(buffer, offset)}.
   *
   * @return the number of bytes of the message
   * @throws IndexOutOfBoundsException if {@code offset} is outside the buffer (nothing is received)
   * @throws BufferTooShortException if the message does not fit; it carries the message
   * @throws PipeClosedException, InterruptedException, IllegalStateException as {@link #recv()}
   */
  public int recvBytesInto(byte[] buffer, int offset) throws InterruptedException {
    if (offset < 0 || offset > buffer.length) {
      throw new IndexOutOfBoundsException("offset " + offset + " of a buffer of " + buffer.length);
    }
    byte[] message = handle.recvBytes();
    if (message.length > buffer.length - offset) {
      throw new BufferTooShortException(message, buffer.length - offset);
    }
    System.arraycopy(message, 0, buffer, offset, message.length);
    return message.length;
  }

  /**
   * Whether a message (or the end of file) can be received now, without waiting. Equivalent of
   * Python's {@code poll()}.
   *
   * @throws InterruptedException if the thread is interrupted while asking the broker (from a child)
   * @throws IllegalStateException if this end is closed or only sends
   */
  public boolean poll() throws InterruptedException {
    return handle.poll(0);
  }

  /**
   * Whether a message (or the end of file) can be received, waiting up to {@code timeout} for one
   * (null: as long as it takes, Python's {@code poll(None)}; negative: not at all). Equivalent of
   * Python's {@code poll(timeout)}.
   *
   * @return true as soon as {@link #recv()} would not block; false if {@code timeout} passed first
   * @throws InterruptedException if the thread is interrupted while waiting
   * @throws IllegalStateException if this end is closed or only sends
   */
  public boolean poll(Duration timeout) throws InterruptedException {
    return handle.poll(Timeouts.millis(timeout));
  }

  /** Whether this end can receive (false for the sending end of a one-way pipe). Python's {@code readable}. */
  public boolean readable() {
    return handle.readable();
  }

  /** Whether this end can send (false for the receiving end of a one-way pipe). Python's {@code writable}. */
  public boolean writable() {
    return handle.writable();
  }

  /**
   * Closes this process's hold on this end (every copy of it in this process); once no process holds
   * it, the other end sees end of file. Idempotent, never blocks. Equivalent of Python's {@code close()}.
   */
  @Override
  public void close() {
    handle.close();
  }

  /** Whether this process's hold on this end is closed (by {@link #close()}, or the parent is gone). Python's {@code closed}. */
  public boolean isClosed() {
    return handle.isClosed();
  }

  /**
   * How many messages of this end's pipe passed through its broker, asked in the process that created
   * the pipe (-1 elsewhere); messages a child reads straight from another child are not counted.
   */
  long relayedByBroker() {
    return handle.relayedByBroker();
  }

  /**
   * The bytes of the messages sent to this end that its broker holds, not yet received, asked in the
   * process that created the pipe (-1 elsewhere).
   */
  long heldByBroker() {
    return handle.heldByBroker();
  }

  @Override
  public String toString() {
    return "Connection[" + handle.name() + (handle.readable() ? ", readable" : "")
        + (handle.writable() ? ", writable" : "") + (handle.isClosed() ? ", closed" : "") + "]";
  }
}
