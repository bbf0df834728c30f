package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.FrameLink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A handle's calls to a broker in another process (or in this one, for a handle that travelled back to
 * the parent): one authenticated connection per handle per process, made through the handle's
 * {@link Endpoint}. Any thread may call; frames are written whole (see {@link FrameChannel}), and one
 * reader thread completes the waiting calls with the broker's answers.
 *
 * <p>Posts (unbounded puts, pipe sends), gets and the items that answer them go through two
 * shared-memory rings ({@link ClientRings}) once the broker, asked on the first post or get, has mapped
 * them; their files are deleted as soon as the broker answered (both processes keep their mappings), so
 * no file outlives that round trip, whatever happens to either process later. If the broker cannot map
 * them (it runs on another host) or {@code -Dmultiprocessing4j.channelRings=false} is set, everything
 * stays frames on the connection. The first post or get waits for the broker's answer, without a time
 * limit: the broker answers in order, and a lost connection answers it too, so both sides always agree
 * on whether the rings are in use.
 */
final class RemoteCalls extends BrokerCalls {
  private static final AtomicLong CONNECTIONS = new AtomicLong();
  private static final boolean RINGS = !"false".equals(System.getProperty("multiprocessing4j.channelRings"));

  private final FrameLink<Frame> channel;
  private final ConcurrentHashMap<Long, CompletableFuture<Outcome>> answers = new ConcurrentHashMap<>();
  private final Outcome whenLost;
  /** A refusal (or CLOSED) the broker reported for a posted call; later posts get it too. */
  private volatile Outcome notice;
  private volatile boolean closed;
  private volatile ClientRings rings;
  private volatile boolean ringless;
  private final int maxMessageBytes;
  /** Pipe: how many bytes of unreceived messages this process takes in while it reads its end directly. */
  private final long maxBufferedBytes;
  /** Pipe, sending end: the ring to the other end's direct reader. */
  private final DirectRoute route = new DirectRoute();
  /** Pipe, receiving end: where this process reads the end directly, once it asked to. */
  private volatile DirectInbox inbox;

  private RemoteCalls(FrameLink<Frame> channel, Outcome whenLost, int maxMessageBytes, long maxBufferedBytes) {
    this.channel = channel;
    this.whenLost = whenLost;
    this.maxMessageBytes = maxMessageBytes;
    this.maxBufferedBytes = maxBufferedBytes;
  }

  /**
   * Connects to a broker. For a pipe end ({@code end} 0 or 1) the first frame attaches this process to
   * that end, claiming the copy id the handle carried.
   *
   * @param whenLost the answer to every call once the connection is lost (the broker's context closed or
   *     the parent exited)
   * @throws IOException if the broker cannot be reached
   */
  static RemoteCalls connect(Endpoint endpoint, int maxMessageBytes, int end, long claimedCopy, Outcome whenLost)
      throws IOException {
    return connect(endpoint, maxMessageBytes, Long.MAX_VALUE, end, claimedCopy, whenLost);
  }

