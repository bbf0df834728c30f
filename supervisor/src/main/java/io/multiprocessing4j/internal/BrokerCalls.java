package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.ChannelCall;
import io.multiprocessing4j.proto.Payload;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a handle (a pipe end or a queue) asks its broker, wherever the broker is: {@link Local} calls it
 * directly (the handle is in the parent that holds the broker), {@link RemoteCalls} sends frames over
 * the process's connection to it. One instance per handle per process, shared by the threads that use
 * the handle there.
 *
 * <p>A call the broker cannot answer at once (a blocked get, a put into a full queue, a join) waits for
 * the broker's answer; timeouts are the broker's, so a caller never gives up on an item that is already
 * on its way. An interrupted caller withdraws its call: if the broker had answered it already (an item
 * was taken, a put accepted), that answer stands and is returned with the thread's interrupt status set
 * again; otherwise the caller gets {@link InterruptedException}.
 */
public abstract class BrokerCalls {
  /** One request, as a handle makes it. */
  record Call(Kind kind, Payload item, long timeoutMillis, boolean peek, ChannelCall.Kind call, boolean directOk) {
    enum Kind { PUT, GET, CALL }

    static Call put(Payload item, long timeoutMillis) {
      return new Call(Kind.PUT, item, timeoutMillis, false, null, false);
    }

    static Call get(long timeoutMillis, boolean peek) {
      return new Call(Kind.GET, null, timeoutMillis, peek, null, false);
    }

    /** A pipe get that lets the broker make this process the end's direct reader ({@link DirectInbox}). */
    static Call getDirectOk(long timeoutMillis, boolean peek) {
      return new Call(Kind.GET, null, timeoutMillis, peek, null, true);
    }

    static Call call(ChannelCall.Kind call) {
      return new Call(Kind.CALL, null, 0, false, call, false);
    }
  }

  private final AtomicLong lastRequestId = new AtomicLong();

  /** A new id for a call that waits for its answer. */
  final long nextRequestId() {
    return lastRequestId.incrementAndGet();
  }

  /** Whether the broker is in this JVM (then a payload it is given is kept, not copied onto a socket). */
  boolean isLocal() {
    return this instanceof Local;
  }

  /** Starts call {@code requestId}; returns its answer when known now, else null. */
  abstract Outcome start(long requestId, Call call);

  /** The future answer of a started call that is waiting. */
  abstract CompletableFuture<Outcome> answerOf(long requestId);

  /** Called before a caller parks waiting for {@code answer}: a chance to fetch it on this thread. */
  void beforeWait(Call call, CompletableFuture<Outcome> answer) throws InterruptedException {
    // By default the answer is delivered by whoever decides it.
  }

  /** Waits, without being interrupted, for the answer to a call that was withdrawn. */
  Outcome awaitWithdrawn(Call call, CompletableFuture<Outcome> answer) {
    return answer.join();
  }

  /** Withdraws a waiting call; the broker then answers it promptly. */
  abstract void withdraw(long requestId);

  /** Pipe: a copy of this end was serialized ({@code released} false) or found redundant (true). */
  abstract void copy(int end, long copyId, boolean released);

  /**
   * Pipe: where this process reads its end directly once the broker lets it ({@link DirectInbox}), or
   * null where it cannot (in the parent, on another host, without rings).
   */
  DirectInbox directInbox() {
    return null;
  }

  /** Whether {@link #close()} was called or the connection to the broker is lost. */
  abstract boolean isClosed();

  /**
   * Whether the connection to the broker is lost while this process still held the handle (the
   * broker's context was closed or its process exited), as opposed to closed by {@link #close()}.
   */
  boolean isLost() {
    return false;
  }

  /** Detaches this process's handle from the broker (for a pipe end: this process no longer holds it). */
  abstract void close();

  /**
   * Makes a call and waits for its answer (see the class comment for interrupts).
   *
   * @throws InterruptedException if the thread was interrupted before the broker answered
   */
  final Outcome invoke(Call call) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    long requestId = lastRequestId.incrementAndGet();
    Outcome now = start(requestId, call);
    if (now != null) {
      return now;
    }
    CompletableFuture<Outcome> answer = answerOf(requestId);
    try {
      beforeWait(call, answer);
      return answer.get();
    } catch (InterruptedException e) {
      withdraw(requestId);
      Outcome late = awaitWithdrawn(call, answer);
      if (late == Outcome.Status.EMPTY || late == Outcome.Status.FULL || late instanceof Outcome.Refused) {
        throw e;
      }
      Thread.currentThread().interrupt();
      return late;
    } catch (ExecutionException e) {
      throw new IllegalStateException("broker call failed", e.getCause());
    }
  }

  /**
   * Makes a call whose answer nobody waits for: an unbounded put, a pipe send. In the parent it is
   * applied before this returns; from a child its frame is written to the socket, or (in a stream of
   * posts) queued for the connection's flusher, which writes it before any later call's frame and before
   * the JVM exits normally (see {@link io.multiprocessing4j.wire.FrameChannel#post}); so it is delivered
   * even if this process exits right after. A pipe send waits while the end it feeds holds as much as
   * it may (see {@link PipeBroker}), also when interrupted (the interrupt status is set again when it
   * returns). Returns DONE, or a refusal or CLOSED the broker has reported for an earlier such call.
   */
  abstract Outcome post(Call call);

  /** The parent's own handle of a broker: calls are method calls, answers complete futures. */
  static final class Local extends BrokerCalls {
    private final Broker broker;
    private final BrokerClient.Local client;
    private volatile boolean closed;

    Local(Broker broker, BrokerClient.Local client) {
      this.broker = broker;
      this.client = client;
    }

    @Override
    Outcome start(long requestId, Call call) {
      switch (call.kind()) {
        case PUT:
          return broker.put(client, requestId, call.item(), call.timeoutMillis(), false);
        case GET:
          return broker.getLocal(client, requestId, call.timeoutMillis(), call.peek());
        default:
          return broker.call(client, requestId, call.call());
      }
    }

    @Override
    Outcome post(Call call) {
      if (!broker.takesPostsOf(client)) {
        broker.awaitRoomFor(client, () -> closed);
        if (closed) {
          return new Outcome.Refused("the connection was closed while the send waited for the reader");
        }
      }
      Outcome now = start(0, call);
      return now == null ? Outcome.Status.DONE : now;
    }

    @Override
    CompletableFuture<Outcome> answerOf(long requestId) {
      return client.answerOf(requestId);
    }

    @Override
    void beforeWait(Call call, CompletableFuture<Outcome> answer) throws InterruptedException {
      if (call.kind() == Call.Kind.GET) {
        broker.awaitLocal(answer);
      }
    }

    @Override
    void withdraw(long requestId) {
      broker.cancel(client, requestId);
    }

    @Override
    void copy(int end, long copyId, boolean released) {
      broker.copy(end, copyId, released);
    }

    /** A pipe's count of messages relayed by its broker ({@link PipeBroker#relayed}); -1 for a queue. */
    long relayed() {
      return broker instanceof PipeBroker pipe ? pipe.relayed() : -1;
    }

    /** A pipe end's bytes held by its broker ({@link PipeBroker#heldBytes}); -1 for a queue. */
    long heldBytes() {
      return broker instanceof PipeBroker pipe ? pipe.heldBytes(client.end) : -1;
    }

    @Override
    boolean isClosed() {
      return closed;
    }

    @Override
    void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (broker instanceof PipeBroker pipe) {
        pipe.closeLocal(client.end);
      }
    }
  }
}
