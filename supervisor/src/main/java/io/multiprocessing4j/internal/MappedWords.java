package io.multiprocessing4j.internal;

import java.lang.ref.Reference;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.MappedByteBuffer;
import sun.misc.Unsafe;

/**
 * The words of a mapped file, read, written and updated atomically by byte offset: what every
 * {@link SharedBlock} offers its users. An access outside the mapping, or an atomic one not aligned to
 * its size, throws {@link IndexOutOfBoundsException} and touches nothing.
 *
 * <p>The words are reached through {@code sun.misc.Unsafe} (module {@code jdk.unsupported}) at the
 * mapping's address: each operation is one intrinsic that both compilers turn into the processor's own
 * instruction (e.g. {@code lock xadd}). Java 17 has no supported handle on raw memory
 * ({@code MemorySegment} is still incubating), and a {@code VarHandle} viewing the buffer runs through a
 * dozen small methods (guard, bounds, alignment, scope, address) that a fresh JVM interprets until each
 * one is compiled: with the children's C1-only compiler, two fresh children took about three times as
 * long over 2 x 200 000 increments of one value that way.
 *
 * <p>{@code Unsafe} has no opaque mode: opaque accesses are volatile reads and release writes, at least
 * as strong, and plain moves on x86 as opaque ones are. Thread-safe: the mapping is shared by all threads of this process, and stays mapped while this
 * object is reachable, which every access ensures.
 */
class MappedWords {
  private static final Unsafe UNSAFE;
  /** Where a direct buffer keeps the address of its memory ({@code java.nio.Buffer.address}). */
  private static final long BUFFER_ADDRESS;

