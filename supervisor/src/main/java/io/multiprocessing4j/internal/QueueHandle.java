package io.multiprocessing4j.internal;

import io.multiprocessing4j.QueueEmptyException;
import io.multiprocessing4j.QueueFullException;
import io.multiprocessing4j.proto.ChannelCall;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.Endpoint;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;

/**
 * The travelling part of a {@code Queue}, {@code SimpleQueue} or {@code JoinableQueue}: where its
 * broker is and its limits. In whatever process it is used it resolves, once per process, to the
 * {@link BrokerCalls} of that process ({@link HandleTable}); in the parent that is a direct call into
 * the {@link QueueBroker}, elsewhere a connection made on first use. Turns the broker's answers into the
 * public exceptions.
 */
public final class QueueHandle implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Outcome LOST = new Outcome.Refused(
      "the queue is gone: its Multiprocessing context was closed or the parent process exited");

  private final Endpoint endpoint;
  private final String name;
  private final int maxsize;
  private final int maxMessageBytes;
  private transient volatile BrokerCalls calls;

  private QueueHandle(Endpoint endpoint, String name, int maxsize, int maxMessageBytes) {
    this.endpoint = endpoint;
    this.name = name;
    this.maxsize = maxsize;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** The parent's handle of a new broker; it calls the broker directly. */
  public static QueueHandle of(QueueBroker broker, int maxsize) {
    QueueHandle handle = new QueueHandle(broker.endpoint(), broker.name(), maxsize, broker.maxMessageBytes);
    BrokerCalls local = new BrokerCalls.Local(broker, broker.local());
    handle.calls = local;
    HandleTable.register(HandleTable.key(broker.endpoint(), -1), local);
    return handle;
  }

  /** The queue's name, e.g. {@code Queue-1}. */
  public String name() {
    return name;
  }

  /** The most items the queue holds at once; 0 when unbounded. */
  public int maxsize() {
    return maxsize;
  }

  /**
   * Puts an item; see {@code Queue.put} for the contract.
   *
   * @param timeoutMillis negative to wait for space for ever, 0 not at all
   */
  public void put(Object item, long timeoutMillis) throws InterruptedException {
    BrokerCalls calls = calls();
    EndCopies copies = new EndCopies();
    Payload payload = ChannelCodec.encode(item, maxMessageBytes, calls.isLocal(), "an item put on " + name, copies);
    Outcome outcome;
    try {
      outcome = maxsize == 0
          ? calls.post(BrokerCalls.Call.put(payload, -1))
          : calls.invoke(BrokerCalls.Call.put(payload, timeoutMillis));
    } catch (InterruptedException e) {
      copies.release();
      throw e;
    }
    if (outcome != Outcome.Status.DONE) {
      // Not put: pipe ends the item carries are not held open by it.
      copies.release();
    }
    if (outcome == Outcome.Status.FULL) {
      throw new QueueFullException(name + " is full (maxsize " + maxsize + ")");
    }
    expect(outcome, Outcome.Status.DONE);
  }

  /**
   * Takes the next item; see {@code Queue.get} for the contract.
   *
   * @param timeoutMillis negative to wait for an item for ever, 0 not at all
   */
  public Object get(long timeoutMillis) throws InterruptedException {
    BrokerCalls calls = calls();
    Outcome outcome = calls.invoke(BrokerCalls.Call.get(timeoutMillis, false));
    if (outcome instanceof Outcome.Item item) {
      return ChannelCodec.decode(item.payload());
    }
    if (outcome == Outcome.Status.EMPTY) {
      throw new QueueEmptyException(name + " is empty");
    }
    throw unexpected(outcome);
  }

  /** The number of items in the queue now. */
  public long size() {
    try {
      Outcome outcome = calls().invoke(BrokerCalls.Call.call(ChannelCall.Kind.SIZE));
      if (outcome instanceof Outcome.Count count) {
        return count.value();
      }
      throw unexpected(outcome);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking the size of " + name, e);
    }
  }

  /** Whether the queue is at its maxsize now (never, for an unbounded one). */
  public boolean isFull() {
    return maxsize > 0 && size() >= maxsize;
  }

  /**
   * Marks one task done and returns once the broker has accepted the mark: in the parent a method call,
   * from a child a round trip. The mark is never posted without waiting: whether it is one too many
   * depends on what every process has marked (another one may have marked the item this process took),
   * so only the broker can tell, and the caller must hear it, as Python raises ValueError in the caller.
   */
  public void taskDone() {
    BrokerCalls calls = calls();
    BrokerCalls.Call call = BrokerCalls.Call.call(ChannelCall.Kind.TASK_DONE);
    if (calls.isLocal()) {
      // Applied before post returns, refusal included.
      expect(calls.post(call), Outcome.Status.DONE);
      return;
    }
    try {
      expect(calls.invoke(call), Outcome.Status.DONE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while marking a task of " + name + " done", e);
    }
  }

  /** Waits until every item ever put has been marked done. */
  public void join() throws InterruptedException {
    expect(calls().invoke(BrokerCalls.Call.call(ChannelCall.Kind.JOIN)), Outcome.Status.DONE);
  }

  /** Waits until the broker has handled every call this process made before. */
  public void sync() throws InterruptedException {
    expect(calls().invoke(BrokerCalls.Call.call(ChannelCall.Kind.SYNC)), Outcome.Status.DONE);
  }

  private BrokerCalls calls() {
    BrokerCalls resolved = calls;
    if (resolved == null) {
      String key = HandleTable.key(endpoint, -1);
      try {
        resolved = HandleTable.findOrOpen(key,
            () -> RemoteCalls.connect(endpoint, maxMessageBytes, -1, 0, LOST), found -> { });
      } catch (IOException e) {
        throw new UncheckedIOException("cannot reach " + name + " in its parent process: " + e.getMessage(), e);
      }
      calls = resolved;
    }
    return resolved;
  }

  private void expect(Outcome outcome, Outcome expected) {
    if (outcome != expected) {
      throw unexpected(outcome);
    }
  }

  private IllegalStateException unexpected(Outcome outcome) {
    if (outcome instanceof Outcome.Refused refused) {
      return new IllegalStateException(refused.message());
    }
    return new IllegalStateException(name + ": unexpected answer " + outcome);
  }

  @Override
  public String toString() {
    return name;
  }
}
