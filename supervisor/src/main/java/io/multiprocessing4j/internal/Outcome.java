package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;

/**
 * How a broker answers one call of a queue or pipe handle. In the parent a local handle receives it
 * directly; for a handle in a child, {@link ChannelCodec} turns it into a {@code ChannelReply} frame.
 */
sealed interface Outcome {
  /** An item taken by a get or recv. */
  record Item(Payload payload) implements Outcome {}

  /** A number: the queue's size. */
  record Count(long value) implements Outcome {}

  /** The call was refused; the message says why (a closed queue, task_done called too often...). */
  record Refused(String message) implements Outcome {}

  /** Answers that carry nothing but their kind. */
  enum Status implements Outcome {
    /** The put was accepted, the join completed, the sync passed, the task was marked done. */
    DONE,
    /** No item within the timeout. */
    EMPTY,
    /** No space within the timeout. */
    FULL,
    /** A poll: an item (or the end of the stream) is waiting. */
    READY,
    /** The pipe's other end is closed (and, for a receiver, everything it sent was received). */
    CLOSED,
    /** A pipe get: this end's messages are now pushed to the asking process ({@link DirectInbox}). */
    DIRECT_READER,
    /** A notice to a pipe's sending end: the other end is read directly; offer it a ring ({@link DirectRoute}). */
    DIRECT_ROUTE
  }
}
