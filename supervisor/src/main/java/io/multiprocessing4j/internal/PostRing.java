package io.multiprocessing4j.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.multiprocessing4j.proto.Payload;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A one-way stream of payloads from one process to another on the same host, through a ring in a
 * shared block ({@link SharedBlock}, kind {@code CHANNEL_RING}): the path of a handle's posts
 * (unbounded puts, pipe sends) and gets to its broker, and of the broker's items that answer the
 * handle's gets (each tagged with its request id), which saves a socket write per message on the
 * sending side and a wake-up, a socket read and a frame parse on the receiving side. The ring's size is
 * a power of two chosen by its creator ({@value #POSTS_CAPACITY} bytes for posts and gets,
 * {@value #REPLIES_CAPACITY} for replies); its pages are allocated as the ring first passes over them.
 * The posts ring holds a few 1 MiB messages so that a writer can stay a whole large message ahead of a
 * reader that allocates and zeroes the next one's array (about 50 us for 1 MiB here); since a parent
 * getter drains about one message at a time ({@link RingIntake#drainForGetter}), what waits in the ring
 * stays outside the reader's heap.
 *
 * <p>One writing process (its threads take turns, so a message is never interleaved with another) and
 * one reading process (its threads take turns too; the writer's process reads only once the reader's
 * has died, see {@link #creatorDied}). The writer publishes a record by advancing the
 * {@code tail} word after the record is written, the reader frees the space by advancing {@code head}
 * after it copied the record out; both words only grow, and a record is always contiguous (the space
 * left before the end of the ring is filled with a padding record when the next one does not fit).
 * A message larger than {@link #maxChunk()} (a quarter of the ring, at most {@value #MAX_RECORD}
 * bytes) travels as several records (chunks) that the reader reassembles; the first one carries the
 * message's length, serializer and manifest. So a message of any size goes through, as fast as the
 * reader drains, and a reader sees a message whole or not at all:
 * a writer that dies mid-message leaves only a partial message, which is dropped with its connection.
 *
 * <p>Waiting: a writer waits for space, and a thread that wants an item for data, with the library's
 * one wait strategy ({@link Backoff}: spin, yield, then sleep on this block's {@link Doorbell}); a
 * background drainer sleeps on the doorbell at once ({@link #awaitData}). Each side rings the doorbell
 * after it changes its word, which costs one read when nobody sleeps, but not after every record: the
 * writer only when the reader had taken everything before its record, since a reader sleeps only on an
 * empty ring and the record that ended that emptiness has rung it; the reader after every quarter of
 * the ring it frees (counted across drains), since a writer waits for less than half the ring (a
 * record is at most a quarter, plus the padding before it), and at the end of a drain that emptied the
 * ring. So a stream costs a ring per batch, not a system call per record on whichever side is ahead,
 * also when the reader takes one message per drain ({@link #drain(Sink, long, long)}). A writer whose
 * reader stopped short of both with room freed sleeps until its bounded park ends.
 *
 * <p>Layout after the block header: {@code tail} (long) at 0, {@code head} (long) at 128 (another cache
 * line), a direct ring's gate (long, {@link RingGate}) at 192, a posts ring's held word (long: 1 while its
 * reader holds its posts back, see {@link #setHeld}) at 200, records from 256. A record: content length (int), flags (int: first chunk, last chunk,
 * padding), the message's data length (long, first chunk only), then the content, padded to 16 bytes.
 * The first chunk's content starts with the serializer id (int), the manifest's length (int), the tag
 * (long) and the manifest (UTF-8).
 */
final class PostRing {
  static final int POSTS_CAPACITY = 1 << 22;
  static final int REPLIES_CAPACITY = 1 << 18;
  /** The largest record, header included. */
  static final int MAX_RECORD = 1 << 18;
  private static final int RECORD_HEADER = 16;
  private static final int TAIL_AT = SharedBlock.HEADER_BYTES;
  private static final int HEAD_AT = SharedBlock.HEADER_BYTES + 128;
  /** The word of a direct ring's gate ({@link RingGate}), in the head's cache line. */
  static final int GATE_AT = SharedBlock.HEADER_BYTES + 192;
  private static final int HELD_AT = SharedBlock.HEADER_BYTES + 200;
  private static final int RECORDS_FROM = 256;
  private static final int FIRST = 1;
  private static final int LAST = 2;
  private static final int PADDING = 4;
  /** Serializer id, manifest length, tag. */
  private static final int FIRST_HEADER = 16;

  /** What a reader does with what it drains. */
  interface Sink {
    /** A whole message and the tag it was written with. */
    void message(Payload item, long tag);

    /** A message longer than the reader accepts, dropped unread. */
    void tooLarge(long bytes);

    /**
     * Whether the reader takes another message now; asked before each message, never in the middle
     * of one. A reader that holds as much as it may says no, and the rest stays in the ring, so its
     * writer waits for space (a pipe's back pressure, see {@link PipeBroker}).
     */
    default boolean accepts() {
      return true;
    }
  }

  private final SharedBlock block;
  private final ByteBuffer records;
  private final int capacity;
  /**
   * The most content bytes in one record: a quarter of the ring, so the writer can fill while the reader
   * drains, and at most {@value #MAX_RECORD} with the header, so the reader copies a large message out
   * while the writer still writes it.
   */
  private final int maxChunk;

  private final ReentrantLock writeLock = new ReentrantLock();
  /** The writer's copy of tail, and its last look at head. Guarded by the write lock. */
  private long tail;
  private long headSeen;

  private final ReentrantLock readLock = new ReentrantLock();
  /** Where head was when the reader last rang the doorbell. Guarded by the read lock. */
  private long headRung;
  /** The message being reassembled from chunks. Guarded by the read lock. */
  private byte[] assembling;
  private int assembled;
  private int serializerId;
  private long tag;
  private ByteString manifest = ByteString.EMPTY;
  private boolean discarding;
  /**
   * How far {@link #takeRequestsBehind} has looked while the posts are held back (head does not move
   * meanwhile): a drainer that looks again every few milliseconds reads only what came since. Guarded
   * by the read lock.
   */
  private long requestsTakenTo;

  private PostRing(SharedBlock block) {
    this.block = block;
    this.records = block.data().position(RECORDS_FROM).slice().order(ByteOrder.nativeOrder());
    this.capacity = records.capacity();
    this.maxChunk = Math.min(capacity / 4, MAX_RECORD) - RECORD_HEADER;
    this.tail = block.getLongVolatile(TAIL_AT);
    this.headRung = block.getLongVolatile(HEAD_AT);
  }

  /**
   * Creates a new, empty ring of {@code capacity} bytes (a power of two, at least 4 KiB) in the file
   * {@code path}, failing if it exists.
   */
  static PostRing create(Path path, int capacity) throws IOException {
    if (capacity < 4096 || Integer.bitCount(capacity) != 1) {
      throw new IllegalArgumentException("a ring's capacity is a power of two of at least 4096, not " + capacity);
    }
    return new PostRing(SharedBlock.create(path, SharedBlock.Kind.CHANNEL_RING, RECORDS_FROM + capacity));
  }

  /** Maps the ring a writer created in {@code path}, for the reader. */
  static PostRing open(Path path) throws IOException {
    SharedBlock block = SharedBlock.open(path);
    long capacity = block.dataSize() - RECORDS_FROM;
    if (block.kind() != SharedBlock.Kind.CHANNEL_RING || capacity < 4096 || Long.bitCount(capacity) != 1) {
      throw new IOException(path + " is not a channel ring");
    }
    return new PostRing(block);
  }

  /**
   * Writes one message, in chunks if it is large, waiting for space as long as the reader drains.
   * Returns false (having written a partial message at most) when {@code lost} says the reader is gone.
   *
   * @param tag handed to the reader with the message (a request id; 0 for a post)
   */
  boolean write(Payload item, long tag, BooleanSupplier lost) {
    ByteString data = item.getData();
    ByteString name = item.getManifestBytes();
    int total = data.size();
    int firstHeader = FIRST_HEADER + name.size();
    if (firstHeader > maxChunk) {
      throw new IllegalArgumentException("a manifest of " + name.size() + " bytes does not fit a ring record");
    }
    writeLock.lock();
    try {
      int offset = 0;
      boolean first = true;
      do {
        int header = first ? firstHeader : 0;
        int part = Math.min(maxChunk - header, total - offset);
        int content = header + part;
        long before = tail;
        int at = claim(content, lost);
        if (at < 0) {
          return false;
        }
        records.putInt(at, content);
        records.putInt(at + 4, (first ? FIRST : 0) | (offset + part == total ? LAST : 0));
        records.putLong(at + 8, total);
        int into = at + RECORD_HEADER;
        if (first) {
          records.putInt(into, item.getSerializerId());
          records.putInt(into + 4, name.size());
          records.putLong(into + 8, tag);
          copy(name, 0, name.size(), into + FIRST_HEADER);
          into += firstHeader;
        }
        copy(data, offset, part, into);
        tail += align(RECORD_HEADER + content);
        block.setLongVolatile(TAIL_AT, tail);
        if (block.getLongVolatile(HEAD_AT) == before) {
          Doorbell.ring(block);
        }
        offset += part;
        first = false;
      } while (offset < total);
      return true;
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Writes a message that fits one record unless that would wait: false if another thread of this
   * process is writing, or the ring has no room for it now.
   */
  boolean tryWrite(Payload item, long tag) {
    if (!writeLock.tryLock()) {
      return false;
    }
    try {
      int content = FIRST_HEADER + item.getManifestBytes().size() + item.getData().size();
      if (content > maxChunk) {
        return false;
      }
      int size = align(RECORD_HEADER + content);
      int toEnd = capacity - (int) (tail & (capacity - 1));
      headSeen = block.getLongVolatile(HEAD_AT);
      // With the room there, write does not wait (and would give up rather than wait).
      return capacity - (tail - headSeen) >= (size <= toEnd ? size : toEnd + size) && write(item, tag, () -> true);
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Reader side: says whether it holds the ring's posts back (a pipe end that holds as much as it may,
   * see {@link RingIntake}), so the writer's process sends what must not wait behind them (a get) on
   * its connection instead.
   */
  void setHeld(boolean held) {
    block.setLongVolatile(HELD_AT, held ? 1 : 0);
  }

  /** Whether the reader holds the ring's posts back ({@link #setHeld}). */
  boolean isHeld() {
    return block.getLongVolatile(HELD_AT) != 0;
  }

  /**
   * Makes room for a record of {@code content} bytes at the tail (after a padding record if it would
   * cross the end of the ring) and returns its index, or -1 if the reader is gone.
   */
  private int claim(int content, BooleanSupplier lost) {
    int size = align(RECORD_HEADER + content);
    int at = (int) (tail & (capacity - 1));
    int toEnd = capacity - at;
    int needed = size <= toEnd ? size : toEnd + size;
    if (!awaitSpace(needed, lost)) {
      return -1;
    }
    if (size > toEnd) {
      // Published together with the record that follows it.
      records.putInt(at, toEnd - RECORD_HEADER);
      records.putInt(at + 4, PADDING);
      tail += toEnd;
      return 0;
    }
    return at;
  }

  private boolean awaitSpace(int needed, BooleanSupplier lost) {
    if (capacity - (tail - headSeen) >= needed) {
      return true;
    }
    headSeen = block.getLongVolatile(HEAD_AT);
    if (capacity - (tail - headSeen) >= needed) {
      return true;
    }
    Backoff wait = Backoff.uninterruptibly(block);
    try {
      while (capacity - (tail - (headSeen = block.getLongVolatile(HEAD_AT))) < needed) {
        if (wait.checkDue() && lost.getAsBoolean()) {
          return false;
        }
        wait.pause();
      }
      return true;
    } catch (InterruptedException cannotHappen) {
      throw new IllegalStateException(cannotHappen);
    } finally {
      wait.done();
    }
  }

  private void copy(ByteString from, int offset, int length, int at) {
    if (length > 0) {
      from.substring(offset, offset + length).copyTo(records.duplicate().position(at));
    }
  }

  /** How far the writer has published: a mark for {@link #drainedTo}. */
  long published() {
    return block.getLongVolatile(TAIL_AT);
  }

  /** Whether everything the writer had published at {@code mark} ({@link #published}) has been taken. */
  boolean drainedTo(long mark) {
    return block.getLongVolatile(HEAD_AT) - mark >= 0;
  }

  /** Whether the writer has published something not drained yet. */
  boolean hasData() {
    return block.getLongVolatile(TAIL_AT) != block.getLongVolatile(HEAD_AT);
  }

  /**
   * Takes every message published so far, in order, handing each whole one to {@code sink}; waits for
   * a drain in progress on another thread to finish first, so that when this returns everything
   * published before the call has been handed over. It follows the writer past that only to finish a
   * message it has begun: a drain that chased a writer as fast as itself would never return, and would
   * pile the whole stream up in the reader's heap. It stops early, between two messages, when
   * {@code sink} no longer {@linkplain Sink#accepts accepts} one. Returns how many records it took.
   *
   * @param maxBytes the longest message accepted; longer ones are skipped and reported
   */
  int drain(Sink sink, long maxBytes) {
    return drain(sink, maxBytes, Long.MAX_VALUE);
  }

  /**
   * {@link #drain(Sink, long)}, unless a drain on another thread holds the ring for longer than
   * {@code waitNanos}, or this thread is inside a drain of this ring already (then -1): for a thread
   * that may itself be holding another ring's drain, or be called from a sink of this one.
   */
  int drainUnlessBusy(Sink sink, long maxBytes, long waitNanos) {
    if (readLock.isHeldByCurrentThread()) {
      // A drain nested in a drain of the same ring would take records the outer one then takes again.
      return -1;
    }
    try {
      if (!readLock.tryLock(waitNanos, TimeUnit.NANOSECONDS)) {
        return -1;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
    try {
      return drain(sink, maxBytes);
    } finally {
      readLock.unlock();
    }
  }

  /**
   * {@link #drain(Sink, long)}, but stops after the whole message that brings what it took to
   * {@code budget} bytes or more, leaving the rest in the ring: for a reader that wants one message
   * now and should not move a stream of large ones into its heap ahead of need.
   */
  int drain(Sink sink, long maxBytes, long budget) {
    readLock.lock();
    try {
      long head = block.getLong(HEAD_AT);
      long end = block.getLongVolatile(TAIL_AT);
      long took = 0;
      int taken = 0;
      boolean refused = false;
      while (head != end) {
        if (assembling == null && !discarding && !sink.accepts()) {
          refused = true;
          // To the tail as it is now, after accepts() marked the ring held: a get the writer put in
          // before it could see the mark is taken here (and while the ring stays held, its drainer
          // looks again now and then, see RingIntake).
          takeRequestsBehind(head, block.getLongVolatile(TAIL_AT), sink, maxBytes);
          break;
        }
        int at = (int) (head & (capacity - 1));
        int content = records.getInt(at);
        int flags = records.getInt(at + 4);
        if ((flags & PADDING) == 0) {
          take(at, content, flags, sink, maxBytes);
          took += content;
        }
        head += align(RECORD_HEADER + content);
        block.setLongVolatile(HEAD_AT, head);
        if (head - headRung >= capacity / 4) {
          Doorbell.ring(block);
          headRung = head;
        }
        taken++;
        boolean midMessage = assembling != null || discarding;
        if (took >= budget && !midMessage) {
          break;
        }
        if (head == end && midMessage) {
          end = block.getLongVolatile(TAIL_AT);
        }
      }
      // A writer waiting for the space freed so far must not wait for a reader that stopped short.
      if ((head == end || refused) && head != headRung) {
        Doorbell.ring(block);
        headRung = head;
      }
      return taken;
    } finally {
      readLock.unlock();
    }
  }

  /**
   * The sink holds the messages back (a pipe end that holds as much as it may), but the calls behind
   * them must not wait for them: a get, for one, may be what the held messages' reader waits for before
   * it reads (a duplex end whose process sends and receives at once; the writer only sends gets as
   * frames once it sees the ring held, and one may have gone in before). Each request record between
   * {@code head} and {@code end} is handed on now and turned into padding, which drains pass over.
   * Called at a message boundary, under the read lock.
   */
  private void takeRequestsBehind(long head, long end, Sink sink, long maxBytes) {
    long from = requestsTakenTo - head > 0 ? requestsTakenTo : head;
    requestsTakenTo = end;
    for (long at = from; at != end; ) {
      int index = (int) (at & (capacity - 1));
      int content = records.getInt(index);
      int flags = records.getInt(index + 4);
      if ((flags & (FIRST | LAST | PADDING)) == (FIRST | LAST)
          && records.getInt(index + RECORD_HEADER) == ChannelCodec.REQUEST_RECORD) {
        take(index, content, flags, sink, maxBytes);
        records.putInt(index + 4, PADDING);
      }
      at += align(RECORD_HEADER + content);
    }
  }

  private void take(int at, int content, int flags, Sink sink, long maxBytes) {
    int from = at + RECORD_HEADER;
    int part = content;
    if ((flags & FIRST) != 0) {
      long total = records.getLong(at + 8);
      serializerId = records.getInt(from);
      int nameLength = records.getInt(from + 4);
      tag = records.getLong(from + 8);
      manifest = nameLength == 0 ? ByteString.EMPTY
          : ByteString.copyFrom(records.slice(from + FIRST_HEADER, nameLength));
      from += FIRST_HEADER + nameLength;
      part -= FIRST_HEADER + nameLength;
      discarding = total > maxBytes;
      if (discarding) {
        sink.tooLarge(total);
      } else {
        assembling = new byte[(int) total];
        assembled = 0;
      }
    }
    if (!discarding && assembling != null) {
      records.get(from, assembling, assembled, part);
      assembled += part;
    }
    if ((flags & LAST) != 0) {
      if (!discarding && assembling != null) {
        sink.message(Payload.newBuilder().setSerializerId(serializerId).setManifestBytes(manifest)
            .setData(UnsafeByteOperations.unsafeWrap(assembling)).build(), tag);
      }
      assembling = null;
      discarding = false;
    }
  }

  /**
   * Waits until the writer has published something not drained yet, or {@code stop} holds, asleep on
   * the ring's doorbell from the start: for a background drainer, which should neither take a core
   * from the threads that do the work nor teach this process's waiters (whose spin is learned per
   * block, see {@link Backoff}) that spinning on this ring does not pay. Sleeps are bounded (1 ms
   * doubling to 50 ms), so a lost ring costs latency, never progress.
   */
  void awaitData(BooleanSupplier stop) {
    if (hasData() || stop.getAsBoolean()) {
      return;
    }
    int slot = Doorbell.asleep(block);
    try {
      long nanos = slot >= 0 ? 1_000_000 : 50_000;
      long most = slot >= 0 ? 50_000_000 : 1_000_000;
      while (!hasData() && !stop.getAsBoolean()) {
        if (slot >= 0) {
          Doorbell.sleep(nanos);
        } else {
          LockSupport.parkNanos(nanos);
        }
        nanos = Math.min(2 * nanos, most);
      }
    } finally {
      if (slot >= 0) {
        Doorbell.awake(block, slot);
      }
    }
  }

  /**
   * Whether the process that created this ring has died, waiting up to {@code millis} for it to: a
   * process whose connection just ended may still be exiting.
   */
  boolean creatorDied(long millis) {
    long pid = block.getLong(SharedBlock.CREATOR_PID_AT);
    long start = block.getLong(SharedBlock.CREATOR_START_AT);
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (!ProcessIdentity.isDead(pid, start)) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      LockSupport.parkNanos(1_000_000);
    }
    return true;
  }

  /** Wakes the threads of this process that wait on this ring, to look at their stop condition. */
  void wake() {
    Doorbell.ring(block);
  }

  /** The most content bytes in one record (a larger message is chunked). */
  int maxChunk() {
    return maxChunk;
  }

  /** The ring's size in bytes. */
  int capacity() {
    return capacity;
  }

  /** The block the ring lives in (what its waiters sleep on). */
  SharedBlock block() {
    return block;
  }

  private static int align(int bytes) {
    return (bytes + 15) & ~15;
  }
}