  /**
   * Connects a pipe end to its broker ({@link #connect(Endpoint, int, int, long, Outcome)}).
   *
   * @param maxBufferedBytes the pipe's limit on unreceived messages held by an end, which this process
   *     keeps while it reads the end directly ({@link DirectInbox})
   */
  static RemoteCalls connect(Endpoint endpoint, int maxMessageBytes, long maxBufferedBytes, int end, long claimedCopy,
      Outcome whenLost) throws IOException {
    FrameLink<Frame> channel = link(endpoint, ChannelCodec.frameLimit(maxMessageBytes));
    try {
      RemoteCalls calls = new RemoteCalls(channel, whenLost, maxMessageBytes, maxBufferedBytes);
      if (end >= 0) {
        channel.send(ChannelCodec.attach(end, claimedCopy));
      }
      channel.receive("multiprocessing4j-channel-" + CONNECTIONS.incrementAndGet(),
          calls::onFrame, cause -> calls.onLost());
      return calls;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * The connection to the broker at {@code endpoint}: relayed over Pekko remoting when this JVM reached
   * the broker's context through {@code Multiprocessing.connect} (it runs on another machine, and
   * everything stays frames: no rings, no direct reading), otherwise its local socket.
   */
  private static FrameLink<Frame> link(Endpoint endpoint, int frameLimit) throws IOException {
    RemotePeer peer = RemotePeer.forContext(endpoint.socketPath());
    if (peer != null) {
      return peer.open(endpoint, frameLimit);
    }
    FrameChannel<Frame> socket = endpoint.connect();
    socket.setMaxFrameBytes(frameLimit);
    return socket;
  }

  @Override
  Outcome start(long requestId, Call call) {
    ClientRings viaRing = call.kind() == Call.Kind.GET ? rings() : null;
    if (viaRing != null) {
      Payload get = ChannelCodec.getRecord(requestId, call.timeoutMillis(), call.peek(), call.directOk());
      // Not behind posts the broker holds back (a pipe end full): they may wait for this very get. So
      // not behind a send of another thread that waits for room either, in case the broker holds back.
      long pause = 10_000;
      while (!viaRing.posts.isHeld()) {
        if (viaRing.posts.tryWrite(get, 0)) {
          return null;
        }
        if (isClosed()) {
          return whenLost;
        }
        LockSupport.parkNanos(pause);
        pause = Math.min(2 * pause, 1_000_000);
      }
    }
    return send(frame(requestId, call)) ? null : whenLost;
  }

  @Override
  Outcome post(Call call) {
    Outcome refused = notice;
    if (refused != null) {
      return refused;
    }
    ClientRings posts = call.kind() == Call.Kind.PUT ? rings() : null;
    if (posts != null) {
      Outcome direct = route.send(call.item(), this::offer, () -> isClosed() || notice != null, whenLost);
      if (direct != null) {
        Outcome closedMeanwhile = notice;
        return direct == Outcome.Status.DONE || closedMeanwhile == null ? direct : closedMeanwhile;
      }
      return posts.posts.write(call.item(), 0, this::isClosed) ? Outcome.Status.DONE : whenLost;
    }
    try {
      channel.post(frame(0, call));
      return Outcome.Status.DONE;
    } catch (IOException e) {
      channel.close();
      return whenLost;
    }
  }

  @Override
  void beforeWait(Call call, CompletableFuture<Outcome> answer) throws InterruptedException {
    ClientRings replies = rings;
    if (call.kind() == Call.Kind.GET && !call.peek() && replies != null) {
      // An item comes through the ring; any other answer (EMPTY, CLOSED, a refusal) as a frame, which
      // completes the answer and rings this process's doorbell too (see onFrame).
      replies.await(answer);
    }
  }

  @Override
  Outcome awaitWithdrawn(Call call, CompletableFuture<Outcome> answer) {
    boolean interrupted = false;
    while (true) {
      try {
        beforeWait(call, answer);
        break;
      } catch (InterruptedException again) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return answer.join();
  }

  /** Offers the broker a ring to the other end's direct reader; returns its answer. */
  private Outcome offer(String path) {
    long requestId = nextRequestId();
    CompletableFuture<Outcome> answer = answerOf(requestId);
    return send(ChannelCodec.directOffer(requestId, path)) ? answer.join() : whenLost;
  }

  @Override
  DirectInbox directInbox() {
    DirectInbox opened = inbox;
    if (opened != null) {
      return opened;
    }
    ClientRings both = rings();
    if (both == null) {
      return null;
    }
    synchronized (this) {
      if (inbox == null) {
        inbox = new DirectInbox(both.replies, both, maxMessageBytes, maxBufferedBytes);
        both.pushTo(inbox);
      }
      return inbox;
    }
  }

  /** This connection's rings, opened on first use; null when everything goes on the connection. */
  private ClientRings rings() {
    ClientRings opened = rings;
    if (opened != null || ringless) {
      return opened;
    }
    synchronized (this) {
      if (rings == null && !ringless) {
        rings = RINGS && channel instanceof FrameChannel ? openRings() : null;
        ringless = rings == null;
      }
      return rings;
    }
  }

  private ClientRings openRings() {
    Path postsPath = ringPath();
    Path repliesPath = ringPath();
    try {
      ClientRings created = new ClientRings(PostRing.create(postsPath, PostRing.POSTS_CAPACITY),
          PostRing.create(repliesPath, PostRing.REPLIES_CAPACITY), this::answered);
      long requestId = nextRequestId();
      CompletableFuture<Outcome> answer = answerOf(requestId);
      if (!send(ChannelCodec.ring(requestId, postsPath.toString(), repliesPath.toString()))
          || answer.join() != Outcome.Status.DONE) {
        return null;
      }
      return created;
    } catch (IOException | RuntimeException e) {
      return null;
    } finally {
      deleteQuietly(postsPath);
      deleteQuietly(repliesPath);
    }
  }

  private static Path ringPath() {
    return BlockStore.defaultDirectory().resolve(BlockStore.FILE_PREFIX + ProcessIdentity.PID + "-ring-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong()));
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // Left for the sweep of blocks whose creator is dead.
    }
  }

  @Override
  CompletableFuture<Outcome> answerOf(long requestId) {
    CompletableFuture<Outcome> answer = answers.computeIfAbsent(requestId, id -> new CompletableFuture<>());
    answer.whenComplete((outcome, error) -> answers.remove(requestId));
    if (channel.isClosed()) {
      answer.complete(whenLost);
    }
    return answer;
  }

  @Override
  void withdraw(long requestId) {
    send(ChannelCodec.cancel(requestId));
  }

  @Override
  void copy(int end, long copyId, boolean released) {
    DirectInbox reading = inbox;
    if (released || reading == null) {
      send(ChannelCodec.copy(end, copyId, released));
      return;
    }
    // The end may be read here: reading here stops before the copy holds it open too.
    reading.handOn(() -> {
      long requestId = nextRequestId();
      CompletableFuture<Outcome> answer = answerOf(requestId);
      return send(ChannelCodec.stopDirect(requestId)) ? answer : CompletableFuture.completedFuture(whenLost);
    }, item -> send(ChannelCodec.put(0, item, -1, true)), () -> send(ChannelCodec.copy(end, copyId, false)));
  }

  @Override
  boolean isClosed() {
    return closed || channel.isClosed();
  }

  @Override
  boolean isLost() {
    return !closed && channel.isClosed();
  }

  @Override
  void close() {
    closed = true;
    DirectInbox reading = inbox;
    if (reading != null) {
      reading.close();
    }
    try {
      channel.flush();
    } catch (IOException e) {
      // The broker is gone; what was queued cannot be delivered.
    }
    channel.close();
  }

  private static Frame frame(long requestId, Call call) {
    switch (call.kind()) {
      case PUT:
        return ChannelCodec.put(requestId, call.item(), call.timeoutMillis(), false);
      case GET:
        return ChannelCodec.get(requestId, call.timeoutMillis(), call.peek(), call.directOk());
      default:
        return ChannelCodec.call(requestId, call.call());
    }
  }

  /** Sends a frame; false when the connection is lost (every waiting call is then answered whenLost). */
  private boolean send(Frame frame) {
    try {
      channel.send(frame);
      return true;
    } catch (IOException e) {
      channel.close();
      return false;
    }
  }

  private void onFrame(Frame frame) {
    if (!frame.hasChannelReply()) {
      return;
    }
    long requestId = frame.getChannelReply().getRequestId();
    Outcome outcome = ChannelCodec.outcome(frame.getChannelReply());
    if (requestId == 0 && outcome == Outcome.Status.DIRECT_ROUTE) {
      route.routeAvailable();
    } else if (requestId == 0) {
      notice = outcome;
    } else {
      answeredByFrame(requestId, outcome);
    }
  }

  private void answered(long requestId, Outcome outcome) {
    answers.computeIfAbsent(requestId, id -> new CompletableFuture<>()).complete(outcome);
  }

  /** An answer frame: completed, and a caller asleep on the replies ring is woken to see it. */
  private void answeredByFrame(long requestId, Outcome outcome) {
    answered(requestId, outcome);
    ClientRings opened = rings;
    if (opened != null) {
      opened.replies.wake();
    }
  }

  private void onLost() {
    DirectInbox reading = inbox;
    if (reading != null) {
      reading.lost();
    }
    ClientRings opened = rings;
    if (opened != null) {
      // Items the broker sent before the connection ended still reach their callers.
      opened.lost();
    }
    answers.values().forEach(answer -> answer.complete(whenLost));
  }
}
