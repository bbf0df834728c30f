package io.multiprocessing4j.internal;

import io.multiprocessing4j.PicklingException;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.TaskFrames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.List;
import java.util.RandomAccess;

/**
 * The input side of one pool job: reads the caller's items lazily, a chunk at a time, encodes each
 * chunk, and keeps a small buffer of encoded chunks for the pool actor to take as workers ask for work.
 *
 * <p>Whoever feeds (the caller's own thread for a blocking {@code map}, a pool feeder thread for the
 * asynchronous calls and {@code imap}) blocks while the buffer is full, so the input is never encoded
 * far ahead of the workers. The buffer holds at least {@code minChunks} chunks and, while they are
 * small, up to {@code maxChunks} (a few hundred KiB at most), so that tiny chunks reach the workers in
 * batches. A blocked feeder is woken only once the buffer is half empty, and the actor is told of a new
 * chunk only when it last found the buffer empty: neither side pays a thread wake-up per chunk. An optional window bounds the items fed but not yet consumed by an
 * {@code imap} reader, which bounds the results held in memory for it. The actor's side
 * ({@link #poll()}, {@link #isEnded()}) never blocks. Closing the feed (the job was cancelled, the pool
 * terminated) drops the buffer and releases a blocked feeder.
 */
final class ChunkFeed {
  /** No window: every item is consumed by the job as soon as its result arrives. */
  static final int NO_WINDOW = Integer.MAX_VALUE;
  /** What a chunk's frame holds besides the chunk and its function. */
  private static final int FRAME_FIELDS_BYTES = 1024;
  /** Beyond {@code minChunks}, the buffer takes more chunks only while it holds less than this. */
  private static final long MAX_BUFFERED_BYTES = 256 * 1024;

  private final PoolJob job;
  private final Iterator<?> input;
  /** The input when it is a random-access list, read a chunk at a time by copying (else null). */
  private final List<?> list;
  /**
   * The list's size when the call was made, which its job's results are sized by: a list that changes
   * size while it is read fails the call (a longer one would overrun the results and stop the pool
   * actor; a shorter one would complete with nulls).
   */
  private final int listSize;
  private int listPosition;
  private final int chunksize;
  /**
   * The chunksize is Python's default, not the caller's choice: a chunk too large for one frame is
   * sent as several smaller ones instead of failing the call (Python's chunks have no size limit).
   */
  private final boolean splitToFit;
  /** A chunk and its function must fit in one frame to a worker, with room for the frame's own fields. */
  private final int maxChunkBytes;
  private final int minChunks;
  private final int maxChunks;
  private int window;
  private final Runnable onChunk;
  private final ArrayDeque<Chunk> buffer = new ArrayDeque<>();
  private long bufferedBytes;
  /** The feeder waits for room. */
  private boolean feederWaiting;
  /** The actor found the buffer empty: the next chunk added must be announced to it. */
  private boolean starved;
  private int fed;
  private long unconsumed;
  private boolean ended;
  private boolean closed;

  /**
   * @param minChunks how many encoded chunks may wait in the buffer, however large
   * @param maxChunks how many small encoded chunks may wait in the buffer
   * @param window how many fed items may be unconsumed at once, or {@link #NO_WINDOW}
   * @param onChunk told (from the feeding thread) when a chunk is added while the actor waits for one
   * @param frameBytes the largest frame the workers' channels carry
   */
  ChunkFeed(PoolJob job, Iterator<?> input, int chunksize, int minChunks, int maxChunks, int window, Runnable onChunk,
      int frameBytes) {
    this(job, input, null, chunksize, false, minChunks, maxChunks, window, onChunk, frameBytes);
  }

  /**
   * A feed over a list, read a chunk at a time ({@link List#subList} copies) when it is random-access.
   *
   * @param splitToFit {@code chunksize} is a default: a chunk too large for one frame is sent in pieces
   */
  ChunkFeed(PoolJob job, List<?> input, int chunksize, boolean splitToFit, int minChunks, int maxChunks, int window,
      Runnable onChunk, int frameBytes) {
    this(job, input instanceof RandomAccess ? null : input.iterator(), input instanceof RandomAccess ? input : null,
        chunksize, splitToFit, minChunks, maxChunks, window, onChunk, frameBytes);
  }

