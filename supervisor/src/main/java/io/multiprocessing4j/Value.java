package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.RobustMutex;
import io.multiprocessing4j.internal.SharedBlock;
import java.io.Serializable;

/**
 * A typed scalar in shared memory: Python's {@code multiprocessing.Value} (and, without a lock,
 * {@code RawValue}). One subclass per type: {@link OfInt}, {@link OfLong}, {@link OfDouble},
 * {@link OfBoolean}, {@link OfByte}, created by {@code mp.value(0)}, {@code mp.value(0L)},
 * {@code mp.value(0.0)}... ({@code mp.rawValue(...)} for raw ones). A value is {@link Serializable}:
 * capture it in a target and the child maps the same memory.
 *
 * <pre>{@code
 * Value.OfInt counter = mp.value(0);
 * // in any process:
 * counter.getAndAdd(1);                              // atomic, no lock: the fast way
 * try (Guard held = counter.getLock().guard()) {     // Python: with counter.get_lock():
 *   counter.set(counter.get() + 1);                  //             counter.value += 1
 * }
 * }</pre>
 *
 * <p><b>Two ways to be safe.</b> As in Python, a value made with a lock ({@code lock=True}, the
 * default) performs each {@code get}/{@code set} under its re-entrant {@link #getLock() lock}, so a
 * read-modify-write sequence is safe when the caller holds that lock around it. Unlike Python, every
 * value also has atomic operations ({@code getAndAdd}, {@code compareAndSet}, {@code getAndSet})
 * executed by the processor on the shared word, lock-free and with or without a lock: a counter needs
 * no lock at all. The atomic operations do not take the lock, so they are atomic with respect to each
 * other and to single gets and sets, but not to a sequence that holds the lock; pick one style per
 * value.
 *
 * <p><b>Lifetime:</b> the memory lives until the context that created the value closes; after that, a
 * handle to it throws {@link IllegalStateException} on use.
 */
