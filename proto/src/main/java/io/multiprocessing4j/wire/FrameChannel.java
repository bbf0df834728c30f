package io.multiprocessing4j.wire;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A bidirectional stream of length-prefixed Protobuf messages over a connected (blocking) socket
 * channel. Each frame is a 4-byte big-endian length followed by that many bytes of one message.
 *
 * <p>Threads: {@link #send} may be called from any thread; a frame is written whole under a lock, so
 * concurrent senders never interleave. Reading is done either synchronously ({@link #read}, used during
 * the handshake) or by one reader thread started with {@link #startReader}, which hands every frame to
 * a consumer in arrival order. Closing is idempotent and wakes a blocked reader.
 *
 * @param <I> the message type read from this channel
 */
public final class FrameChannel<I extends MessageLite> implements AutoCloseable {
  /** Frames above this size are refused on both sides unless a channel is created with a larger one. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

  private final SocketChannel channel;
  private final Parser<I> parser;
  private final int maxFrameBytes;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN);
  private volatile boolean closed;

  public FrameChannel(SocketChannel channel, Parser<I> parser, int maxFrameBytes) {
    this.channel = channel;
    this.parser = parser;
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Writes one frame; blocks until the kernel has taken all of it (that is the back pressure). */
  public void send(MessageLite message) throws IOException {
    int size = message.getSerializedSize();
    if (size > maxFrameBytes) {
      throw new IOException("frame of " + size + " bytes exceeds the limit of " + maxFrameBytes);
    }
    byte[] bytes = new byte[4 + size];
    ByteBuffer.wrap(bytes).putInt(size);
    CodedOutputStream out = CodedOutputStream.newInstance(bytes, 4, size);
    message.writeTo(out);
    out.checkNoSpaceLeft();
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    writeLock.lock();
    try {
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Reads one frame, refusing (with an {@link IOException}, before reading its body) any frame larger
   * than {@code limit} bytes. Throws {@link EOFException} when the peer closed the connection.
   */
  public I read(int limit) throws IOException {
    return read(parser, limit);
  }

  /** Reads one frame of another message type (used before the channel's own stream begins). */
  public <M> M read(Parser<M> as, int limit) throws IOException {
    header.clear();
    readFully(header);
    int size = header.getInt(0);
    if (size < 0 || size > limit) {
      throw new IOException("refused a frame announcing " + size + " bytes (limit " + limit + ")");
    }
    ByteBuffer body = ByteBuffer.allocate(size);
    readFully(body);
    try {
      return as.parseFrom(body.array());
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("malformed frame: " + e.getMessage(), e);
    }
  }

  /** Reads one frame within this channel's own size limit. */
  public I read() throws IOException {
    return read(maxFrameBytes);
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

  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    try {
      channel.close();
    } catch (IOException ignored) {
      // Closing an already broken socket has nothing left to release.
    }
  }

  private void readFully(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      if (channel.read(buffer) < 0) {
        throw new EOFException("connection closed by peer");
      }
    }
  }
}
