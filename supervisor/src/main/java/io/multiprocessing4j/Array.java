package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.RobustMutex;
import io.multiprocessing4j.internal.SharedBlock;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.Objects;

/**
 * A typed, fixed-length array in shared memory: Python's {@code multiprocessing.Array} (and, without
 * a lock, {@code RawArray}). One subclass per element type, chosen by a {@link Type} token:
 * {@code mp.array(Array.DOUBLE, 1_000_000)} is an {@link OfDouble}, Python's
 * {@code Array('d', 1000000)}. {@link Serializable}: capture it in a target and the child maps the same
 * memory.
 *
 * <p>As in Python, an array made with a lock (the default) performs each element access and each bulk
 * copy under its re-entrant {@link #getLock() lock}; for a long run of accesses, hold the lock yourself
 * and work on the raw view ({@code asBuffer()}, Python's {@code get_obj()}), which never locks. Elements
 * of {@code int}, {@code long} and {@code double} arrays also have lock-free atomic operations, atomic
 * with respect to each other but not to sequences under the lock.
 *
 * <p><b>Lifetime:</b> the memory lives until the context that created the array closes; after that, a
 * handle to it throws {@link IllegalStateException} on use. At most about 2 GiB per array.
 */
public abstract sealed class Array extends LockableBlock
    permits Array.OfInt, Array.OfLong, Array.OfDouble, Array.OfByte {
  private static final long serialVersionUID = 1L;
  static final int ELEMENTS_AT = PAYLOAD_AT;

  /** Element type {@code int}, Python's typecode {@code 'i'}. */
  public static final Type<OfInt> INT = new Type<>("i", Integer.BYTES, OfInt::new);
  /** Element type {@code long}, Python's typecode {@code 'q'}. */
  public static final Type<OfLong> LONG = new Type<>("q", Long.BYTES, OfLong::new);
  /** Element type {@code double}, Python's typecode {@code 'd'}. */
  public static final Type<OfDouble> DOUBLE = new Type<>("d", Double.BYTES, OfDouble::new);
  /** Element type {@code byte}, Python's typecode {@code 'b'} (and {@code 'c'} for bytes). */
  public static final Type<OfByte> BYTE = new Type<>("b", Byte.BYTES, OfByte::new);

  private final int length;

  /**
   * An element type: which {@link Array} subclass {@code mp.array(type, length)} returns.
   *
   * @param <A> the array class
   */
  public static final class Type<A extends Array> {
    private final String typecode;
    private final int elementBytes;
    private final Maker<A> maker;

    private Type(String typecode, int elementBytes, Maker<A> maker) {
      this.typecode = typecode;
      this.elementBytes = elementBytes;
      this.maker = maker;
    }

    /** Python's typecode for this element type. */
    public String typecode() {
      return typecode;
    }

    @Override
    public String toString() {
      return "Array.Type('" + typecode + "')";
    }
  }

  private interface Maker<A extends Array> {
    A make(BlockRef ref, int length, boolean locked);
  }

  Array(BlockRef ref, int length, boolean locked) {
    super(ref, locked, "array");
    this.length = length;
  }

  static <A extends Array> A create(BlockStore store, Type<A> type, int length, boolean locked) {
    if (length < 0) {
      throw new IllegalArgumentException("an array's length cannot be negative: " + length);
    }
    long bytes = RobustMutex.BYTES + (long) length * type.elementBytes;
    if (bytes > SharedBlock.MAX_DATA_BYTES) {
      throw new IllegalArgumentException("an array of " + length + " elements of type '" + type.typecode
          + "' does not fit in one shared block: at most " + (SharedBlock.MAX_DATA_BYTES - RobustMutex.BYTES)
          / type.elementBytes + " elements of that type");
    }
    SharedBlock block = store.allocate(SharedBlock.Kind.ARRAY, bytes);
    return type.maker.make(new BlockRef(block.path().toString(), SharedBlock.Kind.ARRAY), length, locked);
  }

  /** The number of elements. Python's {@code len(arr)}. */
  public final int length() {
    return length;
  }

  final int offset(int index, int elementBytes) {
    return ELEMENTS_AT + Objects.checkIndex(index, length) * elementBytes;
  }

  /** The elements as raw bytes, native order, position 0; never locks. */
  final ByteBuffer elementBytes() {
    return block().data().position(RobustMutex.BYTES).slice().order(ByteOrder.nativeOrder());
  }

  final void checkLength(int sourceLength) {
    if (sourceLength > length) {
      throw new IndexOutOfBoundsException("cannot copy " + sourceLength + " elements into an array of " + length);
    }
  }

  final String describe(String typecode) {
    return (hasLock() ? "<SynchronizedArray wrapper for " : "<") + "Array('" + typecode + "', " + length + ")>";
  }

  /** An array of {@code int}: Python's {@code Array('i', n)}. */
  public static final class OfInt extends Array {
    private static final long serialVersionUID = 1L;

    OfInt(BlockRef ref, int length, boolean locked) {
      super(ref, length, locked);
    }

    /**
     * Element {@code index} (under the lock, if the array has one). Python's {@code arr[i]}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in [0, length)
     */
    public int get(int index) {
      int at = offset(index, Integer.BYTES);
      SharedBlock mapped = lock();
      try {
        return mapped.getIntOpaque(at);
      } finally {
        unlock(mapped);
      }
    }

    /** Sets element {@code index} (under the lock, if any). Python's {@code arr[i] = v}. */
    public void set(int index, int value) {
      int at = offset(index, Integer.BYTES);
      SharedBlock mapped = lock();
      try {
        mapped.setIntOpaque(at, value);
      } finally {
        unlock(mapped);
      }
    }

    /** Atomically adds {@code delta} to element {@code index}, lock-free; returns the previous value. */
    public int getAndAdd(int index, int delta) {
      return block().getAndAddInt(offset(index, Integer.BYTES), delta);
    }

    /** Atomically sets element {@code index} if it equals {@code expected}; returns whether it did. */
    public boolean compareAndSet(int index, int expected, int value) {
      return block().compareAndSetInt(offset(index, Integer.BYTES), expected, value);
    }

    /** A copy of all elements (taken under the lock, if any). Python's {@code arr[:]}. */
    public int[] toArray() {
      int[] copy = new int[length()];
      underLock(() -> asBuffer().get(copy));
      return copy;
    }

    /**
     * Copies {@code values} into elements 0.. (under the lock, if any). Python's {@code arr[:n] = values}.
     *
     * @throws IndexOutOfBoundsException if {@code values} is longer than this array
     */
    public void copyFrom(int[] values) {
      checkLength(values.length);
      underLock(() -> asBuffer().put(values));
    }

    /** The shared elements themselves, never locked: Python's {@code get_obj()}. A new view per call. */
    public IntBuffer asBuffer() {
      return elementBytes().asIntBuffer().limit(length());
    }

    @Override
    public String toString() {
      return describe("i");
    }
  }

  /** An array of {@code long}: Python's {@code Array('q', n)}. */
  public static final class OfLong extends Array {
    private static final long serialVersionUID = 1L;

    OfLong(BlockRef ref, int length, boolean locked) {
      super(ref, length, locked);
    }

    /** Element {@code index} (under the lock, if any). Python's {@code arr[i]}. */
    public long get(int index) {
      int at = offset(index, Long.BYTES);
      SharedBlock mapped = lock();
      try {
        return mapped.getLongOpaque(at);
      } finally {
        unlock(mapped);
      }
    }

    /** Sets element {@code index} (under the lock, if any). Python's {@code arr[i] = v}. */
    public void set(int index, long value) {
      int at = offset(index, Long.BYTES);
      SharedBlock mapped = lock();
      try {
        mapped.setLongOpaque(at, value);
      } finally {
        unlock(mapped);
      }
    }

    /** Atomically adds {@code delta} to element {@code index}, lock-free; returns the previous value. */
    public long getAndAdd(int index, long delta) {
      return block().getAndAddLong(offset(index, Long.BYTES), delta);
    }

    /** Atomically sets element {@code index} if it equals {@code expected}; returns whether it did. */
    public boolean compareAndSet(int index, long expected, long value) {
      return block().compareAndSetLong(offset(index, Long.BYTES), expected, value);
    }

    /** A copy of all elements (taken under the lock, if any). Python's {@code arr[:]}. */
    public long[] toArray() {
      long[] copy = new long[length()];
      underLock(() -> asBuffer().get(copy));
      return copy;
    }

    /** Copies {@code values} into elements 0.. (under the lock, if any); throws if it is too long. */
    public void copyFrom(long[] values) {
      checkLength(values.length);
      underLock(() -> asBuffer().put(values));
    }

    /** The shared elements themselves, never locked: Python's {@code get_obj()}. */
    public LongBuffer asBuffer() {
      return elementBytes().asLongBuffer().limit(length());
    }

    @Override
    public String toString() {
      return describe("q");
    }
  }

  /** An array of {@code double}: Python's {@code Array('d', n)}. */
  public static final class OfDouble extends Array {
    private static final long serialVersionUID = 1L;

    OfDouble(BlockRef ref, int length, boolean locked) {
      super(ref, length, locked);
    }

    /** Element {@code index} (under the lock, if any). Python's {@code arr[i]}. */
    public double get(int index) {
      int at = offset(index, Double.BYTES);
      SharedBlock mapped = lock();
      try {
        return mapped.getDoubleOpaque(at);
      } finally {
        unlock(mapped);
      }
    }

    /** Sets element {@code index} (under the lock, if any). Python's {@code arr[i] = v}. */
    public void set(int index, double value) {
      int at = offset(index, Double.BYTES);
      SharedBlock mapped = lock();
      try {
        mapped.setDoubleOpaque(at, value);
      } finally {
        unlock(mapped);
      }
    }

    /** Atomically adds {@code delta} to element {@code index} (compare-and-set loop), lock-free. */
    public double getAndAdd(int index, double delta) {
      return block().getAndAddDouble(offset(index, Double.BYTES), delta);
    }

    /** Atomically sets element {@code index} if its bits equal {@code expected}'s; returns whether it did. */
    public boolean compareAndSet(int index, double expected, double value) {
      return block().compareAndSetDouble(offset(index, Double.BYTES), expected, value);
    }

    /** A copy of all elements (taken under the lock, if any). Python's {@code arr[:]}. */
    public double[] toArray() {
      double[] copy = new double[length()];
      underLock(() -> asBuffer().get(copy));
      return copy;
    }

    /** Copies {@code values} into elements 0.. (under the lock, if any); throws if it is too long. */
    public void copyFrom(double[] values) {
      checkLength(values.length);
      underLock(() -> asBuffer().put(values));
    }

    /** The shared elements themselves, never locked: Python's {@code get_obj()}. */
    public DoubleBuffer asBuffer() {
      return elementBytes().asDoubleBuffer().limit(length());
    }

    @Override
    public String toString() {
      return describe("d");
    }
  }

  /** An array of {@code byte}: Python's {@code Array('b', n)} or {@code Array('c', n)}. No atomics. */
  public static final class OfByte extends Array {
    private static final long serialVersionUID = 1L;

    OfByte(BlockRef ref, int length, boolean locked) {
      super(ref, length, locked);
    }

    /** Element {@code index} (under the lock, if any). Python's {@code arr[i]}. */
    public byte get(int index) {
      int at = Objects.checkIndex(index, length());
      SharedBlock mapped = lock();
      try {
        return asBuffer().get(at);
      } finally {
        unlock(mapped);
      }
    }

    /** Sets element {@code index} (under the lock, if any). Python's {@code arr[i] = v}. */
    public void set(int index, byte value) {
      int at = Objects.checkIndex(index, length());
      SharedBlock mapped = lock();
      try {
        asBuffer().put(at, value);
      } finally {
        unlock(mapped);
      }
    }

    /** A copy of all elements (taken under the lock, if any). Python's {@code arr[:]} / {@code arr.raw}. */
    public byte[] toArray() {
      byte[] copy = new byte[length()];
      underLock(() -> asBuffer().get(copy));
      return copy;
    }

    /** Copies {@code values} into elements 0.. (under the lock, if any); throws if it is too long. */
    public void copyFrom(byte[] values) {
      checkLength(values.length);
      underLock(() -> asBuffer().put(values));
    }

    /** The shared elements themselves, never locked: Python's {@code get_obj()}. */
    public ByteBuffer asBuffer() {
      return elementBytes().limit(length());
    }

    @Override
    public String toString() {
      return describe("b");
    }
  }
}
