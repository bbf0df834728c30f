package io.multiprocessing4j.wire;

import com.google.protobuf.UnsafeByteOperations;
import io.multiprocessing4j.proto.Payload;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A compact encoding for the commonest chunks of pool items and results: arrays whose elements are
 * all null, booleans, numbers, characters, strings or byte arrays. Java serialization spends about
 * ten bytes and a few microseconds per boxed number, plus a stream header and class descriptors per
 * payload; this form spends one tag byte and a varint, and no reflection, and is read and written
 * with plain array access (it is on the path of every pool item and result). Anything else falls back to
 * Java serialization ({@link #encode} returns null). Decoding never instantiates a class named by the
 * peer, so it needs no deserialization filter.
 *
 * <p>Format: a varint count, then per element a tag byte and its value (zig-zag varints for
 * integers, fixed-width IEEE bits for floating point, length-prefixed UTF-8 for strings). An array
 * whose elements are all {@code Integer}s (or all {@code Long}s), the usual input and result of a
 * {@code map} over numbers, is written as the count, one tag for the whole array and the bare
 * values: a tight loop on both sides, with no type test per element when reading. Integers go
 * there as 4 little-endian bytes each rather than varints: a varint of an {@code int} takes up to 5
 * bytes (squares and hashes usually do), and writing and reading fixed-width values needs no
 * sizing pass and no branch per byte, which matters most while that loop still runs interpreted
 * (the first maps in a fresh worker). Longs keep varints, which keep small values small.
 */
public final class CompactArrays {
  /** The {@code Payload.serializer_id} of this form. */
  public static final int SERIALIZER_ID = 5;

  private static final int NULL = 0;
  private static final int FALSE = 1;
  private static final int TRUE = 2;
  private static final int INT = 3;
  private static final int LONG = 4;
  private static final int DOUBLE = 5;
  private static final int FLOAT = 6;
  private static final int STRING = 7;
  private static final int SHORT = 8;
  private static final int BYTE = 9;
  private static final int CHAR = 10;
  private static final int BYTES = 11;
  // 12 was an untagged array of Integers as zig-zag varints, replaced by INTS below.
  /** After the count, instead of the first element's tag: every element is a Long, an untagged zig-zag varint. */
  private static final int LONGS = 13;
  /** After the count, instead of the first element's tag: every element is an Integer, 4 bytes little-endian. */
  private static final int INTS = 14;
  private static final int INT_BYTES = 4;

  private CompactArrays() {}

  /** Encodes {@code values} compactly, or returns null if one of them is of another type. */
  public static Payload encode(Object[] values) {
    byte[] bytes = values.length == 0 ? null
        : values[0] instanceof Integer ? encodeInts(values)
        : values[0] instanceof Long ? encodeLongs(values)
        : null;
    if (bytes == null) {
      bytes = encodeTagged(values);
    }
    if (bytes == null) {
      return null;
    }
    // The array is never written again once wrapped, so it may back the payload without a copy.
    return Payload.newBuilder()
        .setSerializerId(SERIALIZER_ID)
        .setData(UnsafeByteOperations.unsafeWrap(bytes))
        .build();
  }

  /** The {@link #INTS} form, in one pass, or null if some element is not an {@code Integer}. */
  private static byte[] encodeInts(Object[] values) {
    byte[] bytes = new byte[varintSize(values.length) + 1 + INT_BYTES * values.length];
    int at = writeVarint(bytes, 0, values.length);
    bytes[at++] = INTS;
    for (Object value : values) {
      if (!(value instanceof Integer number)) {
        return null;
      }
      int bits = number;
      bytes[at] = (byte) bits;
      bytes[at + 1] = (byte) (bits >>> 8);
      bytes[at + 2] = (byte) (bits >>> 16);
      bytes[at + 3] = (byte) (bits >>> 24);
      at += INT_BYTES;
    }
    return bytes;
  }

  /** The {@link #LONGS} form, or null if some element is not a {@code Long}. */
  private static byte[] encodeLongs(Object[] values) {
    int size = varintSize(values.length) + 1;
    for (Object value : values) {
      if (!(value instanceof Long number)) {
        return null;
      }
      size += varintSize(zigZag(number));
    }
    byte[] bytes = new byte[size];
    int at = writeVarint(bytes, 0, values.length);
    bytes[at++] = LONGS;
    for (Object value : values) {
      at = writeVarint(bytes, at, zigZag((Long) value));
    }
    return bytes;
  }

  /** One tag per element; null if an element is of no simple type. */
  private static byte[] encodeTagged(Object[] values) {
    int size = varintSize(values.length);
    for (Object value : values) {
      int valueSize = sizeOf(value);
      if (valueSize < 0) {
        return null;
      }
      size += 1 + valueSize;
    }
    byte[] bytes = new byte[size];
    int at = writeVarint(bytes, 0, values.length);
    for (Object value : values) {
      at = write(bytes, at, value);
    }
    if (at != size) {
      throw new IllegalStateException("the computed size of a compact array was wrong: " + size + " != " + at);
    }
    return bytes;
  }

  /** Decodes a payload made by {@link #encode}. */
  public static Object[] decode(Payload payload) throws IOException {
    Reader in = new Reader(payload.getData().toByteArray());
    int count = in.readVarint32();
    if (count < 0 || count > in.bytes.length) {
      throw new IOException("a compact array cannot hold " + count + " elements in " + in.bytes.length + " bytes");
    }
    Object[] values = new Object[count];
    if (count == 0) {
      return values;
    }
    int layout = in.peekByte();
    if (layout == INTS) {
      in.readByte();
      decodeInts(in.bytes, in.at, values);
      return values;
    }
    if (layout == LONGS) {
      in.readByte();
      for (int i = 0; i < count; i++) {
        values[i] = Reader.unZigZag(in.readVarint64());
      }
      return values;
    }
    for (int i = 0; i < count; i++) {
      values[i] = in.readValue();
    }
    return values;
  }

  /** Reads {@code values.length} untagged ints starting at {@code at}, which must be all that is left. */
  private static void decodeInts(byte[] bytes, int at, Object[] values) throws IOException {
    if ((long) INT_BYTES * values.length != bytes.length - at) {
      throw new IOException("a compact array of " + values.length + " ints cannot take " + (bytes.length - at)
          + " bytes");
    }
    for (int i = 0; i < values.length; i++, at += INT_BYTES) {
      values[i] = (bytes[at] & 0xFF) | (bytes[at + 1] & 0xFF) << 8 | (bytes[at + 2] & 0xFF) << 16
          | bytes[at + 3] << 24;
    }
  }

  private static int sizeOf(Object value) {
    if (value instanceof Integer number) {
      return varintSize(zigZag(number));
    }
    if (value == null || value instanceof Boolean) {
      return 0;
    }
    if (value instanceof Long number) {
      return varintSize(zigZag(number));
    }
    if (value instanceof Double) {
      return 8;
    }
    if (value instanceof Float) {
      return 4;
    }
    if (value instanceof String text) {
      int length = utf8Length(text);
      return length < 0 ? -1 : varintSize(length) + length;
    }
    if (value instanceof Short number) {
      return varintSize(zigZag(number));
    }
    if (value instanceof Byte) {
      return 1;
    }
    if (value instanceof Character character) {
      return varintSize(character);
    }
    if (value instanceof byte[] bytes) {
      return varintSize(bytes.length) + bytes.length;
    }
    return -1;
  }

  /** Writes one tagged value at {@code at}; returns the position after it. */
  private static int write(byte[] out, int at, Object value) {
    if (value instanceof Integer number) {
      out[at] = INT;
      return writeVarint(out, at + 1, zigZag(number));
    }
    if (value == null) {
      out[at] = NULL;
      return at + 1;
    }
    if (value instanceof Boolean flag) {
      out[at] = (byte) (flag ? TRUE : FALSE);
      return at + 1;
    }
    if (value instanceof Long number) {
      out[at] = LONG;
      return writeVarint(out, at + 1, zigZag(number));
    }
    if (value instanceof Double number) {
      out[at] = DOUBLE;
      return writeFixed(out, at + 1, Double.doubleToRawLongBits(number), 8);
    }
    if (value instanceof Float number) {
      out[at] = FLOAT;
      return writeFixed(out, at + 1, Float.floatToRawIntBits(number), 4);
    }
    if (value instanceof String text) {
      out[at] = STRING;
      return writeBytes(out, at + 1, text.getBytes(StandardCharsets.UTF_8));
    }
    if (value instanceof Short number) {
      out[at] = SHORT;
      return writeVarint(out, at + 1, zigZag(number));
    }
    if (value instanceof Byte number) {
      out[at] = BYTE;
      out[at + 1] = number;
      return at + 2;
    }
    if (value instanceof Character character) {
      out[at] = CHAR;
      return writeVarint(out, at + 1, character);
    }
    out[at] = BYTES;
    return writeBytes(out, at + 1, (byte[]) value);
  }

  /**
   * The length of {@code text} in UTF-8, or -1 if it is not valid UTF-16 (an unpaired surrogate): UTF-8
   * would turn that into '?', while Java serialization keeps the string exactly.
   */
  private static int utf8Length(String text) {
    int length = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        length += 1;
      } else if (c < 0x800) {
        length += 2;
      } else if (!Character.isSurrogate(c)) {
        length += 3;
      } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        length += 4;
        i++;
      } else {
        return -1;
      }
    }
    return length;
  }

  private static long zigZag(long value) {
    return (value << 1) ^ (value >> 63);
  }

  private static long zigZag(int value) {
    return ((value << 1) ^ (value >> 31)) & 0xFFFF_FFFFL;
  }

  private static int varintSize(long value) {
    return value == 0 ? 1 : (63 - Long.numberOfLeadingZeros(value)) / 7 + 1;
  }

  private static int writeVarint(byte[] out, int at, long value) {
    while ((value & ~0x7FL) != 0) {
      out[at++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out[at++] = (byte) value;
    return at;
  }

  /** Little-endian, as Protobuf's fixed-width fields. */
  private static int writeFixed(byte[] out, int at, long bits, int width) {
    for (int i = 0; i < width; i++) {
      out[at++] = (byte) (bits >>> (8 * i));
    }
    return at;
  }

  private static int writeBytes(byte[] out, int at, byte[] bytes) {
    at = writeVarint(out, at, bytes.length);
    System.arraycopy(bytes, 0, out, at, bytes.length);
    return at + bytes.length;
  }

  /** Reads tagged values from an encoded array; every read is bounds-checked against the array. */
  private static final class Reader {
    final byte[] bytes;
    int at;

    Reader(byte[] bytes) {
      this.bytes = bytes;
    }

    Object readValue() throws IOException {
      int tag = readByte();
      return switch (tag) {
        case INT -> (int) unZigZag(readVarint64());
        case NULL -> null;
        case FALSE -> Boolean.FALSE;
        case TRUE -> Boolean.TRUE;
        case LONG -> unZigZag(readVarint64());
        case DOUBLE -> Double.longBitsToDouble(readFixed(8));
        case FLOAT -> Float.intBitsToFloat((int) readFixed(4));
        case STRING -> new String(readBytes(), StandardCharsets.UTF_8);
        case SHORT -> (short) unZigZag(readVarint64());
        case BYTE -> (byte) readByte();
        case CHAR -> (char) readVarint64();
        case BYTES -> readBytes();
        default -> throw new IOException("unknown compact array tag " + tag);
      };
    }

    int readVarint32() throws IOException {
      long value = readVarint64();
      if (value > Integer.MAX_VALUE) {
        throw new IOException("a compact array length of " + value + " is too large");
      }
      return (int) value;
    }

    private long readVarint64() throws IOException {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int next = readByte();
        value |= (long) (next & 0x7F) << shift;
        if ((next & 0x80) == 0) {
          return value;
        }
      }
      throw new IOException("malformed varint in a compact array");
    }

    private long readFixed(int width) throws IOException {
      long bits = 0;
      for (int i = 0; i < width; i++) {
        bits |= (long) (readByte() & 0xFF) << (8 * i);
      }
      return bits;
    }

    private byte[] readBytes() throws IOException {
      int length = readVarint32();
      if (length > bytes.length - at) {
        throw new IOException("a compact array value of " + length + " bytes runs past its end");
      }
      byte[] value = Arrays.copyOfRange(bytes, at, at + length);
      at += length;
      return value;
    }

    int peekByte() throws IOException {
      if (at >= bytes.length) {
        throw new EOFException("a compact array ends early");
      }
      return bytes[at];
    }

    private int readByte() throws IOException {
      if (at >= bytes.length) {
        throw new EOFException("a compact array ends early");
      }
      return bytes[at++];
    }

    private static long unZigZag(long value) {
      return (value >>> 1) ^ -(value & 1);
    }
  }
}
