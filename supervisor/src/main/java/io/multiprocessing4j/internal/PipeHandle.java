package io.multiprocessing4j.internal;

import io.multiprocessing4j.PipeClosedException;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.Endpoint;
import java.io.EOFException;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The travelling part of one pipe end ({@code Connection}): where its broker is, which end, which
 * directions. Unlike a queue handle, a pipe end is attached to its process as soon as it is
 * deserialized there, because holding an end is what keeps it open (see {@link PipeBroker}): the
 * serialized form carries a fresh copy id registered with the broker by the sender, and the receiving
 * process claims it when it attaches. A process holds each end through one connection however many
 * copies of it arrive ({@link HandleTable}). Turns the broker's answers into the public exceptions.
 */
public final class PipeHandle implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Endpoint endpoint;
  private final String name;
  private final int end;
  private final boolean duplex;
  private final int maxMessageBytes;
  private final long maxBufferedBytes;
  private final transient BrokerCalls calls;

  private PipeHandle(Endpoint endpoint, String name, int end, boolean duplex, int maxMessageBytes,
      long maxBufferedBytes, BrokerCalls calls) {
    this.endpoint = endpoint;
    this.name = name;
    this.end = end;
    this.duplex = duplex;
    this.maxMessageBytes = maxMessageBytes;
    this.maxBufferedBytes = maxBufferedBytes;
    this.calls = calls;
  }

  /** The parent's handle of one end of a new pipe; it calls the broker directly. */
  public static PipeHandle of(PipeBroker broker, int end, boolean duplex) {
    BrokerCalls local = new BrokerCalls.Local(broker, broker.local(end));
    HandleTable.register(HandleTable.key(broker.endpoint(), end), local);
    return new PipeHandle(broker.endpoint(), broker.name() + "/" + (end + 1), end, duplex, broker.maxMessageBytes,
        broker.maxBufferedBytes(), local);
  }

  /** Whether this end receives (false for the sending end of a one-way pipe). */
  public boolean readable() {
    return PipeBroker.canReceive(duplex, end);
  }

  /** Whether this end sends (false for the receiving end of a one-way pipe). */
  public boolean writable() {
    return PipeBroker.canSend(duplex, end);
  }

  /** Whether this process's hold on the end is closed, or its broker is unreachable. */
  public boolean isClosed() {
    return calls.isClosed();
  }

  /** Detaches this process from this end (every copy of it in this process). Idempotent. */
  public void close() {
    if (!calls.isClosed()) {
      calls.close();
      HandleTable.remove(HandleTable.key(endpoint, end), calls);
    }
  }

  /** Sends a value (a {@code byte[]} as raw bytes). Returns once the broker has it or it is on its way. */
  public void send(Object value) {
    checkWritable();
    EndCopies copies = new EndCopies();
    Payload payload = ChannelCodec.encode(value, maxMessageBytes, calls.isLocal(), "a message sent on " + name,
        copies);
    try {
      post(payload);
    } catch (RuntimeException e) {
      // Not sent: pipe ends the message carries are not held open by it.
      copies.release();
      throw e;
    }
  }

  /** Sends {@code length} bytes of {@code bytes} from {@code offset} as one message. */
  public void sendBytes(byte[] bytes, int offset, int length) {
    checkWritable();
    if (offset < 0 || length < 0 || offset > bytes.length - length) {
      throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + " of " + bytes.length);
    }
    post(ChannelCodec.bytes(bytes, offset, length, maxMessageBytes, calls.isLocal()));
  }

  /** Receives the next message, decoded, waiting for it for as long as it takes. */
  public Object recv() throws InterruptedException {
    return ChannelCodec.decode(receive());
  }

  /** Receives the next message's bytes as sent (a serialized object's serialized form). */
  public byte[] recvBytes() throws InterruptedException {
    return ChannelCodec.bytesOf(receive().getData());
  }

  private Payload receive() throws InterruptedException {
    checkReadable();
    Outcome outcome = next(-1, false);
    if (outcome instanceof Outcome.Item item) {
      return item.payload();
    }
    if (outcome == Outcome.Status.CLOSED) {
      throw new PipeClosedException(
          "the other end of " + name + " is closed and every message it sent was received", new EOFException(name));
    }
    throw unexpected(outcome);
  }

  /**
   * Whether a message (or the end of the stream) can be received without blocking, waiting up to
   * {@code timeoutMillis} (negative: for ever) for one.
   */
  public boolean poll(long timeoutMillis) throws InterruptedException {
    checkReadable();
    Outcome outcome = next(timeoutMillis, true);
    if (outcome == Outcome.Status.READY || outcome == Outcome.Status.CLOSED) {
      return true;
    }
    if (outcome == Outcome.Status.EMPTY) {
      return false;
    }
    throw unexpected(outcome);
  }

  /**
   * The next message (or, for a peek, whether there is one), from this process's direct inbox while the
   * end is read here, else from the broker, which may answer that the end is read here from now on.
   */
  private Outcome next(long timeoutMillis, boolean peek) throws InterruptedException {
    DirectInbox direct = calls.directInbox();
    if (direct == null) {
      return calls.invoke(BrokerCalls.Call.get(timeoutMillis, peek));
    }
    long deadline = System.nanoTime() + Math.max(0, timeoutMillis) * 1_000_000;
    while (true) {
      long left = timeoutMillis < 0 ? -1 : Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
      Outcome outcome;
      if (direct.isActive()) {
        outcome = direct.take(left, peek);
      } else {
        int handOns = direct.awaitHandedOn();
        outcome = calls.invoke(BrokerCalls.Call.getDirectOk(left, peek));
        if (outcome == Outcome.Status.DIRECT_READER) {
          direct.activate(handOns);
          outcome = null;
        }
      }
      if (outcome != null) {
        return outcome;
      }
    }
  }

  /**
   * How many messages sent on this end's pipe passed through its broker, for a handle in the process
   * that holds the broker (-1 elsewhere): messages a reader takes directly from its writers do not.
   */
  public long relayedByBroker() {
    return calls instanceof BrokerCalls.Local local ? local.relayed() : -1;
  }

  /**
   * The bytes of the messages sent to this end and held by its broker, not yet received, for a handle
   * in the process that holds the broker (-1 elsewhere).
   */
  public long heldByBroker() {
    return calls instanceof BrokerCalls.Local local ? local.heldBytes() : -1;
  }

  /** The end's name, e.g. {@code Pipe-1/2} for the second end of the context's first pipe. */
  public String name() {
    return name;
  }

  private void post(Payload payload) {
    Outcome outcome = calls.post(BrokerCalls.Call.put(payload, -1));
    if (outcome == Outcome.Status.CLOSED) {
      throw new PipeClosedException("the other end of " + name + " is closed: nothing can receive this message",
          new IOException("broken pipe"));
    }
    if (outcome != Outcome.Status.DONE) {
      throw unexpected(outcome);
    }
  }

  private void checkWritable() {
    checkOpen();
    if (!writable()) {
      throw new IllegalStateException(name + " is the receiving end of a one-way pipe: it cannot send");
    }
  }

  private void checkReadable() {
    checkOpen();
    if (!readable()) {
      throw new IllegalStateException(name + " is the sending end of a one-way pipe: it cannot receive");
    }
  }

  private void checkOpen() {
    if (calls.isLost()) {
      throw new IllegalStateException(name + " is gone: the Multiprocessing context that made its pipe was closed"
          + " or its process exited");
    }
    if (calls.isClosed()) {
      throw new IllegalStateException(name + " is closed");
    }
  }

  private IllegalStateException unexpected(Outcome outcome) {
    if (outcome instanceof Outcome.Refused refused) {
      return new IllegalStateException(name + ": " + refused.message());
    }
    return new IllegalStateException(name + ": unexpected answer " + outcome);
  }

  /** Serializing registers a copy that holds the end open until the receiving process claims it. */
  private Object writeReplace() throws ObjectStreamException {
    if (calls.isClosed()) {
      throw new InvalidObjectException(name + " is closed: a closed connection cannot travel");
    }
    long copyId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    calls.copy(end, copyId, false);
    BrokerCalls registeredOn = calls;
    EndCopies.registered(() -> registeredOn.copy(end, copyId, true));
    return new SerialForm(endpoint, name, end, duplex, maxMessageBytes, maxBufferedBytes, copyId);
  }

  /** A pipe end in flight: resolves to this process's attachment to the end. */
  private record SerialForm(Endpoint endpoint, String name, int end, boolean duplex, int maxMessageBytes,
      long maxBufferedBytes, long copyId) implements Serializable {
    private static final long serialVersionUID = 1L;

    private Object readResolve() throws ObjectStreamException {
      String key = HandleTable.key(endpoint, end);
      try {
        BrokerCalls calls = HandleTable.findOrOpen(key,
            () -> RemoteCalls.connect(endpoint, maxMessageBytes, maxBufferedBytes, end, copyId, Outcome.Status.CLOSED),
            held -> held.copy(end, copyId, true));
        return new PipeHandle(endpoint, name, end, duplex, maxMessageBytes, maxBufferedBytes, calls);
      } catch (IOException e) {
        InvalidObjectException failure = new InvalidObjectException(
            "cannot reach the parent process that holds " + name + ": " + e.getMessage());
        failure.initCause(e);
        throw failure;
      }
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
