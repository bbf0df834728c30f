package io.multiprocessing4j.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * One block of shared memory as this process sees it: a file (on tmpfs, see {@link BlockStore}) mapped
 * read-write, so every JVM that maps it shares the same physical pages. Values, arrays, locks,
 * semaphores, events, conditions, barriers and {@code SharedMemory} are all blocks.
 *
 * <p>Layout: a {@value #HEADER_BYTES}-byte header page, then the data. The header holds a magic
 * number (written last, so a half-created block is recognisable), the block's kind and data size, the
 * creating process (pid and start time, so a context that died without closing can be swept), a
 * lifecycle state and a {@link UserTable} of the processes using it. Its words are read, written and
 * updated atomically through the {@link MappedWords} methods, at offsets counted from the start of the
 * file (header included).
 *
 * <p>Thread-safe: the mapping is shared by all threads of this process.
 */
public final class SharedBlock extends MappedWords {
  /** Bytes before the data; the data starts page-aligned. */
  public static final int HEADER_BYTES = 4096;
  /** The most data bytes a block holds: one mapping, addressed by int, holds the header too. */
  public static final long MAX_DATA_BYTES = Integer.MAX_VALUE - HEADER_BYTES;
  static final int MAGIC = 0x4A34504D; // "MP4J" in little-endian bytes
  static final int LAYOUT_VERSION = 1;
  static final int MAGIC_AT = 0;
  static final int VERSION_AT = 4;
  static final int KIND_AT = 8;
  static final int STATE_AT = 12;
  static final int DATA_SIZE_AT = 16;
  static final int CREATOR_PID_AT = 24;
  static final int CREATOR_START_AT = 32;
  /** Where the header's user table starts, and how many processes it tracks. */
  static final int USERS_AT = 64;
  static final int USER_SLOTS = 128;

  /** Lifecycle states of a block (the STATE word); CLOSING is its low bits, above them the releaser's pid. */
  public static final int LIVE = 0;
  public static final int CLOSING = 1;
  public static final int UNLINKED = 2;

  /** What a block holds ({@code CHANNEL_RING}: a pipe's or queue's {@link PostRing}). */
  public enum Kind { SHARED_MEMORY, VALUE, ARRAY, SYNC, CHANNEL_RING }

  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private final Path path;
  private final Kind kind;
  private final long dataSize;
  /**
   * How long this process's waiters on this block spin before they sleep (see {@link Backoff}):
   * learned, not shared. Races between threads only blur the estimate.
   */
  private volatile int spinNanos = Backoff.INITIAL_SPIN_NANOS;
  /** Set in the creating process when its context closes and deletes the block (see {@link #released()}). */
  private volatile boolean released;
  /** When this process's next check for a dead holder by a call that never waits is due (see {@link #holderCheckDue()}). */
  private volatile long nextHolderCheck = System.nanoTime();

  private SharedBlock(Path path, MappedByteBuffer buffer, Kind kind, long dataSize) {
    super(buffer);
    this.path = path;
    this.kind = kind;
    this.dataSize = dataSize;
  }

  /**
   * Creates the file {@code path} (failing if it exists), readable and writable by this user only,
   * sized for {@code dataSize} bytes of zeros after the header, and maps it.
   *
   * @throws java.nio.file.FileAlreadyExistsException if the name is taken
   * @throws IOException if the file cannot be created or mapped
   */
  static SharedBlock create(Path path, Kind kind, long dataSize) throws IOException {
    long total = HEADER_BYTES + dataSize;
    if (dataSize < 0 || dataSize > MAX_DATA_BYTES) {
      throw new IllegalArgumentException("a shared block holds 0 to " + MAX_DATA_BYTES + " bytes, not " + dataSize);
    }
    MappedByteBuffer buffer;
    try (FileChannel channel = openNew(path)) {
      // Writing the last byte sizes the file; tmpfs allocates the pages in between only when touched.
      channel.write(ByteBuffer.wrap(new byte[1]), total - 1);
      buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, total);
    }
    SharedBlock block = new SharedBlock(path, buffer, kind, dataSize);
    block.setInt(VERSION_AT, LAYOUT_VERSION);
    block.setInt(KIND_AT, kind.ordinal());
    block.setLong(DATA_SIZE_AT, dataSize);
    block.setLong(CREATOR_PID_AT, ProcessIdentity.PID);
    block.setLong(CREATOR_START_AT, ProcessIdentity.START);
    block.setIntVolatile(MAGIC_AT, MAGIC);
    return block;
  }

  private static FileChannel openNew(Path path) throws IOException {
    EnumSet<StandardOpenOption> options =
        EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      return FileChannel.open(path, options, OWNER_ONLY);
    } catch (UnsupportedOperationException notPosix) {
      return FileChannel.open(path, options);
    }
  }

  /**
   * Maps an existing block.
   *
   * @throws java.nio.file.NoSuchFileException if there is no such block (never created, or released)
   * @throws IOException if the file is not a complete block of this library's layout
   */
  static SharedBlock open(Path path) throws IOException {
    MappedByteBuffer buffer;
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = channel.size();
      if (size < HEADER_BYTES || size > Integer.MAX_VALUE) {
        throw new IOException(path + " is not a multiprocessing4j shared block (size " + size + ")");
      }
      buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
    }
    // Volatile, and first: the creator writes the magic number last, so the rest of the header is complete.
    int magic = new MappedWords(buffer).getIntVolatile(MAGIC_AT);
    ByteBuffer header = buffer.duplicate().order(ByteOrder.nativeOrder());
    int version = header.getInt(VERSION_AT);
    if (magic != MAGIC || version != LAYOUT_VERSION) {
      throw new IOException(path + " is not a complete multiprocessing4j shared block (layout "
          + Integer.toHexString(magic) + "/" + version + ")");
    }
    return new SharedBlock(path, buffer, Kind.values()[header.getInt(KIND_AT)], header.getLong(DATA_SIZE_AT));
  }

  /** The block's file. */
  public Path path() {
    return path;
  }

  /** What the block holds. */
  public Kind kind() {
    return kind;
  }

  /**
   * Whether the context that created this block closed and released it. Only the creating process
   * learns it (its children are gone by then); its handles, which keep the mapping, then refuse the
   * block, and its waits on the block end, instead of using memory no other process shares.
   */
  public boolean released() {
    return released;
  }

  void markReleased() {
    released = true;
  }

  /** The number of data bytes (after the header). */
  public long dataSize() {
    return dataSize;
  }

  /** The processes that use this block (the header's table). */
  public UserTable users() {
    return new UserTable(this, USERS_AT, USER_SLOTS);
  }

  /**
   * Whether a call that never waits (a {@code tryAcquire}) may check now whether the holder of what it
   * tries to take died: at most every {@value Backoff#CHECK_EVERY_MILLIS} ms per block in this process,
   * so that a caller polling in a loop recovers from a dead holder as a waiter does, at the cost of a
   * liveness check now and then. Races between threads only make a check happen twice.
   */
  public boolean holderCheckDue() {
    long now = System.nanoTime();
    if (now - nextHolderCheck < 0) {
      return false;
    }
    nextHolderCheck = now + Backoff.CHECK_EVERY_MILLIS * 1_000_000;
    return true;
  }

  int spinNanos() {
    return spinNanos;
  }

  void spinNanos(int nanos) {
    spinNanos = nanos;
  }

  /** A new view of the data bytes: position 0, limit = data size, native byte order. */
  public ByteBuffer data() {
    return mapping().duplicate().position(HEADER_BYTES).limit((int) (HEADER_BYTES + dataSize)).slice()
        .order(ByteOrder.nativeOrder());
  }

  @Override
  public String toString() {
    return "SharedBlock[" + path + ", " + kind + ", " + dataSize + " bytes]";
  }
}
