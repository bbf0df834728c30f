package io.multiprocessing4j.wire;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.ManagedValue;
import io.multiprocessing4j.proto.ManagerCall;
import io.multiprocessing4j.proto.ManagerReady;
import io.multiprocessing4j.proto.ManagerReply;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds and reads the frames of the manager protocol (manager.proto), for both ends: proxies in any
 * process and the manager process. {@code Integer}, {@code Long}, {@code Double}, {@code String},
 * {@code byte[]}, {@code Boolean} and null travel as themselves; anything else is Java-serialized.
 */
public final class ManagerFrames {
  private static final ManagedValue NULL = ManagedValue.newBuilder().setNullValue(true).build();

  private ManagerFrames() {}

  /** Manager to parent: proxies connect to {@code endpoint}. */
  public static Frame ready(Endpoint endpoint, long pid) throws IOException {
    return Frame.newBuilder()
        .setManagerReady(ManagerReady.newBuilder().setEndpoint(Payloads.javaSerialized(endpoint)).setPid(pid))
        .build();
  }

  /** Parent side: the endpoint a {@link #ready} frame carries. */
  public static Endpoint endpointOf(ManagerReady ready) throws IOException {
    try {
      Object endpoint = Payloads.decode(ready.getEndpoint(), Endpoint.class.getClassLoader());
      if (endpoint instanceof Endpoint typed) {
        return typed;
      }
      throw new IOException("a manager announced " + endpoint + " instead of an endpoint");
    } catch (ClassNotFoundException e) {
      throw new IOException(e);
    }
  }

  /**
   * Proxy to manager: call {@code method} on object {@code objectId} with {@code args}.
   *
   * @throws java.io.NotSerializableException if an argument cannot travel
   */
  public static Frame call(long objectId, String method, Object... args) throws IOException {
    ManagerCall.Builder call = ManagerCall.newBuilder().setObjectId(objectId).setMethod(method);
    for (Object arg : args) {
      call.addArgs(encode(arg));
    }
    return Frame.newBuilder().setManagerCall(call).build();
  }

  /** The arguments of a call, decoded with {@code loader}. */
  public static List<Object> arguments(ManagerCall call, ClassLoader loader)
      throws IOException, ClassNotFoundException {
    List<Object> args = new ArrayList<>(call.getArgsCount());
    for (ManagedValue arg : call.getArgsList()) {
      args.add(decode(arg, loader));
    }
    return args;
  }

  /** Manager to proxy: the call returned {@code value}. */
  public static Frame result(Object value) throws IOException {
    return Frame.newBuilder().setManagerReply(ManagerReply.newBuilder().setResult(encode(value))).build();
  }

  /** Manager to proxy: the call threw {@code error}. */
  public static Frame failure(Throwable error) {
    return Frame.newBuilder().setManagerReply(ManagerReply.newBuilder().setFailure(Payloads.failure(error))).build();
  }

  static ManagedValue encode(Object value) throws IOException {
    if (value == null) {
      return NULL;
    }
    ManagedValue.Builder encoded = ManagedValue.newBuilder();
    if (value instanceof Integer i) {
      encoded.setIntValue(i);
    } else if (value instanceof Long l) {
      encoded.setLongValue(l);
    } else if (value instanceof Double d) {
      encoded.setDoubleValue(d);
    } else if (value instanceof String s) {
      encoded.setStringValue(s);
    } else if (value instanceof byte[] bytes) {
      encoded.setBytesValue(ByteString.copyFrom(bytes));
    } else if (value instanceof Boolean b) {
      encoded.setBoolValue(b);
    } else {
      encoded.setJava(Payloads.javaSerialized(value));
    }
    return encoded.build();
  }

  /** A value made by {@link #encode}; Java-serialized ones are decoded behind {@link Payloads#FILTER}. */
  public static Object decode(ManagedValue value, ClassLoader loader) throws IOException, ClassNotFoundException {
    return switch (value.getKindCase()) {
      case NULL_VALUE, KIND_NOT_SET -> null;
      case INT_VALUE -> value.getIntValue();
      case LONG_VALUE -> value.getLongValue();
      case DOUBLE_VALUE -> value.getDoubleValue();
      case STRING_VALUE -> value.getStringValue();
      case BYTES_VALUE -> value.getBytesValue().toByteArray();
      case BOOL_VALUE -> value.getBoolValue();
      case JAVA -> Payloads.decode(value.getJava(), loader);
    };
  }
}
