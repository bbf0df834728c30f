package io.multiprocessing4j.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.proto.RemoteFailure;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.StreamCorruptedException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * Encodes user values as {@code Payload} messages and decodes them again.
 *
 * <p>Java serialization is decoded only from authenticated peers, and always behind
 * {@link #FILTER}: bounded depth, reference count and size, and a deny-list of classes known as
 * deserialization gadgets. Users may tighten it further with the standard {@code jdk.serialFilter}
 * system property, which the JVM applies in addition.
 */
public final class Payloads {
  public static final int JAVA = 1;
  public static final int PROTOBUF = 2;
  public static final int BYTES = 3;
  public static final int UTF8 = 4;
  /** A boxed primitive: manifest = its class's simple name, data = its bits as 8 big-endian bytes. */
  // 5 is CompactArrays.SERIALIZER_ID (arrays of simple values, used for pool tasks).
  public static final int BOXED = 6;
  /**
   * The elements of an {@code Object[]} one after the other in one Java-serialization stream (data: the
   * count, then each element), so that one element that cannot be decoded costs only itself: see
   * {@link #javaSerializedElements}.
   */
  public static final int JAVA_ELEMENTS = 7;

  private static final List<String> DENIED_PREFIXES = List.of(
      "org.apache.commons.collections.functors.",
      "org.apache.commons.collections4.functors.",
      "org.apache.commons.beanutils.",
      "org.codehaus.groovy.runtime.",
      "com.sun.org.apache.xalan.internal.xsltc.trax.",
      "org.apache.xalan.xsltc.trax.",
      "org.springframework.beans.factory.",
      "com.sun.rowset.",
      "javax.management.",
      "java.rmi.",
      "sun.rmi.",
      "bsh.",
      "clojure.",
      "org.python.",
      "com.mchange.v2.c3p0.",
      "org.hibernate.engine.spi.");

  /** The filter applied to every Java-serialized payload this library decodes. */
  public static final ObjectInputFilter FILTER = info -> {
    if (info.depth() > 200 || info.references() > 10_000_000L || info.arrayLength() > Integer.MAX_VALUE - 8) {
      return ObjectInputFilter.Status.REJECTED;
    }
    Class<?> type = info.serialClass();
    if (type != null) {
      while (type.isArray()) {
        type = type.getComponentType();
      }
      String name = type.getName();
      for (String prefix : DENIED_PREFIXES) {
        if (name.startsWith(prefix)) {
          return ObjectInputFilter.Status.REJECTED;
        }
      }
    }
    return ObjectInputFilter.Status.UNDECIDED;
  };

  private Payloads() {}

  /**
   * Serializes a value with Java serialization. Throws {@link NotSerializableException} (with the
   * offending class as message) when part of it cannot travel.
   */
  public static Payload javaSerialized(Object value) throws IOException {
    // ByteString.Output keeps the buffers it filled and joins them without copying: a large value is
    // not copied twice more on its way into the payload.
    ByteString.Output bytes = ByteString.newOutput(256);
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    return Payload.newBuilder()
        .setSerializerId(JAVA)
        .setManifest(value == null ? "" : value.getClass().getName())
        .setData(bytes.toByteString())
        .build();
  }

  /**
   * Encodes the values that need no Java serialization compactly: a boxed primitive as {@link #BOXED},
   * a String as {@link #UTF8} (unless it holds an unpaired surrogate, which UTF-8 cannot carry).
   * Setting up an object stream costs far more than such a value: this keeps small messages cheap.
   *
   * @return the payload, or null when {@code value} is not one of these
   */
  public static Payload compact(Object value) {
    long bits;
    if (value instanceof String text) {
      if (hasUnpairedSurrogate(text)) {
        return null;
      }
      return Payload.newBuilder().setSerializerId(UTF8).setData(ByteString.copyFromUtf8(text)).build();
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      bits = ((Number) value).longValue();
    } else if (value instanceof Double number) {
      bits = Double.doubleToRawLongBits(number);
    } else if (value instanceof Float number) {
      bits = Float.floatToRawIntBits(number);
    } else if (value instanceof Boolean flag) {
      bits = flag ? 1 : 0;
    } else if (value instanceof Character character) {
      bits = character;
    } else {
      return null;
    }
    byte[] data = new byte[8];
    for (int i = 7; i >= 0; i--) {
      data[i] = (byte) bits;
      bits >>>= 8;
    }
    return Payload.newBuilder().setSerializerId(BOXED).setManifest(value.getClass().getSimpleName())
        .setData(UnsafeByteOperations.unsafeWrap(data)).build();
  }

  private static boolean hasUnpairedSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static Object unbox(Payload payload) throws IOException {
    long bits = 0;
    ByteString data = payload.getData();
    if (data.size() != 8) {
      throw new IOException("a boxed " + payload.getManifest() + " of " + data.size() + " bytes");
    }
    for (int i = 0; i < 8; i++) {
      bits = (bits << 8) | (data.byteAt(i) & 0xff);
    }
    switch (payload.getManifest()) {
      case "Integer":
        return (int) bits;
      case "Long":
        return bits;
      case "Short":
        return (short) bits;
      case "Byte":
        return (byte) bits;
      case "Double":
        return Double.longBitsToDouble(bits);
      case "Float":
        return Float.intBitsToFloat((int) bits);
      case "Boolean":
        return bits != 0;
      case "Character":
        return (char) bits;
      default:
        throw new IOException("unknown boxed type " + payload.getManifest());
    }
  }

  /** Decodes a payload made by {@link #javaSerialized}, resolving classes with {@code loader}. */
  public static Object decode(Payload payload, ClassLoader loader) throws IOException, ClassNotFoundException {
    switch (payload.getSerializerId()) {
      case JAVA:
        try (ObjectInputStream in = new LoaderObjectInputStream(payload.getData().newInput(), loader)) {
          in.setObjectInputFilter(FILTER);
          return in.readObject();
        }
      case BYTES:
        return payload.getData().toByteArray();
      case UTF8:
        return payload.getData().toStringUtf8();
      case BOXED:
        return unbox(payload);
      default:
        throw new IOException("unknown serializer id " + payload.getSerializerId()
            + " for " + payload.getManifest());
    }
  }

  /**
   * Serializes {@code values} element by element in one stream ({@link #JAVA_ELEMENTS}): class
   * descriptors are still written once per stream, as for the array as a whole, but the reader can tell
   * the elements apart (see {@link #decodeElements}).
   *
   * @throws NotSerializableException (with the offending class as message) when an element cannot travel
   */
  public static Payload javaSerializedElements(Object[] values) throws IOException {
    ByteString.Output bytes = ByteString.newOutput(256);
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeInt(values.length);
      for (Object value : values) {
        out.writeObject(value);
      }
    }
    return Payload.newBuilder().setSerializerId(JAVA_ELEMENTS).setData(bytes.toByteString()).build();
  }

  /**
   * The elements of a {@link #JAVA_ELEMENTS} payload, each decoded on its own, and for each one that
   * could not be, why.
   *
   * @param failures null when every element was decoded; otherwise {@code failures[i]} non-null means
   *     {@code values[i]} (null) could not be
   */
  public record Elements(Object[] values, Throwable[] failures) {}

  /**
   * Decodes a payload made by {@link #javaSerializedElements}, resolving classes with {@code loader},
   * behind {@link #FILTER}. An element whose class (or a class inside it) is unknown here fails alone:
   * Java serialization reads past an object whose class it cannot load, so the next element is read as
   * usual. Any other failure (a {@code readObject} that throws, a class the filter refuses, an
   * incompatible class version) stops the stream in the middle of that element: the elements after it
   * then fail too, each saying which one stopped the stream.
   *
   * @throws IOException if the payload is not of this form or its header cannot be read
   */
  public static Elements decodeElements(Payload payload, ClassLoader loader) throws IOException {
    if (payload.getSerializerId() != JAVA_ELEMENTS) {
      throw new IOException("expected serializer id " + JAVA_ELEMENTS + ", got " + payload.getSerializerId());
    }
    try (ObjectInputStream in = new LoaderObjectInputStream(payload.getData().newInput(), loader)) {
      in.setObjectInputFilter(FILTER);
      int count = in.readInt();
      // Every element takes at least one byte: a count beyond the payload's size is not believed.
      if (count < 0 || count > payload.getData().size()) {
        throw new IOException("a payload of " + payload.getData().size() + " bytes claims " + count + " elements");
      }
      Object[] values = new Object[count];
      Throwable[] failures = null;
      for (int i = 0; i < count; i++) {
        try {
          values[i] = in.readObject();
        } catch (ClassNotFoundException e) {
          failures = failures != null ? failures : new Throwable[count];
          failures[i] = e;
        } catch (IOException | RuntimeException | LinkageError e) {
          failures = failures != null ? failures : new Throwable[count];
          failures[i] = e;
          StreamCorruptedException unread = new StreamCorruptedException("not read: element " + i
              + " before it could not be decoded (" + e + "), and the stream cannot be followed past it");
          for (int rest = i + 1; rest < count; rest++) {
            failures[rest] = unread;
          }
          break;
        }
      }
      return new Elements(values, failures);
    }
  }

  /**
   * Describes an exception for the parent: class, message, full trace, and the object if it travels.
   * Never throws for the exception's sake: one whose {@code getMessage}, {@code toString} or
   * {@code printStackTrace} throws (user code may override them) is described by its class and frames
   * as one that "could not be described", and its object is not sent (it would throw again there).
   */
  public static RemoteFailure failure(Throwable error) {
    String message;
    StringWriter trace = new StringWriter();
    try {
      message = String.valueOf(error.getMessage());
      error.printStackTrace(new PrintWriter(trace, true));
    } catch (RuntimeException | StackOverflowError undescribable) {
      return undescribable(error, undescribable);
    }
    RemoteFailure.Builder failure = RemoteFailure.newBuilder()
        .setExceptionClass(error.getClass().getName())
        .setMessage(message)
        .setStackTrace(trace.toString());
    try {
      failure.setException(javaSerialized(error));
    } catch (IOException | RuntimeException | StackOverflowError notSerializable) {
      // The text above still carries everything a user needs to see. A cause chain too deep for this
      // thread's stack overflows here, not in printStackTrace, which recurses less per level.
    }
    return failure.build();
  }

  /** An exception that threw {@code why} when asked to describe itself: its class and frames, and what threw. */
  private static RemoteFailure undescribable(Throwable error, Throwable why) {
    String name = error.getClass().getName();
    String message = "its exception could not be described: describing it threw " + why.getClass().getName();
    StringBuilder trace = new StringBuilder(name).append(": ").append(message);
    try {
      for (StackTraceElement frame : error.getStackTrace()) {
        trace.append("\n\tat ").append(frame);
      }
    } catch (RuntimeException framesThrewToo) {
      trace.append("\n\t(its stack trace could not be read either)");
    }
    return RemoteFailure.newBuilder().setExceptionClass(name).setMessage(message)
        .setStackTrace(trace.append('\n').toString()).build();
  }

  /** An ObjectInputStream that resolves classes with a given loader (the user's, not ours). */
  private static final class LoaderObjectInputStream extends ObjectInputStream {
    private final ClassLoader loader;

    LoaderObjectInputStream(java.io.InputStream in, ClassLoader loader) throws IOException {
      super(in);
      this.loader = loader;
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
      try {
        return Class.forName(desc.getName(), false, loader);
      } catch (ClassNotFoundException e) {
        return super.resolveClass(desc);
      }
    }
  }
}
