package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockStore;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.stream.IntStream;

/**
 * A fixed-length list of simple values in a {@link SharedMemory} block that any process can attach to
 * by name: Python's {@code multiprocessing.shared_memory.ShareableList}. Create one with
 * {@link Multiprocessing#shareableList(List)} (or with a chosen name), attach to it from any process
 * with {@link #attach(String)} (or send the object itself: it is {@link Serializable}, and
 * deserializing it attaches), {@link #get}/{@link #set} its slots, and {@link #close()} it when done.
 *
 * <p><b>Slots.</b> A slot holds an {@link Integer}, {@link Long}, {@link Double}, {@link Boolean},
 * {@link String}, {@code byte[]} or {@code null}. Each slot's type is fixed when the list is created, by
 * the value it starts with; {@code null} may be stored in any slot afterwards, and a slot created with
 * {@code null} holds only {@code null}. An {@code Integer} may also be stored in a {@code Long} slot.
 * A {@code String} or {@code byte[]} slot holds at most as many bytes (UTF-8 for strings) as its first
 * value's length rounded up to the next multiple of 8, plus 8 if it was a multiple already, as in
 * Python; reserve room with a longer first value. Unlike Python, trailing {@code '\0'}s survive.
 *
 * <p><b>Concurrency.</b> Each slot of a primitive type is read and written in one atomic access.
 * String and {@code byte[]} slots are not (neither are Python's): a reader racing a writer may see a
 * mixture, so guard such slots, and any read-modify-write, with a {@link Lock}.
 *
 * <p><b>Lifecycle:</b> exactly {@link SharedMemory}'s: the block is released when the last handle in
 * any process closes (a process that crashed no longer counts), when the creating context closes, or on
 * {@link #unlink()}. Keep the creator's handle open until the processes you sent the name to have
 * attached. The layout is this library's own, not byte-compatible with Python's. Thread-safe in the
 * sense above.
 */
public final class ShareableList implements AutoCloseable, Serializable, Iterable<Object> {
  private static final long serialVersionUID = 1L;
  /** Marks a block laid out as a list ("SLST"); written last, so a half-built list is recognisable. */
  private static final int MAGIC = 0x54534C53;
  private static final int MAGIC_AT = 0;
  private static final int LENGTH_AT = 4;
  private static final int SLOTS_AT = 8;
  /** Per slot: type, capacity in bytes, data offset, state (see {@link #NULL}). */
  private static final int SLOT_BYTES = 16;
  private static final int TYPE = 0;
  private static final int CAPACITY = 4;
  private static final int OFFSET = 8;
  private static final int STATE = 12;
  /** The state of a slot holding null; otherwise 0, or the encoded length of a String or byte[]. */
  private static final int NULL = -1;
  private static final int ALIGNMENT = 8;
  private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
  private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  /** What a slot holds, fixed at creation; the ordinal is stored in the block. */
  private enum SlotType {
    INT(Integer.class), LONG(Long.class), DOUBLE(Double.class), BOOLEAN(Boolean.class),
    STRING(String.class), BYTES(byte[].class), NONE(Void.class);

    final Class<?> javaType;

    SlotType(Class<?> javaType) {
      this.javaType = javaType;
    }

    static SlotType of(Object value) {
      if (value == null) {
        return NONE;
      }
      for (SlotType type : values()) {
        if (type.javaType == value.getClass()) {
          return type;
        }
      }
      throw new IllegalArgumentException("a ShareableList holds Integer, Long, Double, Boolean, String, byte[] or"
          + " null, not " + value.getClass().getName());
    }

    String label() {
      return this == BYTES ? "byte[]" : this == NONE ? "null" : javaType.getSimpleName();
    }
  }

  private final SharedMemory shm;
  private transient ByteBuffer data;
  private transient int length;

  private ShareableList(SharedMemory shm) {
    this.shm = shm;
    bind();
  }

  static ShareableList create(BlockStore store, String name, List<?> values) {
    Objects.requireNonNull(values, "values");
    Object[] items = values.toArray();
    SlotType[] types = new SlotType[items.length];
    int[] capacities = new int[items.length];
    byte[][] encoded = new byte[items.length][];
    long end = align(SLOTS_AT + (long) SLOT_BYTES * items.length);
    for (int i = 0; i < items.length; i++) {
      types[i] = SlotType.of(items[i]);
      encoded[i] = encode(items[i]);
      capacities[i] = encoded[i] == null ? ALIGNMENT : ALIGNMENT * (encoded[i].length / ALIGNMENT + 1);
      end += capacities[i];
    }
    if (end > Integer.MAX_VALUE - ALIGNMENT) {
      throw new IllegalArgumentException("a ShareableList of " + end + " bytes does not fit in one shared block");
    }
    SharedMemory shm = SharedMemory.create(store, name, (int) end);
    ByteBuffer data = shm.buf();
    int offset = (int) align(SLOTS_AT + (long) SLOT_BYTES * items.length);
    for (int i = 0; i < items.length; i++) {
      int slot = SLOTS_AT + SLOT_BYTES * i;
      data.putInt(slot + TYPE, types[i].ordinal());
      data.putInt(slot + CAPACITY, capacities[i]);
      data.putInt(slot + OFFSET, offset);
      offset += capacities[i];
      write(data, slot, types[i], items[i], encoded[i]);
    }
    data.putInt(LENGTH_AT, items.length);
    INTS.setVolatile(data, MAGIC_AT, MAGIC);
    return new ShareableList(shm);
  }

