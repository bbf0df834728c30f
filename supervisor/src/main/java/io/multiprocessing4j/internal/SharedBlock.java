package io.multiprocessing4j.internal;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * lifecycle state and a {@link UserTable} of the processes using it. Atomic access goes through
 * {@link VarHandle}s viewing the mapped buffer, which on a direct buffer compile to the processor's own
 * atomic instructions (e.g. {@code lock xadd}); every offset here is absolute (header included).
 *
 * <p>Thread-safe: the mapping is shared by all threads of this process.
 */
public final class SharedBlock {
  /** Bytes before the data; the data starts page-aligned. */
  public static final int HEADER_BYTES = 4096;
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

  /** Lifecycle states of a block (the STATE word). */
  public static final int LIVE = 0;
  public static final int CLOSING = 1;
  public static final int UNLINKED = 2;

  /** What a block holds ({@code CHANNEL_RING}: a pipe's or queue's {@link PostRing}). */
  public enum Kind { SHARED_MEMORY, VALUE, ARRAY, SYNC, CHANNEL_RING }

  private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
  private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final VarHandle DOUBLES =
      MethodHandles.byteBufferViewVarHandle(double[].class, ByteOrder.nativeOrder());
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private final Path path;
  private final MappedByteBuffer buffer;
  private final Kind kind;
  private final long dataSize;
  /**
   * How long this process's waiters on this block spin before they sleep (see {@link Backoff}):
   * learned, not shared. Races between threads only blur the estimate.
   */
  private volatile int spinNanos = Backoff.INITIAL_SPIN_NANOS;

  private SharedBlock(Path path, MappedByteBuffer buffer, Kind kind, long dataSize) {
    this.path = path;
    this.buffer = buffer;
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
    if (dataSize < 0 || total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a shared block holds 0 to " + (Integer.MAX_VALUE - HEADER_BYTES)
          + " bytes, not " + dataSize);
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
    int magic = (int) INTS.getVolatile(buffer, MAGIC_AT);
    int version = (int) INTS.get(buffer, VERSION_AT);
    if (magic != MAGIC || version != LAYOUT_VERSION) {
      throw new IOException(path + " is not a complete multiprocessing4j shared block (layout "
          + Integer.toHexString(magic) + "/" + version + ")");
    }
    Kind kind = Kind.values()[(int) INTS.get(buffer, KIND_AT)];
    long dataSize = (long) LONGS.get(buffer, DATA_SIZE_AT);
    return new SharedBlock(path, buffer, kind, dataSize);
  }

  /** The block's file. */
  public Path path() {
    return path;
  }

  /** What the block holds. */
  public Kind kind() {
    return kind;
  }

  /** The number of data bytes (after the header). */
  public long dataSize() {
    return dataSize;
  }

  /** The processes that use this block (the header's table). */
  public UserTable users() {
    return new UserTable(this, USERS_AT, USER_SLOTS);
  }

  int spinNanos() {
    return spinNanos;
  }

  void spinNanos(int nanos) {
    spinNanos = nanos;
  }

  /** A new view of the data bytes: position 0, limit = data size, native byte order. */
  public ByteBuffer data() {
    return buffer.duplicate().position(HEADER_BYTES).limit((int) (HEADER_BYTES + dataSize)).slice()
        .order(ByteOrder.nativeOrder());
  }

  /** A plain read of the int at byte offset {@code at}. */
  public int getInt(int at) {
    return (int) INTS.get(buffer, at);
  }

  /** A plain write of the int at byte offset {@code at}. */
  public void setInt(int at, int value) {
    INTS.set(buffer, at, value);
  }

  /** An opaque read of the int at byte offset {@code at}. */
  public int getIntOpaque(int at) {
    return (int) INTS.getOpaque(buffer, at);
  }

  /** An opaque write of the int at byte offset {@code at}. */
  public void setIntOpaque(int at, int value) {
    INTS.setOpaque(buffer, at, value);
  }

  /** A volatile read of the int at byte offset {@code at}. */
  public int getIntVolatile(int at) {
    return (int) INTS.getVolatile(buffer, at);
  }

  /** A volatile write of the int at byte offset {@code at}. */
  public void setIntVolatile(int at, int value) {
    INTS.setVolatile(buffer, at, value);
  }

