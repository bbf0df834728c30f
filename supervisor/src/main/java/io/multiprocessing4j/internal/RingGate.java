package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The gate of a ring that carries a pipe's messages straight from a writing child to the reading one
 * ({@link DirectRoute}, {@link DirectInbox}): a word in the ring's header, 0 while open, the writer's
 * pid while it writes a message, -1 once the reader closed it. The writer takes it for each message;
 * the reader closes it only between two messages, so when it hands its end on it knows that nothing
 * more will be written there, and the writer knows to send through the broker again.
 */
final class RingGate {
  private static final long CLOSED = -1;

  /** What {@link #write} did. */
  enum Written { YES, GATE_CLOSED, READER_LOST }

  private RingGate() {}

  /**
   * Writes one message into {@code ring} unless its gate is closed. Writers of one process must take
   * turns around this call (the gate holds one pid).
   */
  static Written write(PostRing ring, Payload item, BooleanSupplier lost) {
    SharedBlock block = ring.block();
    if (!block.compareAndSetLong(PostRing.GATE_AT, 0, ProcessIdentity.PID)) {
      return Written.GATE_CLOSED;
    }
    try {
      return ring.write(item, 0, lost) ? Written.YES : Written.READER_LOST;
    } finally {
      block.setLongVolatile(PostRing.GATE_AT, 0);
    }
  }

  /**
   * Reader side: closes the gate. Waits out a message being written (draining into {@code sink}
   * meanwhile, since that writer may wait for room), or gives up on it if the writer has died.
   */
  static void close(PostRing ring, PostRing.Sink sink, long maxBytes) {
    SharedBlock block = ring.block();
    while (true) {
      long gate = block.getLongVolatile(PostRing.GATE_AT);
      if (gate == CLOSED || (gate == 0 && block.compareAndSetLong(PostRing.GATE_AT, 0, CLOSED))) {
        return;
      }
      if (gate != 0) {
        ring.drain(sink, maxBytes);
        if (ring.creatorDied(0)) {
          block.setLongVolatile(PostRing.GATE_AT, CLOSED);
          return;
        }
        LockSupport.parkNanos(50_000);
      }
    }
  }
}