  /**
   * Attaches to the existing list in the block {@code name}, from any process of this user. Python's
   * {@code ShareableList(name=name)}. The returned handle counts as a use until it is closed.
   *
   * @throws java.io.UncheckedIOException with a {@link java.nio.file.NoSuchFileException} cause if there
   *     is no such block (never created, or already released)
   * @throws IllegalArgumentException if {@code name} is not a valid block name, or the block does not
   *     hold a list (a plain {@link SharedMemory}, or a list still being created)
   */
  public static ShareableList attach(String name) {
    SharedMemory shm = SharedMemory.attach(name);
    try {
      return new ShareableList(shm);
    } catch (IllegalArgumentException e) {
      shm.close();
      throw e;
    }
  }

  /** Reads the layout of the block; throws if it holds no complete list. */
  private void bind() {
    ByteBuffer view = shm.buf();
    if (view.capacity() < SLOTS_AT || (int) INTS.getVolatile(view, MAGIC_AT) != MAGIC) {
      throw new IllegalArgumentException("the shared memory block '" + shm.name()
          + "' does not hold a ShareableList (or one still being created)");
    }
    data = view;
    length = view.getInt(LENGTH_AT);
  }

  /** The number of slots, fixed at creation. Python's {@code len(sl)}. */
  public int size() {
    return length;
  }

  /**
   * The value in slot {@code index}: an {@link Integer}, {@link Long}, {@link Double}, {@link Boolean},
   * {@link String}, a new {@code byte[]}, or {@code null}. Negative indexes count from the end, as in
   * Python. Never blocks. Python's {@code sl[index]}.
   *
   * @throws IndexOutOfBoundsException if {@code index} is not in {@code [-size(), size())}
   * @throws IllegalStateException if this handle is closed, or it is the one the creating context
   *     returned and that context closed (as {@link SharedMemory#buf()})
   */
  public Object get(int index) {
    int slot = slotAt(index);
    int state = (int) INTS.getVolatile(data, slot + STATE);
    if (state == NULL) {
      return null;
    }
    int at = data.getInt(slot + OFFSET);
    switch (typeAt(slot)) {
      case INT:
        return (int) INTS.getVolatile(data, at);
      case LONG:
        return (long) LONGS.getVolatile(data, at);
      case DOUBLE:
        return Double.longBitsToDouble((long) LONGS.getVolatile(data, at));
      case BOOLEAN:
        return (int) INTS.getVolatile(data, at) != 0;
      case STRING:
        return new String(read(at, state), StandardCharsets.UTF_8);
      case BYTES:
        return read(at, state);
      default:
        return null;
    }
  }

  /**
   * Stores {@code value} in slot {@code index} (see the class comment for what a slot accepts). Never
   * blocks. Python's {@code sl[index] = value}.
   *
   * @throws IndexOutOfBoundsException if {@code index} is not in {@code [-size(), size())}
   * @throws IllegalArgumentException if the slot holds another type, or a String or byte[] is longer
   *     than the slot's capacity; the slot is then unchanged
   * @throws IllegalStateException if this handle is closed, or it is the one the creating context
   *     returned and that context closed (as {@link SharedMemory#buf()})
   */
  public void set(int index, Object value) {
    int slot = slotAt(index);
    SlotType type = typeAt(slot);
    Object stored = value;
    if (type == SlotType.LONG && value instanceof Integer) {
      stored = ((Integer) value).longValue();
    }
    if (stored != null && SlotType.of(stored) != type) {
      throw new IllegalArgumentException("slot " + index + " of ShareableList '" + shm.name() + "' holds "
          + type.label() + ", not " + stored.getClass().getSimpleName());
    }
    byte[] encoded = encode(stored);
    int capacity = data.getInt(slot + CAPACITY);
    if (encoded != null && encoded.length > capacity) {
      throw new IllegalArgumentException("slot " + index + " of ShareableList '" + shm.name() + "' holds at most "
          + capacity + " bytes, and this " + type.label() + " takes " + encoded.length);
    }
    write(data, slot, type, stored, encoded);
  }

