package io.multiprocessing4j.internal;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.multiprocessing4j.MessageTooLargeException;
import io.multiprocessing4j.proto.ChannelAttach;
import io.multiprocessing4j.proto.ChannelCall;
import io.multiprocessing4j.proto.ChannelCopy;
import io.multiprocessing4j.proto.ChannelGet;
import io.multiprocessing4j.proto.ChannelPut;
import io.multiprocessing4j.proto.ChannelReply;
import io.multiprocessing4j.proto.ChannelRequest;
import io.multiprocessing4j.proto.ChannelRing;
import io.multiprocessing4j.proto.ChannelStatus;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.Payloads;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Builds and reads the frames of channels.proto (pipes and queues), and turns user values into
 * payloads and back. The only class that builds these protobuf messages.
 */
final class ChannelCodec {
  /** Room for the frame around the largest item: tags, lengths, the manifest. */
  private static final int FRAME_OVERHEAD_BYTES = 64 * 1024;

  private ChannelCodec() {}

  /** The frame limit for a channel whose items may be {@code maxMessageBytes} long. */
  static int frameLimit(int maxMessageBytes) {
    return (int) Math.min(Integer.MAX_VALUE - 8, (long) maxMessageBytes + FRAME_OVERHEAD_BYTES);
  }

  /**
   * Encodes a value: a {@code byte[]} as raw bytes, a String or boxed primitive compactly
   * ({@link Payloads#compact}), anything else with Java serialization.
   *
   * @param retained whether the payload outlives this call in this JVM (an in-JVM broker keeps it), in
   *     which case a byte array is copied so that later changes by the caller do not reach it
   * @param what what the value is, for error messages
   * @param copies records the pipe ends the value carries (released here if the encoding fails)
   * @throws io.multiprocessing4j.PicklingException if the value cannot be serialized
   * @throws MessageTooLargeException if it encodes to more than {@code maxMessageBytes}
   */
  static Payload encode(Object value, int maxMessageBytes, boolean retained, String what, EndCopies copies) {
    if (value instanceof byte[] bytes) {
      return bytes(bytes, 0, bytes.length, maxMessageBytes, retained);
    }
    Payload payload = Payloads.compact(value);
    if (payload != null) {
      checkSize(payload.getData().size(), maxMessageBytes);
      return payload;
    }
    Payload serialized = EndCopies.record(copies, () -> TargetEncoder.encode(value, what, "value"));
    try {
      checkSize(serialized.getData().size(), maxMessageBytes);
    } catch (MessageTooLargeException e) {
      copies.release();
      throw e;
    }
    return serialized;
  }

  /** Raw bytes as a payload; see {@link #encode} for {@code retained}. */
  static Payload bytes(byte[] bytes, int offset, int length, int maxMessageBytes, boolean retained) {
    checkSize(length, maxMessageBytes);
    ByteString data = retained
        ? ByteString.copyFrom(bytes, offset, length)
        : UnsafeByteOperations.unsafeWrap(bytes, offset, length);
    return Payload.newBuilder().setSerializerId(Payloads.BYTES).setData(data).build();
  }

  private static void checkSize(int size, int maxMessageBytes) {
    if (size > maxMessageBytes) {
      throw new MessageTooLargeException(size, maxMessageBytes);
    }
  }

  /** Decodes a payload made by {@link #encode}, resolving classes with the caller's context loader. */
  static Object decode(Payload payload) {
    if (payload.getSerializerId() == Payloads.BYTES) {
      return bytesOf(payload.getData());
    }
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    try {
      return Payloads.decode(payload, loader != null ? loader : ChannelCodec.class.getClassLoader());
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("cannot decode a received " + payload.getManifest() + ": " + e, e);
    }
  }

  /**
   * The bytes of a received item. An item is taken by exactly one receiver, so when its data is a whole
   * array of its own (as a ring or an in-JVM put made it) that array is handed over instead of a copy.
   */
  static byte[] bytesOf(ByteString data) {
    WholeArray whole = new WholeArray();
    try {
      UnsafeByteOperations.unsafeWriteTo(data, whole);
    } catch (IOException cannotHappen) {
      throw new IllegalStateException(cannotHappen);
    }
    return whole.array != null && whole.array.length == data.size() ? whole.array : data.toByteArray();
  }

  /** Catches the backing array of a ByteString that is one whole array; refuses anything else. */
  private static final class WholeArray extends ByteOutput {
    byte[] array;
    private boolean spoilt;

    @Override
    public void write(byte value) {
      spoilt = true;
      array = null;
    }

    @Override
    public void write(byte[] value, int offset, int length) {
      spoilt = true;
      array = null;
    }

    @Override
    public void writeLazy(byte[] value, int offset, int length) {
      if (array != null || spoilt || offset != 0 || length != value.length) {
        spoilt = true;
        array = null;
      } else {
        array = value;
      }
    }

    @Override
    public void write(ByteBuffer value) {
      spoilt = true;
      array = null;
    }

    @Override
    public void writeLazy(ByteBuffer value) {
      spoilt = true;
      array = null;
    }
  }

  static Frame put(long requestId, Payload item, long timeoutMillis, boolean returned) {
    return request(ChannelRequest.newBuilder().setRequestId(requestId).setPut(ChannelPut.newBuilder()
        .setItem(item).setTimeoutMillis(timeoutMillis).setReturned(returned)));
  }

