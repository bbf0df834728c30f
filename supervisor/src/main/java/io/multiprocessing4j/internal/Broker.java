package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.ChannelCall;
import io.multiprocessing4j.proto.ChannelRequest;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The parent-side home of one pipe or queue: it holds the items, in memory, and serves every handle of
 * it, in the parent directly and in any child through an {@link Endpoint} of the context's
 * {@link ChannelServer}.
 *
 * <p>Why a lock and not an actor: every call is a few deque operations, and on a two-core machine the
 * cost that matters is waking threads. With the state behind one lock, a get in the parent takes an item
 * on the caller's own thread, and a frame from a child is applied by the reader thread that parsed it;
 * an actor would add a hand-off (a mailbox and a dispatcher wake-up) to each of them. Answers are
 * decided under the lock and delivered after it is released ({@link Answers}), so no socket write and no
 * wake-up ever happens while the lock is held. Timeouts run on the context's Pekko scheduler.
 *
 * <p>A client on this host posts (unbounded puts, pipe sends) through a shared-memory {@link PostRing}
 * instead of its connection, once the broker has accepted the ring ({@link RingIntake} takes them in,
 * in order with the connection's frames); a client elsewhere, or one whose ring could not be mapped,
 * keeps posting on the connection. A pipe bounds what it holds per end ({@link #takesPostsOf}): past
 * its limit, posts are left in their ring and put frames wait, and so do the parent's own sends.
 */
abstract class Broker implements AutoCloseable {
  /** Runs a task after a delay; returns what cancels it (the context's Pekko scheduler). */
  interface Delays {
    Runnable after(long millis, Runnable task);
  }

  /** How long a client whose connection ended may take to exit before its unread replies are left to it. */
  private static final long DYING_MILLIS = 200;
  /** How long a get that will not wait lets another thread finish draining a ring it wants drained. */
  private static final long OTHERS_DRAIN_WAIT_NANOS = 10_000_000;
  /** Whether this thread is taking in other clients' posts for a get that does not wait. */
  private static final ThreadLocal<Boolean> TAKING_OTHERS_POSTS = ThreadLocal.withInitial(() -> false);

  final ReentrantLock lock = new ReentrantLock();
  private final ChannelServer server;
  private final Delays delays;
  private final Endpoint endpoint;
  private final String name;
  final int maxMessageBytes;
  private final Set<BrokerClient.Remote> remotes = new HashSet<>();
  /** The rings of the connected clients that post through one. */
  private final List<RingIntake> rings = new CopyOnWriteArrayList<>();
  /** Guarded by {@link #lock}. */
  boolean closed;

  Broker(ChannelServer server, Delays delays, int maxMessageBytes, String name) {
    this.server = server;
    this.delays = delays;
    this.maxMessageBytes = maxMessageBytes;
    this.name = name;
    this.endpoint = server.openEndpoint(this::admit);
  }

  Endpoint endpoint() {
    return endpoint;
  }

  /** Why every call fails once {@link #close()} ran: said once here, for the queue and pipe brokers alike. */
  String closedReason() {
    return name + " is closed: its Multiprocessing context was closed";
  }

  String name() {
    return name;
  }

  abstract Outcome put(BrokerClient client, long requestId, Payload item, long timeoutMillis, boolean returned);

  abstract Outcome get(BrokerClient client, long requestId, long timeoutMillis, boolean peek);

  /**
   * A get by the parent's own handle. When the broker holds no item for it, it first takes what clients
   * have posted through their rings, on this thread, so an item already there costs no wake-up; if it
   * then has to wait, the caller waits in {@link #awaitLocal}. When the broker does hold one, the rings
   * are left alone: a writer faster than this reader then waits for ring space, as it would on an OS
   * pipe, instead of piling its stream up in this JVM's heap, where every young collection would copy it
   * (tens of MB of 64 KiB messages made pauses of tens of ms, and G1 answers long pauses by growing the
   * heap, whose fresh pages cost a fault each on first use).
   */
  final Outcome getLocal(BrokerClient client, long requestId, long timeoutMillis, boolean peek) {
    boolean drain = !holdsItemFor(client);
    for (RingIntake ring : rings) {
      ring.localGet();
      if (drain && ring.hasData()) {
        ring.drainForGetter();
      }
    }
    return get(client, requestId, timeoutMillis, peek);
  }

  /** Whether a get by {@code client} would find an item without waiting. */
  abstract boolean holdsItemFor(BrokerClient client);

  /**
   * Whether a post (a pipe send) of {@code client} may be taken in now: false while the pipe end it
   * feeds holds as much as it may ({@link PipeBroker}). Asked without the lock. Queues bound their
   * puts by their maximum size instead: always true.
   */
  boolean takesPostsOf(BrokerClient client) {
    return true;
  }

  /**
   * Waits until {@link #takesPostsOf} {@code client}, the end it feeds or this broker closes, or
   * {@code giveUp} holds (asked now and then, without the lock). An interrupt does not end the wait:
   * the thread's interrupt status is set again when it returns. Returns at once for queues.
   */
  void awaitRoomFor(BrokerClient client, BooleanSupplier giveUp) {
    // Queues never hold a post back.
  }

  /**
   * Waits for the answer of a parent getter that had to wait, draining a client's ring meanwhile (the
   * other rings' drainers, or whoever else answers it, wake it). Returns at once when no client posts
   * through a ring.
   */
  final void awaitLocal(CompletableFuture<Outcome> answer) throws InterruptedException {
    RingIntake waitedOn = null;
    for (RingIntake ring : rings) {
      if (waitedOn == null) {
        waitedOn = ring;
      } else {
        ring.handBack();
      }
    }
    if (waitedOn != null) {
      waitedOn.await(answer);
    }
  }

  /** Withdraws a waiting call; its answer (EMPTY, FULL, DONE, or the item it already had) is delivered. */
  abstract void cancel(BrokerClient client, long requestId);

  abstract Outcome call(BrokerClient client, long requestId, ChannelCall.Kind kind);

  /** A get that lets the broker make the client its pipe end's direct reader; a queue's is a plain get. */
  Outcome directGet(BrokerClient.Remote client, long requestId, long timeoutMillis, boolean peek) {
    return get(client, requestId, timeoutMillis, peek);
  }

  /** A pipe's sending end offers a ring to the direct reader of the other end; refused by queues. */
  Outcome directOffer(BrokerClient.Remote client, String path) {
    return new Outcome.Refused(name + " is not a pipe");
  }

  /** A pipe end's direct reader stops reading directly; refused by queues. */
  Outcome stopDirect(BrokerClient.Remote client) {
    return new Outcome.Refused(name + " is not a pipe");
  }

  /** Told after a client's rings are mapped, before the client hears so: a notice may precede the answer. */
  void ringsAttached(BrokerClient.Remote client) {
    // Only pipes tell a sending end anything here.
  }

  /** A pipe end's connection says which end it holds; refused by queues. */
  Outcome attach(BrokerClient.Remote client, int end, long claimedCopy) {
    return new Outcome.Refused(name + " is not a pipe");
  }

  /** A copy of a pipe end was serialized or released; refused by queues. */
  Outcome copy(int end, long copyId, boolean released) {
    return new Outcome.Refused(name + " is not a pipe");
  }

  /** A client's connection ended (its process closed the handle or exited). Called with the lock held. */
  abstract void disconnected(BrokerClient.Remote client, Answers answers);

  /** The context is closing: answer every waiting call with a refusal. Called with the lock held. */
  abstract void refuseAll(String reason, Answers answers);

  /** Runs {@code operation} under the lock and delivers the answers it decided once the lock is released. */
  final <T> T locked(Function<Answers, T> operation) {
    Answers answers = new Answers();
    T result;
    lock.lock();
    try {
      result = operation.apply(answers);
    } finally {
      lock.unlock();
    }
    answers.deliver();
    return result;
  }

  /** The timer of the waiters of {@code queue}: on expiry the waiter is answered EMPTY or FULL. */
  final ItemQueue.Timer timer() {
    return (queue, waiter, millis) -> delays.after(millis, () -> locked(answers -> {
      queue.expire(waiter, answers);
      return null;
    }));
  }

  private void admit(FrameChannel<Frame> channel) {
    channel.setMaxFrameBytes(ChannelCodec.frameLimit(maxMessageBytes));
    BrokerClient.Remote client = new BrokerClient.Remote(channel, this::takeBack);
    boolean admitted = locked(answers -> !closed && remotes.add(client));
    if (!admitted) {
      channel.close();
      return;
    }
    channel.startReader("multiprocessing4j-" + name + "-reader",
        frame -> onFrame(client, frame),
        cause -> {
          RingIntake ring = client.ring;
          if (ring != null) {
            // What the process posted before its connection ended is delivered before its end is handled.
            ring.stop();
            ring.drainEverything();
            rings.remove(ring);
            takeBackUnread(client);
          }
          locked(answers -> {
            if (remotes.remove(client)) {
              disconnected(client, answers);
            }
            return null;
          });
        });
  }

  /**
   * A client on this host asks to post through the ring it created at {@code path} and, if
   * {@code repliesPath} is not empty, to be sent the items that answer its gets through that one.
   */
  private Outcome attachRing(BrokerClient.Remote client, String path, String repliesPath) {
    if (client.ring != null) {
      return new Outcome.Refused("this connection posts through a ring already");
    }
    PostRing ring;
    PostRing replies;
    try {
      ring = openRing(path);
      replies = repliesPath.isEmpty() ? null : openRing(repliesPath);
    } catch (IOException | RuntimeException e) {
      return new Outcome.Refused("cannot map the rings " + path + ", " + repliesPath + ": " + e.getMessage());
    }
    RingIntake intake = new RingIntake(this, client, ring);
    client.replies = replies;
    client.ring = intake;
    rings.add(intake);
    intake.start("multiprocessing4j-" + name + "-ring");
    ringsAttached(client);
    return Outcome.Status.DONE;
  }

  /**
   * Items sent through the replies ring of a client that died before reading them go back to the head
   * of the queue, as items whose answer frame could not be written do. Only once the process is dead:
   * a live one that closed its handle reads its ring itself.
   */
  private void takeBackUnread(BrokerClient.Remote client) {
    PostRing replies = client.replies;
    if (replies == null || !replies.hasData() || !replies.creatorDied(DYING_MILLIS)) {
      return;
    }
    replies.drain(new PostRing.Sink() {
      @Override
      public void message(Payload item, long tag) {
        takeBack(client, item);
      }

      @Override
      public void tooLarge(long bytes) {
        // Never: everything is taken back.
      }
    }, Long.MAX_VALUE);
  }

  private static PostRing openRing(String path) throws IOException {
    Path file = Path.of(path);
    if (!file.getFileName().toString().startsWith(BlockStore.FILE_PREFIX)
        || !BlockStore.defaultDirectory().equals(file.getParent())) {
      throw new IOException(path + " is not a ring of this host's block directory");
    }
    return PostRing.open(file);
  }

  /** Puts back, at the head, an item whose delivery to {@code client} failed (its connection broke). */
  abstract void takeBack(BrokerClient client, Payload item);

  private void onFrame(BrokerClient.Remote client, Frame frame) {
    if (!frame.hasChannelRequest()) {
      client.answer(0, new Outcome.Refused("unexpected frame " + frame.getBodyCase()));
      return;
    }
    RingIntake ring = client.ring;
    ChannelRequest request = frame.getChannelRequest();
    if (ring != null && (request.getOpCase() == ChannelRequest.OpCase.STOP_DIRECT
        || request.getOpCase() == ChannelRequest.OpCase.GET)) {
      // A get sent past the posts held back in the ring (see RingIntake), or a reader handing its end
      // on: the client's sends, to the other end, need not go first, and must not hold these up while
      // they wait for their own reader.
      ring.drain();
    } else if (ring != null) {
      // Posts the client made before this frame are handled before it.
      ring.drainInOrder();
    }
    handle(client, request);
  }

  /** Handles one request of {@code client}, from its connection or its ring. */
  final void handle(BrokerClient.Remote client, ChannelRequest request) {
    long requestId = request.getRequestId();
    Outcome now;
    switch (request.getOpCase()) {
      case PUT:
        Payload item = request.getPut().getItem();
        if (!request.getPut().getReturned()) {
          // A put comes only as a frame: this connection's next frames wait with it (its writer's
          // socket fills up, and its sends block, as posts through a ring do on the full ring).
          awaitRoomFor(client, () -> false);
        }
        now = item.getData().size() > maxMessageBytes
            ? new Outcome.Refused("an item of " + item.getData().size() + " bytes exceeds the maximum of "
                + maxMessageBytes + " bytes")
            : put(client, requestId, item, request.getPut().getTimeoutMillis(), request.getPut().getReturned());
        break;
      case GET:
        if (request.getGet().getTimeoutMillis() == 0) {
          takeOthersPosts(client);
        }
        now = request.getGet().getDirectOk()
            ? directGet(client, requestId, request.getGet().getTimeoutMillis(), request.getGet().getPeek())
            : get(client, requestId, request.getGet().getTimeoutMillis(), request.getGet().getPeek());
        break;
      case DIRECT_OFFER:
        now = directOffer(client, request.getDirectOffer());
        break;
      case STOP_DIRECT:
        now = stopDirect(client);
        break;
      case CANCEL:
        cancel(client, request.getCancel());
        now = null;
        break;
      case CALL:
        now = call(client, requestId, request.getCall().getKind());
        break;
      case ATTACH:
        now = attach(client, request.getAttach().getEnd(), request.getAttach().getClaimedCopy());
        break;
      case RING:
        now = attachRing(client, request.getRing().getPath(), request.getRing().getReplyPath());
        break;
      case COPY:
        now = copy(request.getCopy().getEnd(), request.getCopy().getCopyId(), request.getCopy().getReleased());
        break;
      default:
        now = new Outcome.Refused("unknown request " + request.getOpCase());
    }
    if (now != null) {
      client.answer(requestId, now);
    }
  }

  /**
   * Before a get from a child that will not wait ({@code poll()}, {@code getNowait()}) and finds nothing
   * held for it: what other processes posted through their rings is taken in first, as the parent's own
   * getters do ({@link #getLocal}), so that a message another process sent before (and then told this
   * one so) is seen, as one written to an OS pipe is. Without this, a poll() after such a send answered
   * false now and then, and a reader polling until nothing is left lost the stream's last messages.
   */
  private void takeOthersPosts(BrokerClient.Remote client) {
    if (TAKING_OTHERS_POSTS.get() || holdsItemFor(client)) {
      // Such a get found in one of those rings is answered with what the broker holds: drains do not nest.
      return;
    }
    TAKING_OTHERS_POSTS.set(true);
    try {
      for (RingIntake ring : rings) {
        if (ring != client.ring && ring.hasData()) {
          ring.drainUnlessBusy(OTHERS_DRAIN_WAIT_NANOS);
        }
      }
    } finally {
      TAKING_OTHERS_POSTS.set(false);
    }
  }

  /**
   * Closes the broker with its context: stops admitting connections, refuses every waiting and future
   * call, drops the items, and closes every connection. Idempotent.
   */
  @Override
  public void close() {
    server.closeEndpoint(endpoint);
    List<BrokerClient.Remote> connected = locked(answers -> {
      if (closed) {
        return List.<BrokerClient.Remote>of();
      }
      closed = true;
      refuseAll(closedReason(), answers);
      List<BrokerClient.Remote> all = new ArrayList<>(remotes);
      remotes.clear();
      return all;
    });
    for (BrokerClient.Remote client : connected) {
      client.channel.close();
    }
    for (RingIntake ring : rings) {
      ring.stop();
    }
    rings.clear();
  }
}