  /** The number of slots equal to {@code value} ({@code byte[]} by content). Python's {@code count}. */
  public int count(Object value) {
    int count = 0;
    for (int i = 0; i < length; i++) {
      if (same(get(i), value)) {
        count++;
      }
    }
    return count;
  }

  /**
   * The first slot equal to {@code value} ({@code byte[]} by content). Python's {@code index}.
   *
   * @throws NoSuchElementException if no slot holds it
   */
  public int index(Object value) {
    for (int i = 0; i < length; i++) {
      if (same(get(i), value)) {
        return i;
      }
    }
    throw new NoSuchElementException(describe(value) + " is not in ShareableList '" + shm.name() + "'");
  }

  /** The values of the slots, read one by one as the iteration goes. */
  @Override
  public Iterator<Object> iterator() {
    return IntStream.range(0, length).mapToObj(this::get).iterator();
  }

  /** A copy of the values, read slot by slot. */
  public List<Object> toList() {
    List<Object> values = new ArrayList<>(length);
    forEach(values::add);
    return values;
  }

  /** The block's name, as passed to {@link #attach(String)}. Python's {@code sl.shm.name}. */
  public String name() {
    return shm.name();
  }

  /** The block the list lives in. Python's {@code sl.shm}. */
  public SharedMemory shm() {
    return shm;
  }

  /** Closes this handle, as {@link SharedMemory#close()} does. Idempotent; never blocks. */
  @Override
  public void close() {
    shm.close();
  }

  /** Removes the block's name, as {@link SharedMemory#unlink()} does. Idempotent; never blocks. */
  public void unlink() {
    shm.unlink();
  }

  /** Whether this handle is closed. */
  public boolean isClosed() {
    return shm.isClosed();
  }

  /** Like Python's repr: {@code ShareableList([1, 'a', None], name='psm_1a2b3c4d')}. */
  @Override
  public String toString() {
    if (shm.isClosed()) {
      return "ShareableList(name='" + shm.name() + "', closed)";
    }
    StringJoiner values = new StringJoiner(", ", "[", "]");
    forEach(value -> values.add(describe(value)));
    return "ShareableList(" + values + ", name='" + shm.name() + "')";
  }

  /** Deserializing a handle attaches to the block (the {@link SharedMemory} field does), as in Python. */
  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    try {
      bind();
    } catch (IllegalArgumentException e) {
      shm.close();
      InvalidObjectException error = new InvalidObjectException(e.getMessage());
      error.initCause(e);
      throw error;
    }
  }

  /** Writes a value of the slot's type at the slot whose descriptor is at {@code slot}. */
  private static void write(ByteBuffer data, int slot, SlotType type, Object value, byte[] encoded) {
    if (value == null) {
      INTS.setVolatile(data, slot + STATE, NULL);
      return;
    }
    int at = data.getInt(slot + OFFSET);
    int state = 0;
    switch (type) {
      case INT:
        INTS.setVolatile(data, at, (int) (Integer) value);
        break;
      case LONG:
        LONGS.setVolatile(data, at, (long) (Long) value);
        break;
      case DOUBLE:
        LONGS.setVolatile(data, at, Double.doubleToRawLongBits((Double) value));
        break;
      case BOOLEAN:
        INTS.setVolatile(data, at, (Boolean) value ? 1 : 0);
        break;
      default:
        data.put(at, encoded);
        state = encoded.length;
    }
    INTS.setVolatile(data, slot + STATE, state);
  }

  private int slotAt(int index) {
    if (shm.isClosed()) {
      throw new IllegalStateException("ShareableList '" + shm.name() + "' is closed in this process");
    }
    shm.refuseIfReleased();
    if (index < -length || index >= length) {
      throw new IndexOutOfBoundsException("index " + index + " is out of range for ShareableList '" + shm.name()
          + "' of " + length + " slots");
    }
    return SLOTS_AT + SLOT_BYTES * (index < 0 ? index + length : index);
  }

  private SlotType typeAt(int slot) {
    return SlotType.values()[data.getInt(slot + TYPE)];
  }

  private byte[] read(int at, int count) {
    byte[] bytes = new byte[count];
    data.get(at, bytes);
    return bytes;
  }

  private static byte[] encode(Object value) {
    if (value instanceof String) {
      return ((String) value).getBytes(StandardCharsets.UTF_8);
    }
    return value instanceof byte[] ? ((byte[]) value).clone() : null;
  }

  private static boolean same(Object stored, Object value) {
    return stored instanceof byte[] && value instanceof byte[]
        ? Arrays.equals((byte[]) stored, (byte[]) value) : Objects.equals(stored, value);
  }

  private static String describe(Object value) {
    if (value instanceof String) {
      return "'" + value + "'";
    }
    return value instanceof byte[] ? "b" + Arrays.toString((byte[]) value) : String.valueOf(value);
  }

  private static long align(long offset) {
    return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }
}
