package io.multiprocessing4j.wire;

import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * A two-way stream of Protobuf frames, whatever carries it: a {@link FrameChannel} on a local socket,
 * or a session relayed over Pekko remoting from another machine. Frames sent are received whole and
 * in order; {@link #send} and {@link #post} may be called from any thread.
 *
 * @param <I> the message type read from this link
 */
public interface FrameLink<I extends MessageLite> {
  /** Sends a frame whole; may block while the peer falls behind. */
  void send(MessageLite message) throws IOException;

  /** Sends a frame nobody waits an answer for; it is delivered before any later frame. */
  void post(MessageLite message) throws IOException;

  /** Writes out whatever {@link #post} left queued. */
  void flush() throws IOException;

  /**
   * Hands every frame received to {@code onFrame}, in order, on one thread at a time, until the link
   * ends; then calls {@code onClosed} once with the cause (null on a clean end or a local close).
   */
  void receive(String threadName, Consumer<I> onFrame, Consumer<Throwable> onClosed);

  boolean isClosed();

  /** Closes the link; idempotent. */
  void close();
}