  static {
    try {
      Field theUnsafe = Unsafe.class.getDeclaredField("theUnsafe");
      theUnsafe.setAccessible(true);
      UNSAFE = (Unsafe) theUnsafe.get(null);
      BUFFER_ADDRESS = UNSAFE.objectFieldOffset(Buffer.class.getDeclaredField("address"));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Held so that the mapping outlives every access through {@link #address}. */
  private final MappedByteBuffer mapping;
  private final long address;
  private final int capacity;

  MappedWords(MappedByteBuffer mapping) {
    this.mapping = mapping;
    this.address = UNSAFE.getLong(mapping, BUFFER_ADDRESS);
    this.capacity = mapping.capacity();
  }

  /** The mapped buffer itself, for bulk access. */
  final MappedByteBuffer mapping() {
    return mapping;
  }

  /** A plain read of the int at byte offset {@code at}. */
  public int getInt(int at) {
    try {
      return UNSAFE.getInt(null, address(at, Integer.BYTES, false));
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** A plain write of the int at byte offset {@code at}. */
  public void setInt(int at, int value) {
    try {
      UNSAFE.putInt(null, address(at, Integer.BYTES, false), value);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** An opaque read of the int at byte offset {@code at}. */
  public int getIntOpaque(int at) {
    return getIntVolatile(at);
  }

  /** An opaque write of the int at byte offset {@code at}. */
  public void setIntOpaque(int at, int value) {
    try {
      UNSAFE.putOrderedInt(null, address(at, Integer.BYTES, true), value);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** A volatile read of the int at byte offset {@code at}. */
  public int getIntVolatile(int at) {
    try {
      return UNSAFE.getIntVolatile(null, address(at, Integer.BYTES, true));
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** A volatile write of the int at byte offset {@code at}. */
  public void setIntVolatile(int at, int value) {
    try {
      UNSAFE.putIntVolatile(null, address(at, Integer.BYTES, true), value);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Atomically sets the int at {@code at} to {@code value} if it is {@code expected}; returns whether it did. */
  public boolean compareAndSetInt(int at, int expected, int value) {
    try {
      return UNSAFE.compareAndSwapInt(null, address(at, Integer.BYTES, true), expected, value);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Atomically adds {@code delta} to the int at {@code at}; returns the previous value. */
  public int getAndAddInt(int at, int delta) {
    try {
      return UNSAFE.getAndAddInt(null, address(at, Integer.BYTES, true), delta);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Atomically sets the int at {@code at}; returns the previous value. */
  public int getAndSetInt(int at, int value) {
    try {
      return UNSAFE.getAndSetInt(null, address(at, Integer.BYTES, true), value);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** A plain read of the long at byte offset {@code at}. */
  public long getLong(int at) {
    try {
      return UNSAFE.getLong(null, address(at, Long.BYTES, false));
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** A plain write of the long at byte offset {@code at}. */
  public void setLong(int at, long value) {
    try {
      UNSAFE.putLong(null, address(at, Long.BYTES, false), value);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** An opaque read of the long at byte offset {@code at}. */
  public long getLongOpaque(int at) {
    return getLongVolatile(at);
  }

  /** An opaque write of the long at byte offset {@code at}. */
  public void setLongOpaque(int at, long value) {
    setLongRelease(at, value);
  }

  /** A volatile read of the long at byte offset {@code at}. */
  public long getLongVolatile(int at) {
    try {
      return UNSAFE.getLongVolatile(null, address(at, Long.BYTES, true));
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** A volatile write of the long at byte offset {@code at}. */
  public void setLongVolatile(int at, long value) {
    try {
      UNSAFE.putLongVolatile(null, address(at, Long.BYTES, true), value);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** A release write of the long at byte offset {@code at}. */
  public void setLongRelease(int at, long value) {
    try {
      UNSAFE.putOrderedLong(null, address(at, Long.BYTES, true), value);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Atomically sets the long at {@code at} to {@code value} if it is {@code expected}; returns whether it did. */
  public boolean compareAndSetLong(int at, long expected, long value) {
    try {
      return UNSAFE.compareAndSwapLong(null, address(at, Long.BYTES, true), expected, value);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Atomically adds {@code delta} to the long at {@code at}; returns the previous value. */
  public long getAndAddLong(int at, long delta) {
    try {
      return UNSAFE.getAndAddLong(null, address(at, Long.BYTES, true), delta);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Atomically sets the long at {@code at}; returns the previous value. */
  public long getAndSetLong(int at, long value) {
    try {
      return UNSAFE.getAndSetLong(null, address(at, Long.BYTES, true), value);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** An opaque read of the double at byte offset {@code at}. */
  public double getDoubleOpaque(int at) {
    return Double.longBitsToDouble(getLongVolatile(at));
  }

  /** An opaque write of the double at byte offset {@code at}. */
  public void setDoubleOpaque(int at, double value) {
    setLongRelease(at, Double.doubleToRawLongBits(value));
  }

  /** A volatile read of the double at byte offset {@code at}. */
  public double getDoubleVolatile(int at) {
    return Double.longBitsToDouble(getLongVolatile(at));
  }

  /** A volatile write of the double at byte offset {@code at}. */
  public void setDoubleVolatile(int at, double value) {
    setLongVolatile(at, Double.doubleToRawLongBits(value));
  }

  /** Atomically sets the double at {@code at} to {@code value} if its bits are {@code expected}'s. */
  public boolean compareAndSetDouble(int at, double expected, double value) {
    return compareAndSetLong(at, Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(value));
  }

  /** Atomically sets the double at {@code at}; returns the previous value. */
  public double getAndSetDouble(int at, double value) {
    return Double.longBitsToDouble(getAndSetLong(at, Double.doubleToRawLongBits(value)));
  }

  /** Atomically adds to a double (a compare-and-set loop on its bits); returns the previous value. */
  public double getAndAddDouble(int at, double delta) {
    while (true) {
      long bits = getLongVolatile(at);
      double current = Double.longBitsToDouble(bits);
      if (compareAndSetLong(at, bits, Double.doubleToRawLongBits(current + delta))) {
        return current;
      }
    }
  }

  /**
   * The address of the {@code bytes}-byte word at offset {@code at}, which must lie within the mapping
   * and, for {@code aligned} (atomic) access, be a multiple of {@code bytes}: an access outside it would
   * corrupt this JVM's memory instead of failing.
   */
  private long address(int at, int bytes, boolean aligned) {
    if (at < 0 || at > capacity - bytes || (aligned && (at & (bytes - 1)) != 0)) {
      throw new IndexOutOfBoundsException((aligned ? "aligned " : "") + bytes + "-byte access at offset " + at
          + " of a " + capacity + "-byte block");
    }
    return address + at;
  }
}
