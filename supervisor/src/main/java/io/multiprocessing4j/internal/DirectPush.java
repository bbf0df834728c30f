package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The broker's side of a pipe end read directly ({@link PipeBroker}): the one process that holds the
 * end, to which the broker pushes, in order, what is still sent through it (by the parent, from another
 * host, or before a writer's direct ring was set up) and the records that steer its reading: a writer's
 * new ring ({@link ChannelCodec#DIRECT_START}), the end of file ({@link ChannelCodec#DIRECT_EOF}), the
 * end of pushing ({@link ChannelCodec#DIRECT_STOPPED}). Pushes go into the reader's reply ring, tagged
 * {@link ChannelCodec#PUSH_TAG}.
 *
 * <p>Order: records are queued under the broker's lock, so in the order the broker decided them, and
 * written after it is released ({@link Answers#afterwards}) by whichever thread queued one, taking
 * turns; a thread that queued a record writes until the queue is empty, so none is left behind.
 */
final class DirectPush {
  final BrokerClient.Remote reader;
  /** The processes writing to {@link #reader} through a ring of their own. Guarded by the broker's lock. */
  final Set<BrokerClient.Remote> writers = new HashSet<>();
  /** The files of the writers' rings, which the reader deletes once it mapped them. Guarded by the broker's lock. */
  private final List<Path> ringFiles = new ArrayList<>();
  private final ConcurrentLinkedQueue<Payload> outbox = new ConcurrentLinkedQueue<>();
  private final ReentrantLock writing = new ReentrantLock();

  DirectPush(BrokerClient.Remote reader) {
    this.reader = reader;
  }

  /** Queues a record for the reader; called with the broker's lock held. */
  void push(Payload record, Answers answers) {
    outbox.add(record);
    answers.afterwards(this::flush);
  }

  /** A writer's ring at {@code path} joins; the reader learns of it in order. Called with the broker's lock held. */
  void ringOffered(BrokerClient.Remote writer, String path, Answers answers) {
    writers.add(writer);
    ringFiles.add(Path.of(path));
    push(ChannelCodec.directRecord(ChannelCodec.DIRECT_START, path), answers);
  }

  /**
   * The reader is gone (or the context closed): deletes the files of the rings it may not have mapped
   * yet, once the broker's lock is released. Called with the lock held.
   */
  void readerGone(Answers answers) {
    List<Path> files = new ArrayList<>(ringFiles);
    answers.afterwards(() -> files.forEach(DirectPush::deleteQuietly));
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Left for the sweep of blocks whose creator is dead.
    }
  }

  private void flush() {
    writing.lock();
    try {
      Payload record;
      while ((record = outbox.poll()) != null) {
        if (!reader.replies.write(record, ChannelCodec.PUSH_TAG, reader.channel::isClosed)) {
          // The reader is gone: it held the end alone, so the end is closing and its messages with it.
          outbox.clear();
          reader.channel.close();
          return;
        }
      }
    } finally {
      writing.unlock();
    }
  }
}
