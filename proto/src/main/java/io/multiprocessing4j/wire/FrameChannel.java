package io.multiprocessing4j.wire;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A bidirectional stream of length-prefixed Protobuf messages over a connected (blocking) socket
 * channel. Each frame is a 4-byte big-endian length followed by that many bytes of one message.
 *
 * <p>Threads: {@link #send} may be called from any thread; a frame is written whole, so concurrent
 * senders never interleave. Frames that several threads send at the same moment are combined: whichever
 * sender holds the write lock writes every frame queued so far in one gathering write, so a burst costs
 * one system call instead of one per frame. Reading is done either synchronously ({@link #read}, used
 * during the handshake) or by one reader thread started with {@link #startReader}, which hands every
 * frame to a consumer in arrival order; reads go through a 64 KiB buffer, so a burst of small frames
 * costs one system call too. Closing is idempotent and wakes a blocked reader.
 *
 * <p>{@link #post} is for frames nobody waits an answer for (a queue put, a pipe send). A post that
 * follows the previous one closely (a stream) is queued for a flusher thread, which writes everything
 * queued in one gathering write, so a producer streams without a system call per frame and its peer is
 * woken once per burst instead of once per frame; an isolated post is written at once, so a ping-pong
 * pays no thread hand-off. Queued frames are flushed before any later {@link #send} (order is kept),
 * by {@link #flush()}, and by a shutdown hook when the JVM exits normally.
 *
 * @param <I> the message type read from this channel
 */
public final class FrameChannel<I extends MessageLite> implements FrameLink<I>, AutoCloseable {
  /** Frames above this size are refused on both sides unless a channel is created with a larger one. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

  private static final int READ_BUFFER_BYTES = 64 * 1024;
  /** At most this many frames go into one gathering write (the kernel caps iovecs at 1024). */
  private static final int MAX_FRAMES_PER_WRITE = 256;
  /** A post this soon after the previous one is part of a stream and is left to the flusher. */
  private static final long STREAM_GAP_NANOS = 20_000;
  /** Frames larger than this are written at once: batching gains nothing for them. */
  private static final int MAX_QUEUED_FRAME_BYTES = 64 * 1024;
  /** While more than this is queued, a post writes (back pressure on a producer faster than the socket). */
  private static final long MAX_QUEUED_BYTES = 4L * 1024 * 1024;

  private final SocketChannel channel;
  private final Parser<I> parser;
  private volatile int maxFrameBytes;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ConcurrentLinkedQueue<ByteBuffer> outbox = new ConcurrentLinkedQueue<>();
  private final AtomicLong queuedBytes = new AtomicLong();
  private long lastPostNanos;
  private volatile Thread flusher;
  private volatile boolean flusherParked;
  private Thread flushAtExit;
  private final ByteBuffer[] gather = new ByteBuffer[MAX_FRAMES_PER_WRITE];
  /** Unread bytes are between position and limit. */
  private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_BUFFER_BYTES).flip();
  private volatile boolean closed;
  /** Set when a write failed: every frame queued then is lost, and so is every later one. */
  private volatile IOException writeFailure;

  public FrameChannel(SocketChannel channel, Parser<I> parser, int maxFrameBytes) {
    this.channel = channel;
    this.parser = parser;
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Writes one frame; blocks until the kernel has taken all of it (that is the back pressure), whether
   * this thread wrote it or another sender wrote it along with its own.
   *
   * @throws IOException if the frame exceeds {@link #maxFrameBytes()} (nothing is written then) or the
   *     connection failed
   */
  @Override
  public void send(MessageLite message) throws IOException {
    write(encode(message));
  }

  /**
   * Writes several frames, in order, in as few gathering writes as possible (one per 256 frames);
   * otherwise as {@link #send} for each. Every frame is encoded before any is written, so a frame over
   * the limit fails the call with nothing written.
   */
  public void sendAll(List<? extends MessageLite> messages) throws IOException {
    if (messages.isEmpty()) {
      return;
    }
    ByteBuffer[] frames = new ByteBuffer[messages.size()];
    for (int i = 0; i < frames.length; i++) {
      frames[i] = encode(messages.get(i));
    }
    for (int i = 0; i < frames.length - 1; i++) {
      enqueue(frames[i]);
    }
    write(frames[frames.length - 1]);
  }

  /**
   * Sends a frame nobody waits an answer for. Returns once the frame is written or queued for the
   * flusher (see the class comment); either way it reaches the peer before any frame sent after it, and
   * before this JVM exits normally.
   *
   * @throws IOException as {@link #send}, or if an earlier write failed
   */
  @Override
  public void post(MessageLite message) throws IOException {
    ByteBuffer frame = encode(message);
    long now = System.nanoTime();
    boolean streaming = now - lastPostNanos < STREAM_GAP_NANOS;
    lastPostNanos = now;
    if (!streaming || frame.remaining() > MAX_QUEUED_FRAME_BYTES || queuedBytes.get() > MAX_QUEUED_BYTES) {
      write(frame);
      return;
    }
    IOException failure = writeFailure;
    if (failure != null) {
      throw new IOException("connection failed: " + failure.getMessage(), failure);
    }
    enqueue(frame);
    Thread writer = flusher;
    if (writer == null) {
      startFlusher();
    } else if (flusherParked) {
      LockSupport.unpark(writer);
    }
  }

  /** Writes every queued frame now. */
  @Override
  public void flush() throws IOException {
    writeLock.lock();
    try {
      while (!outbox.isEmpty() && writeFailure == null) {
        writeQueuedFrames();
      }
    } finally {
      writeLock.unlock();
    }
  }

  private ByteBuffer encode(MessageLite message) throws IOException {
    int size = message.getSerializedSize();
    int limit = maxFrameBytes;
    if (size > limit) {
      throw new IOException("frame of " + size + " bytes exceeds the limit of " + limit);
    }
    byte[] bytes = new byte[4 + size];
    ByteBuffer.wrap(bytes).putInt(size);
    CodedOutputStream out = CodedOutputStream.newInstance(bytes, 4, size);
    message.writeTo(out);
    out.checkNoSpaceLeft();
    return ByteBuffer.wrap(bytes);
  }

  private void enqueue(ByteBuffer frame) {
    queuedBytes.addAndGet(frame.remaining());
    outbox.add(frame);
  }

  /** Queues a frame and returns once it is written, by this thread or by another writer. */
  private void write(ByteBuffer frame) throws IOException {
    enqueue(frame);
    writeLock.lock();
    try {
      // Whoever held the lock before may have written this frame already, along with its own.
      while (frame.hasRemaining() && writeFailure == null) {
        writeQueuedFrames();
      }
    } finally {
      writeLock.unlock();
    }
    IOException failure = writeFailure;
    if (failure != null) {
      throw new IOException("connection failed: " + failure.getMessage(), failure);
    }
  }

  /** Writes the frames queued so far, oldest first, in one gathering write. Holds the write lock. */
  private void writeQueuedFrames() throws IOException {
    int count = 0;
    ByteBuffer next;
    long bytes = 0;
    while (count < MAX_FRAMES_PER_WRITE && (next = outbox.poll()) != null) {
      gather[count++] = next;
      bytes += next.remaining();
    }
    queuedBytes.addAndGet(-bytes);
    if (count == 0) {
      return;
    }
    try {
      ByteBuffer last = gather[count - 1];
      while (last.hasRemaining()) {
        channel.write(gather, 0, count);
      }
    } catch (IOException e) {
      // The frames taken here are lost with the connection; their senders learn it from writeFailure.
      writeFailure = e;
      throw e;
    } finally {
      java.util.Arrays.fill(gather, 0, count, null);
    }
  }

  /**
   * Reads one frame, refusing (with an {@link IOException}, before reading its body) any frame larger
   * than {@code limit} bytes. Throws {@link EOFException} when the peer closed the connection.
   */
  public I read(int limit) throws IOException {
    return read(parser, limit);
  }

  /**
   * Reads one frame of another message type (used before the channel's own stream begins). Frames
   * larger than the read buffer are parsed in place, so their {@code bytes} fields share the frame's
   * array instead of being copied.
   */
  public <M> M read(Parser<M> as, int limit) throws IOException {
    fill(4);
    int size = readBuffer.getInt();
    if (size < 0 || size > limit) {
      throw new IOException("refused a frame announcing " + size + " bytes (limit " + limit + ")");
    }
    try {
      if (size <= readBuffer.capacity()) {
        fill(size);
        int start = readBuffer.position();
        readBuffer.position(start + size);
        return as.parseFrom(readBuffer.array(), readBuffer.arrayOffset() + start, size);
      }
      byte[] body = new byte[size];
      int buffered = readBuffer.remaining();
      readBuffer.get(body, 0, buffered);
      ByteBuffer rest = ByteBuffer.wrap(body, buffered, size - buffered);
      while (rest.hasRemaining()) {
        if (channel.read(rest) < 0) {
          throw new EOFException("connection closed by peer");
        }
      }
      CodedInputStream in = CodedInputStream.newInstance(body);
      in.enableAliasing(true);
      return as.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("malformed frame: " + e.getMessage(), e);
    }
  }

  /** Reads one frame within this channel's own size limit. */
  public I read() throws IOException {
    return read(maxFrameBytes);
  }

  /** The largest frame this channel sends or accepts. */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * Changes the largest frame this channel sends or accepts. A service whose messages are bigger than
   * the channel server's default (a queue carrying large items) raises it once the peer is admitted.
   */
  public void setMaxFrameBytes(int maxFrameBytes) {
    if (maxFrameBytes < 1024) {
      throw new IllegalArgumentException("maxFrameBytes must be at least 1024, was " + maxFrameBytes);
    }
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Starts a daemon thread that reads frames until the connection ends, passing each to
   * {@code onFrame}, then calls {@code onClosed} exactly once with the cause (null on a clean EOF or a
   * local close).
   */
  public Thread startReader(String threadName, Consumer<I> onFrame, Consumer<Throwable> onClosed) {
    Thread reader = new Thread(() -> {
      Throwable cause = null;
      try {
        while (!closed) {
          onFrame.accept(read());
        }
      } catch (EOFException e) {
        cause = null;
      } catch (IOException e) {
        cause = closed ? null : e;
      } catch (RuntimeException e) {
        cause = e;
      } finally {
        close();
        onClosed.accept(cause);
      }
    }, threadName);
    reader.setDaemon(true);
    reader.start();
    return reader;
  }

  @Override
  public void receive(String threadName, Consumer<I> onFrame, Consumer<Throwable> onClosed) {
    startReader(threadName, onFrame, onClosed);
  }

  /**
   * Asks the kernel for a send buffer of {@code bytes}, so that a burst of up to that much is taken
   * by one write without waiting for the peer to read (Linux grants at most {@code net.core.wmem_max}).
   *
   * @throws IOException if the socket refuses the option or is closed
   */
  public void setSendBufferBytes(int bytes) throws IOException {
    channel.setOption(StandardSocketOptions.SO_SNDBUF, bytes);
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  /** The flusher writes whatever posts queue up, parking when there is nothing; a hook flushes at exit. */
  private synchronized void startFlusher() {
    if (flusher != null) {
      return;
    }
    Thread writer = new Thread(this::flushUntilClosed, "multiprocessing4j-flusher");
    writer.setDaemon(true);
    flushAtExit = new Thread(() -> {
      try {
        flush();
      } catch (IOException e) {
        // The peer is gone: nothing left to deliver to.
      }
    }, "multiprocessing4j-flush-at-exit");
    try {
      Runtime.getRuntime().addShutdownHook(flushAtExit);
    } catch (IllegalStateException shuttingDown) {
      flushAtExit = null;
    }
    flusher = writer;
    writer.start();
  }

  private void flushUntilClosed() {
    while (!closed && writeFailure == null) {
      if (outbox.isEmpty()) {
        flusherParked = true;
        if (outbox.isEmpty() && !closed) {
          LockSupport.park(this);
        }
        flusherParked = false;
        continue;
      }
      try {
        flush();
      } catch (IOException e) {
        return;
      }
    }
  }

  /**
   * Ends this side's reading without waiting: a reader blocked in {@link #read} or started with
   * {@link #startReader} sees end-of-file as soon as it runs, while the caller goes on ({@link #close()}
   * waits until a blocked reader is out of its read). Writing is unaffected. Does nothing on a closed
   * channel.
   */
  public void shutdownInput() {
    try {
      channel.shutdownInput();
    } catch (IOException | NotYetConnectedException e) {
      // Closed or never connected: no reader can be blocked on it.
    }
  }

  /**
   * Closes the connection at once, without flushing queued posts (a writer blocked on a peer that reads
   * no more must not hold a close up); call {@link #flush()} first to deliver them.
   */
  @Override
  public void close() {
    closed = true;
    Thread writer = flusher;
    if (writer != null) {
      LockSupport.unpark(writer);
    }
    removeExitHook();
    try {
      channel.close();
    } catch (IOException ignored) {
      // Closing an already broken socket has nothing left to release.
    }
  }

  private synchronized void removeExitHook() {
    if (flushAtExit != null && Thread.currentThread() != flushAtExit) {
      try {
        Runtime.getRuntime().removeShutdownHook(flushAtExit);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running or ran; nothing to remove.
      }
      flushAtExit = null;
    }
  }

  /** Makes at least {@code count} (at most the buffer's capacity) unread bytes available in the buffer. */
  private void fill(int count) throws IOException {
    if (readBuffer.remaining() >= count) {
      return;
    }
    readBuffer.compact();
    try {
      while (readBuffer.position() < count) {
        if (channel.read(readBuffer) < 0) {
          throw new EOFException("connection closed by peer");
        }
      }
    } finally {
      readBuffer.flip();
    }
  }
}
