package io.multiprocessing4j.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import io.multiprocessing4j.proto.Payload;
import java.io.IOException;

/**
 * A compact encoding for the commonest chunks of pool items and results: arrays whose elements are
 * all null, booleans, numbers, characters, strings or byte arrays. Java serialization spends about
 * ten bytes and a few microseconds per boxed number, plus a stream header and class descriptors per
 * payload; this form spends one tag byte and a varint, and no reflection. Anything else falls back to
 * Java serialization ({@link #encode} returns null). Decoding never instantiates a class named by the
 * peer, so it needs no deserialization filter.
 *
 * <p>Format: a varint count, then per element a tag byte and its value (zig-zag varints for
 * integers, fixed-width IEEE bits for floating point, length-prefixed UTF-8 for strings).
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

  private CompactArrays() {}

  /** Encodes {@code values} compactly, or returns null if one of them is of another type. */
  public static Payload encode(Object[] values) {
    int size = CodedOutputStream.computeUInt32SizeNoTag(values.length);
    for (Object value : values) {
      int valueSize = sizeOf(value);
      if (valueSize < 0) {
        return null;
      }
      size += 1 + valueSize;
    }
    byte[] bytes = new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      out.writeUInt32NoTag(values.length);
      for (Object value : values) {
        write(out, value);
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("the computed size of a compact array was wrong", e);
    }
    return Payload.newBuilder()
        .setSerializerId(SERIALIZER_ID)
        .setData(ByteString.copyFrom(bytes))
        .build();
  }

  /** Decodes a payload made by {@link #encode}. */
  public static Object[] decode(Payload payload) throws IOException {
    CodedInputStream in = payload.getData().newCodedInput();
    int count = in.readUInt32();
    if (count < 0 || count > payload.getData().size()) {
      throw new IOException("a compact array cannot hold " + count + " elements in " + payload.getData().size() + " bytes");
    }
    Object[] values = new Object[count];
    for (int i = 0; i < count; i++) {
      values[i] = read(in);
    }
    return values;
  }

  private static int sizeOf(Object value) {
    if (value == null || value instanceof Boolean) {
      return 0;
    }
    if (value instanceof Integer number) {
      return CodedOutputStream.computeSInt32SizeNoTag(number);
    }
    if (value instanceof Long number) {
      return CodedOutputStream.computeSInt64SizeNoTag(number);
    }
    if (value instanceof Double) {
      return 8;
    }
    if (value instanceof Float) {
      return 4;
    }
    if (value instanceof String text) {
      try {
        return CodedOutputStream.computeStringSizeNoTag(text);
      } catch (IllegalArgumentException unpairedSurrogate) {
        // Not valid UTF-16: Java serialization keeps such a string exactly, UTF-8 would not.
        return -1;
      }
    }
    if (value instanceof Short number) {
      return CodedOutputStream.computeSInt32SizeNoTag(number);
    }
    if (value instanceof Byte) {
      return 1;
    }
    if (value instanceof Character character) {
      return CodedOutputStream.computeUInt32SizeNoTag(character);
    }
    if (value instanceof byte[] bytes) {
      return CodedOutputStream.computeByteArraySizeNoTag(bytes);
    }
    return -1;
  }

  private static void write(CodedOutputStream out, Object value) throws IOException {
    if (value == null) {
      out.write((byte) NULL);
    } else if (value instanceof Boolean flag) {
      out.write((byte) (flag ? TRUE : FALSE));
    } else if (value instanceof Integer number) {
      out.write((byte) INT);
      out.writeSInt32NoTag(number);
    } else if (value instanceof Long number) {
      out.write((byte) LONG);
      out.writeSInt64NoTag(number);
    } else if (value instanceof Double number) {
      out.write((byte) DOUBLE);
      out.writeDoubleNoTag(number);
    } else if (value instanceof Float number) {
      out.write((byte) FLOAT);
      out.writeFloatNoTag(number);
    } else if (value instanceof String text) {
      out.write((byte) STRING);
      out.writeStringNoTag(text);
    } else if (value instanceof Short number) {
      out.write((byte) SHORT);
      out.writeSInt32NoTag(number);
    } else if (value instanceof Byte number) {
      out.write((byte) BYTE);
      out.write(number);
    } else if (value instanceof Character character) {
      out.write((byte) CHAR);
      out.writeUInt32NoTag(character);
    } else {
      out.write((byte) BYTES);
      out.writeByteArrayNoTag((byte[]) value);
    }
  }

  private static Object read(CodedInputStream in) throws IOException {
    int tag = in.readRawByte();
    return switch (tag) {
      case NULL -> null;
      case FALSE -> Boolean.FALSE;
      case TRUE -> Boolean.TRUE;
      case INT -> in.readSInt32();
      case LONG -> in.readSInt64();
      case DOUBLE -> in.readDouble();
      case FLOAT -> in.readFloat();
      case STRING -> in.readStringRequireUtf8();
      case SHORT -> (short) in.readSInt32();
      case BYTE -> in.readRawByte();
      case CHAR -> (char) in.readUInt32();
      case BYTES -> in.readByteArray();
      default -> throw new IOException("unknown compact array tag " + tag);
    };
  }
}