  private ChunkFeed(PoolJob job, Iterator<?> input, List<?> list, int chunksize, boolean splitToFit, int minChunks,
      int maxChunks, int window, Runnable onChunk, int frameBytes) {
    this.job = job;
    this.input = input;
    this.list = list;
    this.listSize = list == null ? -1 : list.size();
    this.chunksize = chunksize;
    this.splitToFit = splitToFit;
    this.maxChunkBytes = frameBytes - FRAME_FIELDS_BYTES;
    this.minChunks = minChunks;
    this.maxChunks = Math.max(minChunks, maxChunks);
    this.window = window;
    this.onChunk = onChunk;
  }

  /**
   * Reads and encodes the whole input, blocking while the buffer or window is full; {@link #feed(int)}
   * without a limit.
   */
  void feedAll() throws InterruptedException {
    feed(Integer.MAX_VALUE);
  }

  /**
   * Reads and encodes up to {@code chunks} chunks, blocking while the buffer or window is full, and
   * tells the job when the input ends. If reading or encoding fails, the job is told and the exception
   * is rethrown, in the feeding thread.
   *
   * @throws PicklingException if an item cannot be serialized
   * @throws InterruptedException if the feeding thread is interrupted while waiting for room
   */
  void feed(int chunks) throws InterruptedException {
    try {
      for (int i = 0; i < chunks && feedOne(); i++) {
        // Each round adds one chunk.
      }
    } catch (RuntimeException | Error e) {
      end();
      job.inputFailed(e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e), fedCount());
      throw e;
    }
  }

  /** {@link #feedAll()} for a feeder thread: failures have reached the job, so they are not rethrown. */
  void feedInBackground() {
    try {
      feedAll();
    } catch (InterruptedException e) {
      // The pool is shutting its feeders down; the job has been failed by whoever did that.
    } catch (RuntimeException | Error e) {
      // Already handed to the job, which reports it to the caller.
    }
  }

  /**
   * Reads and encodes the next chunk into the buffer, waiting for room first.
   *
   * @return false once the input is exhausted or the feed closed
   */
  private boolean feedOne() throws InterruptedException {
    synchronized (this) {
      while (!closed && (isFull() || windowIsFull())) {
        feederWaiting = true;
        wait();
      }
      feederWaiting = false;
      if (closed) {
        return false;
      }
    }
    Object[] array = nextItems();
    if (array.length == 0) {
      int total = end();
      job.inputEnded(total);
      return false;
    }
    List<Chunk> chunks = chunksOf(array, fedCount());
    boolean announce;
    synchronized (this) {
      if (closed) {
        return false;
      }
      for (Chunk chunk : chunks) {
        buffer.add(chunk);
        bufferedBytes += chunk.payload.getSerializedSize();
      }
      fed += array.length;
      unconsumed += array.length;
      announce = starved;
      starved = false;
    }
    if (announce) {
      onChunk.run();
    }
    if (!hasMoreInput()) {
      // Said at once, so a short input (an apply) is complete without another round.
      int total = end();
      job.inputEnded(total);
      return false;
    }
    return true;
  }

  /** Up to {@code chunksize} items from the input; none once it is exhausted. */
  private Object[] nextItems() {
    if (list != null) {
      if (list.size() != listSize) {
        throw new ConcurrentModificationException("the list given to " + job.call + " changed size while it was read, "
            + "from " + listSize + " to " + list.size() + " items; pass a copy to change it meanwhile");
      }
      int from = listPosition;
      int to = (int) Math.min(listSize, (long) from + chunksize);
      listPosition = to;
      return list.subList(from, to).toArray();
    }
    List<Object> items = new ArrayList<>(Math.min(chunksize, 1024));
    while (items.size() < chunksize && input.hasNext()) {
      items.add(input.next());
    }
    return items.toArray();
  }

  private boolean hasMoreInput() {
    return list != null ? listPosition < listSize : input.hasNext();
  }

  /**
   * The items as one chunk, or, if that is too large for one frame and {@link #splitToFit}, as several
   * consecutive ones, each made by halving until it fits.
   *
   * @throws PicklingException if an item cannot be serialized, or a chunk that may not be split (or a
   *     single item) is too large for one frame
   */
  private List<Chunk> chunksOf(Object[] items, int start) {
    Payload encoded = encode(items, start);
    long size = (long) encoded.getSerializedSize() + job.function.getSerializedSize();
    if (size <= maxChunkBytes) {
      return List.of(new Chunk(job, start, items, encoded));
    }
    if (!splitToFit || items.length == 1) {
      throw new PicklingException("items " + start + " to " + (start + items.length - 1) + " of " + job.call + " take "
          + size + " bytes, more than one frame to a worker may carry (" + maxChunkBytes
          + ")" + (items.length == 1 ? "" : "; use a smaller chunksize"), null);
    }
    int half = items.length / 2;
    List<Chunk> chunks = new ArrayList<>(chunksOf(Arrays.copyOfRange(items, 0, half), start));
    chunks.addAll(chunksOf(Arrays.copyOfRange(items, half, items.length), start + half));
    return chunks;
  }

  /**
   * Encodes {@code items} of {@code job}; the job keeps the pipe-end copies they register until it
   * settles ({@link PoolJob#holdUntilSettled}). If the encoding fails, its own copies are released
   * then, and only they: the job's other encodings may still be read by its workers.
   */
  static Payload encodeFor(PoolJob job, Object[] items) throws IOException {
    EndCopies copies = new EndCopies();
    Payload encoded;
    try {
      encoded = EndCopies.record(copies, () -> {
        try {
          return TaskFrames.encodeArray(items);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    job.holdUntilSettled(copies);
    return encoded;
  }

  private Payload encode(Object[] items, int start) {
    Payload encoded;
    try {
      encoded = encodeFor(job, items);
    } catch (IOException | RuntimeException whole) {
      // Encoded again one by one, only to name the item that cannot travel and the path to what in it;
      // the ends these encodings register are never sent, so they are released.
      EndCopies unsent = new EndCopies();
      EndCopies.record(unsent, () -> {
        for (int i = 0; i < items.length; i++) {
          TargetEncoder.encode(items[i], "item " + (start + i) + " of " + job.call, "item");
        }
        return null;
      });
      unsent.release();
      throw new PicklingException("cannot send the items of " + job.call + " to a worker: " + whole, whole);
    }
    return encoded;
  }

  /**
   * The next chunk would take the unconsumed items past the window. A chunk is always let in when
   * nothing is unconsumed: the window is capped below {@code Integer.MAX_VALUE}, so a chunksize
   * larger than it (an {@code imap} asked for one chunk of everything) would otherwise never be fed.
   */
  private boolean windowIsFull() {
    return unconsumed > 0 && unconsumed + chunksize > window;
  }

  private boolean isFull() {
    return buffer.size() >= maxChunks || (buffer.size() >= minChunks && bufferedBytes >= MAX_BUFFERED_BYTES);
  }

  /** Room for half a buffer (by count and by size): a waiting feeder is woken only then. */
  private boolean isHalfEmpty() {
    return buffer.size() <= maxChunks / 2 && (buffer.size() < minChunks || bufferedBytes <= MAX_BUFFERED_BYTES / 2);
  }

  /**
   * The next encoded chunk, or null if none is ready (the feed then announces its next chunk). Never
   * blocks.
   */
  synchronized Chunk poll() {
    Chunk chunk = buffer.poll();
    if (chunk == null) {
      starved = true;
      return null;
    }
    bufferedBytes -= chunk.payload.getSerializedSize();
    if (feederWaiting && isHalfEmpty()) {
      notifyAll();
    }
    return chunk;
  }

  /** True once no chunk will be added any more: read {@link #poll()} after this to drain the rest. */
  synchronized boolean isEnded() {
    return ended || closed;
  }

  /** The reader has consumed {@code items} results, which makes room in the window. */
  synchronized void consumed(int items) {
    unconsumed -= items;
    notifyAll();
  }

  /**
   * Lifts the window: the rest of the input is read as fast as the workers take it, whether or not
   * the reader keeps up (the pool is closing and must finish the submitted work).
   */
  synchronized void liftWindow() {
    window = NO_WINDOW;
    notifyAll();
  }

  /** Stops feeding: drops the buffered chunks and releases a blocked feeder. Idempotent. */
  synchronized void close() {
    closed = true;
    buffer.clear();
    bufferedBytes = 0;
    notifyAll();
  }

  private synchronized int end() {
    ended = true;
    return fed;
  }

  private synchronized int fedCount() {
    return fed;
  }
}