  /**
   * The serializer id of a ring record that carries a serialized {@link ChannelRequest} rather than an
   * item (a get sent through the ring). Negative: never a payload's.
   */
  static final int REQUEST_RECORD = -1;

  /** A get as a ring record (see {@link #REQUEST_RECORD}). */
  static Payload getRecord(long requestId, long timeoutMillis, boolean peek, boolean directOk) {
    return Payload.newBuilder().setSerializerId(REQUEST_RECORD)
        .setData(get(requestId, timeoutMillis, peek, directOk).getChannelRequest().toByteString()).build();
  }

  static Frame get(long requestId, long timeoutMillis, boolean peek, boolean directOk) {
    return request(ChannelRequest.newBuilder().setRequestId(requestId)
        .setGet(ChannelGet.newBuilder().setTimeoutMillis(timeoutMillis).setPeek(peek).setDirectOk(directOk)));
  }

  /** The tag of a record the broker pushes into a direct reader's reply ring (never a request id). */
  static final long PUSH_TAG = -1;
  /** Serializer id of a pushed record: the ring of a new direct writer is at the path in its data. */
  static final int DIRECT_START = -2;
  /** Serializer id of a pushed record: the sending end is closed; after what is in the rings, end of file. */
  static final int DIRECT_EOF = -3;
  /** Serializer id of a pushed record: nothing more will be pushed (the reader asked to stop). */
  static final int DIRECT_STOPPED = -4;

  /** A record of one of the DIRECT_ kinds, with {@code text} as its data. */
  static Payload directRecord(int kind, String text) {
    return Payload.newBuilder().setSerializerId(kind).setData(ByteString.copyFromUtf8(text)).build();
  }

  static Frame directOffer(long requestId, String path) {
    return request(ChannelRequest.newBuilder().setRequestId(requestId).setDirectOffer(path));
  }

  static Frame stopDirect(long requestId) {
    return request(ChannelRequest.newBuilder().setRequestId(requestId).setStopDirect(true));
  }

  static Frame cancel(long requestId) {
    return request(ChannelRequest.newBuilder().setCancel(requestId));
  }

  static Frame call(long requestId, ChannelCall.Kind kind) {
    return request(ChannelRequest.newBuilder().setRequestId(requestId).setCall(ChannelCall.newBuilder().setKind(kind)));
  }

  static Frame attach(int end, long claimedCopy) {
    return request(ChannelRequest.newBuilder()
        .setAttach(ChannelAttach.newBuilder().setEnd(end).setClaimedCopy(claimedCopy)));
  }

  static Frame copy(int end, long copyId, boolean released) {
    return request(ChannelRequest.newBuilder()
        .setCopy(ChannelCopy.newBuilder().setEnd(end).setCopyId(copyId).setReleased(released)));
  }

  static Frame ring(long requestId, String postsPath, String repliesPath) {
    return request(ChannelRequest.newBuilder().setRequestId(requestId)
        .setRing(ChannelRing.newBuilder().setPath(postsPath).setReplyPath(repliesPath)));
  }

  private static Frame request(ChannelRequest.Builder request) {
    return Frame.newBuilder().setChannelRequest(request).build();
  }

  static Frame reply(long requestId, Outcome outcome) {
    ChannelReply.Builder reply = ChannelReply.newBuilder().setRequestId(requestId);
    if (outcome instanceof Outcome.Item item) {
      reply.setItem(item.payload());
    } else if (outcome instanceof Outcome.Count count) {
      reply.setCount(count.value());
    } else if (outcome instanceof Outcome.Refused refused) {
      reply.setStatus(ChannelStatus.newBuilder().setCode(ChannelStatus.Code.ERROR).setMessage(refused.message()));
    } else {
      reply.setStatus(ChannelStatus.newBuilder().setCode(code((Outcome.Status) outcome)));
    }
    return Frame.newBuilder().setChannelReply(reply).build();
  }

  static Outcome outcome(ChannelReply reply) {
    switch (reply.getOutcomeCase()) {
      case ITEM:
        return new Outcome.Item(reply.getItem());
      case COUNT:
        return new Outcome.Count(reply.getCount());
      case STATUS:
        ChannelStatus status = reply.getStatus();
        switch (status.getCode()) {
          case DONE:
            return Outcome.Status.DONE;
          case EMPTY:
            return Outcome.Status.EMPTY;
          case FULL:
            return Outcome.Status.FULL;
          case READY:
            return Outcome.Status.READY;
          case CLOSED:
            return Outcome.Status.CLOSED;
          case DIRECT_READER:
            return Outcome.Status.DIRECT_READER;
          case DIRECT_ROUTE:
            return Outcome.Status.DIRECT_ROUTE;
          default:
            return new Outcome.Refused(status.getMessage());
        }
      default:
        return new Outcome.Refused("the broker sent an empty reply");
    }
  }

  private static ChannelStatus.Code code(Outcome.Status status) {
    switch (status) {
      case DONE:
        return ChannelStatus.Code.DONE;
      case EMPTY:
        return ChannelStatus.Code.EMPTY;
      case FULL:
        return ChannelStatus.Code.FULL;
      case READY:
        return ChannelStatus.Code.READY;
      case DIRECT_READER:
        return ChannelStatus.Code.DIRECT_READER;
      case DIRECT_ROUTE:
        return ChannelStatus.Code.DIRECT_ROUTE;
      default:
        return ChannelStatus.Code.CLOSED;
    }
  }
}