  /** Atomically sets the int at {@code at} to {@code value} if it is {@code expected}; returns whether it did. */
  public boolean compareAndSetInt(int at, int expected, int value) {
    return INTS.compareAndSet(buffer, at, expected, value);
  }

  /** Atomically adds {@code delta} to the int at {@code at}; returns the previous value. */
  public int getAndAddInt(int at, int delta) {
    return (int) INTS.getAndAdd(buffer, at, delta);
  }

  /** Atomically sets the int at {@code at}; returns the previous value. */
  public int getAndSetInt(int at, int value) {
    return (int) INTS.getAndSet(buffer, at, value);
  }

  /** A plain read of the long at byte offset {@code at}. */
  public long getLong(int at) {
    return (long) LONGS.get(buffer, at);
  }

  /** A plain write of the long at byte offset {@code at}. */
  public void setLong(int at, long value) {
    LONGS.set(buffer, at, value);
  }

  /** An opaque read of the long at byte offset {@code at}. */
  public long getLongOpaque(int at) {
    return (long) LONGS.getOpaque(buffer, at);
  }

  /** An opaque write of the long at byte offset {@code at}. */
  public void setLongOpaque(int at, long value) {
    LONGS.setOpaque(buffer, at, value);
  }

  /** A volatile read of the long at byte offset {@code at}. */
  public long getLongVolatile(int at) {
    return (long) LONGS.getVolatile(buffer, at);
  }

  /** A volatile write of the long at byte offset {@code at}. */
  public void setLongVolatile(int at, long value) {
    LONGS.setVolatile(buffer, at, value);
  }

  /** A release write of the long at byte offset {@code at}. */
  public void setLongRelease(int at, long value) {
    LONGS.setRelease(buffer, at, value);
  }

  /** Atomically sets the long at {@code at} to {@code value} if it is {@code expected}; returns whether it did. */
  public boolean compareAndSetLong(int at, long expected, long value) {
    return LONGS.compareAndSet(buffer, at, expected, value);
  }

  /** Atomically adds {@code delta} to the long at {@code at}; returns the previous value. */
  public long getAndAddLong(int at, long delta) {
    return (long) LONGS.getAndAdd(buffer, at, delta);
  }

  /** Atomically sets the long at {@code at}; returns the previous value. */
  public long getAndSetLong(int at, long value) {
    return (long) LONGS.getAndSet(buffer, at, value);
  }

  /** An opaque read of the double at byte offset {@code at}. */
  public double getDoubleOpaque(int at) {
    return (double) DOUBLES.getOpaque(buffer, at);
  }

  /** An opaque write of the double at byte offset {@code at}. */
  public void setDoubleOpaque(int at, double value) {
    DOUBLES.setOpaque(buffer, at, value);
  }

  /** A volatile read of the double at byte offset {@code at}. */
  public double getDoubleVolatile(int at) {
    return (double) DOUBLES.getVolatile(buffer, at);
  }

  /** A volatile write of the double at byte offset {@code at}. */
  public void setDoubleVolatile(int at, double value) {
    DOUBLES.setVolatile(buffer, at, value);
  }

  /** Atomically sets the double at {@code at} to {@code value} if its bits are {@code expected}'s. */
  public boolean compareAndSetDouble(int at, double expected, double value) {
    return DOUBLES.compareAndSet(buffer, at, expected, value);
  }

  /** Atomically sets the double at {@code at}; returns the previous value. */
  public double getAndSetDouble(int at, double value) {
    return (double) DOUBLES.getAndSet(buffer, at, value);
  }

  /** Atomically adds to a double (a compare-and-set loop on its bits); returns the previous value. */
  public double getAndAddDouble(int at, double delta) {
    while (true) {
      long bits = (long) LONGS.getVolatile(buffer, at);
      double current = Double.longBitsToDouble(bits);
      if (LONGS.compareAndSet(buffer, at, bits, Double.doubleToRawLongBits(current + delta))) {
        return current;
      }
    }
  }

  @Override
  public String toString() {
    return "SharedBlock[" + path + ", " + kind + ", " + dataSize + " bytes]";
  }
}