public abstract sealed class Value extends LockableBlock
    permits Value.OfInt, Value.OfLong, Value.OfDouble, Value.OfBoolean, Value.OfByte {
  private static final long serialVersionUID = 1L;
  static final int SLOT_AT = PAYLOAD_AT;

  Value(BlockRef ref, boolean locked) {
    super(ref, locked, "value");
  }

  private static BlockRef allocate(BlockStore store) {
    SharedBlock block = store.allocate(SharedBlock.Kind.VALUE, RobustMutex.BYTES + Long.BYTES);
    return new BlockRef(block.path().toString(), SharedBlock.Kind.VALUE);
  }

  static OfInt of(BlockStore store, int initial, boolean locked) {
    OfInt value = new OfInt(allocate(store), locked);
    value.block().setIntVolatile(SLOT_AT, initial);
    return value;
  }

  static OfLong of(BlockStore store, long initial, boolean locked) {
    OfLong value = new OfLong(allocate(store), locked);
    value.block().setLongVolatile(SLOT_AT, initial);
    return value;
  }

  static OfDouble of(BlockStore store, double initial, boolean locked) {
    OfDouble value = new OfDouble(allocate(store), locked);
    value.block().setDoubleVolatile(SLOT_AT, initial);
    return value;
  }

  static OfBoolean of(BlockStore store, boolean initial, boolean locked) {
    OfBoolean value = new OfBoolean(allocate(store), locked);
    value.block().setIntVolatile(SLOT_AT, initial ? 1 : 0);
    return value;
  }

  static OfByte of(BlockStore store, byte initial, boolean locked) {
    OfByte value = new OfByte(allocate(store), locked);
    value.block().setIntVolatile(SLOT_AT, initial);
    return value;
  }

  final String describe(String type, Object current) {
    return hasLock() ? "<Synchronized wrapper for " + type + "(" + current + ")>" : type + "(" + current + ")";
  }

  /** A shared {@code int}: Python's {@code Value('i')}. */
  public static final class OfInt extends Value {
    private static final long serialVersionUID = 1L;

    OfInt(BlockRef ref, boolean locked) {
      super(ref, locked);
    }

    /** Reads the value (under the lock, if it has one, so this may block briefly). Python's {@code .value}. */
    public int get() {
      SharedBlock mapped = lock();
      try {
        return mapped.getIntVolatile(SLOT_AT);
      } finally {
        unlock(mapped);
      }
    }

    /** Writes the value (under the lock, if it has one). Python's {@code .value = v}. */
    public void set(int value) {
      SharedBlock mapped = lock();
      try {
        mapped.setIntVolatile(SLOT_AT, value);
      } finally {
        unlock(mapped);
      }
    }

    /** Atomically adds {@code delta}, without the lock; returns the previous value. Never blocks. */
    public int getAndAdd(int delta) {
      return block().getAndAddInt(SLOT_AT, delta);
    }

    /** Atomically adds {@code delta}, without the lock; returns the new value. Never blocks. */
    public int addAndGet(int delta) {
      return block().getAndAddInt(SLOT_AT, delta) + delta;
    }

    /** Atomically sets {@code value} if the current value is {@code expected}; returns whether it did. */
    public boolean compareAndSet(int expected, int value) {
      return block().compareAndSetInt(SLOT_AT, expected, value);
    }

    /** Atomically sets {@code value}, without the lock; returns the previous value. Never blocks. */
    public int getAndSet(int value) {
      return block().getAndSetInt(SLOT_AT, value);
    }

    /** Like Python's repr, e.g. {@code <Synchronized wrapper for c_int(5)>}. */
    @Override
    public String toString() {
      return describe("c_int", block().getIntVolatile(SLOT_AT));
    }
  }

  /** A shared {@code long}: Python's {@code Value('q')}. */
  public static final class OfLong extends Value {
    private static final long serialVersionUID = 1L;

    OfLong(BlockRef ref, boolean locked) {
      super(ref, locked);
    }

    /** Reads the value (under the lock, if it has one). Python's {@code .value}. */
    public long get() {
      SharedBlock mapped = lock();
      try {
        return mapped.getLongVolatile(SLOT_AT);
      } finally {
        unlock(mapped);
      }
    }

    /** Writes the value (under the lock, if it has one). Python's {@code .value = v}. */
    public void set(long value) {
      SharedBlock mapped = lock();
      try {
        mapped.setLongVolatile(SLOT_AT, value);
      } finally {
        unlock(mapped);
      }
    }

    /** Atomically adds {@code delta}, without the lock; returns the previous value. Never blocks. */
    public long getAndAdd(long delta) {
      return block().getAndAddLong(SLOT_AT, delta);
    }

    /** Atomically adds {@code delta}, without the lock; returns the new value. Never blocks. */
    public long addAndGet(long delta) {
      return block().getAndAddLong(SLOT_AT, delta) + delta;
    }

    /** Atomically sets {@code value} if the current value is {@code expected}; returns whether it did. */
    public boolean compareAndSet(long expected, long value) {
      return block().compareAndSetLong(SLOT_AT, expected, value);
    }

    /** Atomically sets {@code value}, without the lock; returns the previous value. Never blocks. */
    public long getAndSet(long value) {
      return block().getAndSetLong(SLOT_AT, value);
    }

    @Override
    public String toString() {
      return describe("c_long", block().getLongVolatile(SLOT_AT));
    }
  }

  /** A shared {@code double}: Python's {@code Value('d')}. */
  public static final class OfDouble extends Value {
    private static final long serialVersionUID = 1L;

    OfDouble(BlockRef ref, boolean locked) {
      super(ref, locked);
    }

    /** Reads the value (under the lock, if it has one). Python's {@code .value}. */
    public double get() {
      SharedBlock mapped = lock();
      try {
        return mapped.getDoubleVolatile(SLOT_AT);
      } finally {
        unlock(mapped);
      }
    }

    /** Writes the value (under the lock, if it has one). Python's {@code .value = v}. */
    public void set(double value) {
      SharedBlock mapped = lock();
      try {
        mapped.setDoubleVolatile(SLOT_AT, value);
      } finally {
        unlock(mapped);
      }
    }

    /** Atomically adds {@code delta} (a compare-and-set loop), without the lock; returns the previous value. */
    public double getAndAdd(double delta) {
      return block().getAndAddDouble(SLOT_AT, delta);
    }

    /**
     * Atomically sets {@code value} if the current value has the same bits as {@code expected} (as
     * {@link Double#doubleToRawLongBits}); returns whether it did.
     */
    public boolean compareAndSet(double expected, double value) {
      return block().compareAndSetDouble(SLOT_AT, expected, value);
    }

    /** Atomically sets {@code value}, without the lock; returns the previous value. Never blocks. */
    public double getAndSet(double value) {
      return block().getAndSetDouble(SLOT_AT, value);
    }

    @Override
    public String toString() {
      return describe("c_double", block().getDoubleVolatile(SLOT_AT));
    }
  }

  /** A shared {@code boolean}: Python's {@code Value('b')} used as a flag (stored in a 4-byte word). */
  public static final class OfBoolean extends Value {
    private static final long serialVersionUID = 1L;

    OfBoolean(BlockRef ref, boolean locked) {
      super(ref, locked);
    }

    /** Reads the value (under the lock, if it has one). Python's {@code .value}. */
    public boolean get() {
      SharedBlock mapped = lock();
      try {
        return mapped.getIntVolatile(SLOT_AT) != 0;
      } finally {
        unlock(mapped);
      }
    }

    /** Writes the value (under the lock, if it has one). Python's {@code .value = v}. */
    public void set(boolean value) {
      SharedBlock mapped = lock();
      try {
        mapped.setIntVolatile(SLOT_AT, value ? 1 : 0);
      } finally {
        unlock(mapped);
      }
    }

    /** Atomically sets {@code value} if the current value is {@code expected}; returns whether it did. */
    public boolean compareAndSet(boolean expected, boolean value) {
      return block().compareAndSetInt(SLOT_AT, expected ? 1 : 0, value ? 1 : 0);
    }

    /** Atomically sets {@code value}, without the lock; returns the previous value. Never blocks. */
    public boolean getAndSet(boolean value) {
      return block().getAndSetInt(SLOT_AT, value ? 1 : 0) != 0;
    }

    @Override
    public String toString() {
      return describe("c_bool", block().getIntVolatile(SLOT_AT) != 0 ? "True" : "False");
    }
  }

  /** A shared {@code byte}: Python's {@code Value('b')} (stored in a 4-byte word, so it can be atomic). */
  public static final class OfByte extends Value {
    private static final long serialVersionUID = 1L;

    OfByte(BlockRef ref, boolean locked) {
      super(ref, locked);
    }

    /** Reads the value (under the lock, if it has one). Python's {@code .value}. */
    public byte get() {
      SharedBlock mapped = lock();
      try {
        return (byte) mapped.getIntVolatile(SLOT_AT);
      } finally {
        unlock(mapped);
      }
    }

    /** Writes the value (under the lock, if it has one). Python's {@code .value = v}. */
    public void set(byte value) {
      SharedBlock mapped = lock();
      try {
        mapped.setIntVolatile(SLOT_AT, value);
      } finally {
        unlock(mapped);
      }
    }

    /** Atomically sets {@code value} if the current value is {@code expected}; returns whether it did. */
    public boolean compareAndSet(byte expected, byte value) {
      return block().compareAndSetInt(SLOT_AT, expected, value);
    }

    /** Atomically sets {@code value}, without the lock; returns the previous value. Never blocks. */
    public byte getAndSet(byte value) {
      return (byte) block().getAndSetInt(SLOT_AT, value);
    }

    @Override
    public String toString() {
      return describe("c_byte", (byte) block().getIntVolatile(SLOT_AT));
    }
  }
}
