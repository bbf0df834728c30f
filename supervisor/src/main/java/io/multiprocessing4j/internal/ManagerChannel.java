package io.multiprocessing4j.internal;

import com.google.protobuf.CodedOutputStream;
import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.ChallengeResponse;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.wire.Endpoint;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Handshake;
import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One authenticated connection between a proxy and a manager, carrying the same frames as a
 * {@link FrameChannel} (4-byte big-endian length, then a {@code Frame}), but read the way a manager
 * call is used: a request is answered within microseconds, and the next request of a busy caller
 * follows as fast. So {@link #receive()} first spins on a non-blocking read, for as long as spinning
 * has recently paid off (doubling up to {@value #MAX_SPIN_NANOS} ns when the frame came while
 * spinning, shrinking by an eighth when it did not, as {@link Backoff} does), then blocks. The decay
 * is slow on purpose: a miss at one end (its peer was asleep) makes the other end miss too, and
 * halving would let a single hiccup switch spinning off at both ends for good. On a machine with idle
 * cores a call then costs no scheduler wake-up at either end; on a busy one spinning fades out, and
 * is probed again every {@value #PROBE_EVERY} frames.
 *
 * <p>Frames go through direct buffers kept per connection, and a frame is usually taken in with one
 * read (length and body together): a call costs one write and one read at each end, with no copy
 * through the JDK's temporary direct buffers.
 *
 * <p>Used by one thread at a time (a proxy connection belongs to its thread; a manager connection is
 * served by its own thread).
 */
final class ManagerChannel implements AutoCloseable {
  static final int MAX_FRAME_BYTES = FrameChannel.DEFAULT_MAX_FRAME_BYTES;
  /**
   * Longer than this machine's wake-up of an idle vCPU (about 60 µs measured): a peer that blocked
   * and is woken must find this end still spinning, or both ends fall back to blocking.
   */
  private static final int MAX_SPIN_NANOS = 200_000;
  /** Below this, spinning is off (0), except for a probe of {@link #PROBE_NANOS} every {@link #PROBE_EVERY} frames. */
  private static final int MIN_SPIN_NANOS = 1_000;
  private static final int PROBE_NANOS = 100_000;
  private static final int PROBE_EVERY = 64;
  /** The kept size of each buffer; a larger frame gets a buffer of its own, dropped once it is through. */
  private static final int BUFFER_BYTES = 16 * 1024;

  private final SocketChannel socket;
  private final ByteBuffer header = ByteBuffer.allocate(4);
  /** Bytes received and not yet taken, from index 0 to the position. */
  private ByteBuffer in = ByteBuffer.allocateDirect(BUFFER_BYTES);
  private ByteBuffer out = ByteBuffer.allocateDirect(BUFFER_BYTES);
  private boolean blocking = true;
  private int spinNanos = MAX_SPIN_NANOS;
  private int received;

  ManagerChannel(SocketChannel socket) {
    this.socket = socket;
  }

  /** Connects to a manager and proves the endpoint's key (the channel server handshake). */
  static ManagerChannel connect(Endpoint endpoint) throws IOException {
    SocketChannel socket = SocketChannel.open(UnixDomainSocketAddress.of(endpoint.socketPath()));
    try {
      ManagerChannel channel = new ManagerChannel(socket);
      Challenge challenge = channel.readExactly(Challenge.parser(), 256);
      channel.send(Handshake.respond(challenge, endpoint.key(), endpoint.id(), ProcessIdentity.PID));
      return channel;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Reads one length-prefixed message and nothing after it, as a handshake must: the caller's first
   * frames may already follow it on the socket, and a buffering reader would swallow them.
   */
  <M> M readExactly(Parser<M> parser, int limit) throws IOException {
    header.clear();
    readAtLeast(header, 4, System.nanoTime());
    int size = header.getInt(0);
    if (size < 0 || size > limit) {
      throw new IOException("refused a handshake message announcing " + size + " bytes");
    }
    ByteBuffer body = ByteBuffer.allocate(size);
    readAtLeast(body, size, System.nanoTime());
    return parser.parseFrom(body.flip());
  }

  /** Writes one frame (or handshake message) whole. */
  void send(MessageLite frame) throws IOException {
    int size = frame.getSerializedSize();
    ByteBuffer bytes = 4 + size <= out.capacity() ? out.clear() : ByteBuffer.allocateDirect(4 + size);
    bytes.putInt(size);
    CodedOutputStream coded = CodedOutputStream.newInstance(bytes.slice(4, size));
    frame.writeTo(coded);
    coded.checkNoSpaceLeft();
    bytes.limit(4 + size).position(0);
    while (bytes.hasRemaining()) {
      if (socket.write(bytes) == 0) {
        Thread.onSpinWait();
      }
    }
  }

  /**
   * Reads one frame, spinning first and then blocking.
   *
   * @throws EOFException when the peer closed the connection (or died)
   * @throws IOException if the frame is malformed or larger than {@link #MAX_FRAME_BYTES}
   */
  Frame receive() throws IOException {
    boolean spin = spinNanos > 0 || ++received % PROBE_EVERY == 0;
    long spinUntil = System.nanoTime() + (spinNanos > 0 ? spinNanos : PROBE_NANOS);
    if (spin && blocking) {
      socket.configureBlocking(false);
      blocking = false;
    }
    boolean arrivedWhileSpinning = readAtLeast(in, 4, spinUntil);
    int size = in.getInt(0);
    if (size < 0 || size > MAX_FRAME_BYTES) {
      throw new IOException("refused a frame announcing " + size + " bytes");
    }
    if (4 + size > in.capacity()) {
      in = ByteBuffer.allocateDirect(4 + size).put(in.flip());
    }
    readAtLeast(in, 4 + size, System.nanoTime() + MAX_SPIN_NANOS);
    if (spin) {
      int next = arrivedWhileSpinning ? Math.max(PROBE_NANOS, spinNanos * 2) : spinNanos - spinNanos / 8;
      spinNanos = next < MIN_SPIN_NANOS ? 0 : Math.min(MAX_SPIN_NANOS, next);
    }
    Frame frame = Frame.parseFrom(in.duplicate().limit(4 + size).position(4));
    takeFirst(4 + size);
    return frame;
  }

  /** Drops the first {@code count} bytes of {@link #in}, keeping what follows them. */
  private void takeFirst(int count) {
    int held = in.position();
    if (in.capacity() > BUFFER_BYTES && held == count) {
      in = ByteBuffer.allocateDirect(BUFFER_BYTES);
      return;
    }
    in.limit(held).position(count);
    in.compact();
  }

  /**
   * Reads into {@code buffer} until its position is at least {@code needed} (it may read more, up to
   * its limit); non-blocking reads are retried until {@code spinUntil}, then the socket blocks.
   * Returns whether it never had to block.
   */
  private boolean readAtLeast(ByteBuffer buffer, int needed, long spinUntil) throws IOException {
    boolean spinning = true;
    while (buffer.position() < needed) {
      int read = socket.read(buffer);
      if (read < 0) {
        throw new EOFException("connection closed by peer");
      }
      if (read == 0 && !blocking) {
        if (System.nanoTime() - spinUntil < 0) {
          Thread.onSpinWait();
        } else {
          socket.configureBlocking(true);
          blocking = true;
          spinning = false;
        }
      }
    }
    return spinning;
  }

  boolean isOpen() {
    return socket.isOpen();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Nothing left to release.
    }
  }
}
