package io.multiprocessing4j.wire;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.proto.RemoteFailure;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
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
      default:
        throw new IOException("unknown serializer id " + payload.getSerializerId()
            + " for " + payload.getManifest());
    }
  }

  /** Describes an exception for the parent: class, message, full trace, and the object if it travels. */
  public static RemoteFailure failure(Throwable error) {
    StringWriter trace = new StringWriter();
    error.printStackTrace(new PrintWriter(trace, true));
    RemoteFailure.Builder failure = RemoteFailure.newBuilder()
        .setExceptionClass(error.getClass().getName())
        .setMessage(String.valueOf(error.getMessage()))
        .setStackTrace(trace.toString());
    try {
      failure.setException(javaSerialized(error));
    } catch (IOException | RuntimeException notSerializable) {
      // The text above still carries everything a user needs to see.
    }
    return failure.build();
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
