package io.multiprocessing4j.agent;

import io.multiprocessing4j.proto.Bootstrap;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.proto.RunTarget;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Payloads;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The agent inside a child JVM: the child's end of the supervision link. It connects to the parent's
 * channel, proves its identity, receives its target, hands it to the main thread and reports how the
 * target ended, then exits the JVM with Python's exit status. The main thread reports the target's end
 * and exits itself (see {@link AgentExit}); this actor handles the rest of the link: terminate
 * requests, the parent's death, a connection that fails or closes.
 *
 * <p>Orphan rules (the parent died without asking): a daemon child halts at once (see
 * {@link ChildMain}); a non-daemon child that is running its target lets it finish, then exits; an
 * idle one exits immediately. So no child outlives its parent by more than its current target.
 */
final class AgentActor extends AbstractBehavior<AgentActor.Command> {
  sealed interface Command {}

  record Connected(Link link) implements Command {}

  /**
   * The connection to the parent as the connecting thread hands it over. A spawned child's parent sends
   * its RunTarget (or a Terminate) as soon as it has admitted the agent, so that thread reads this first
   * frame, decodes the target and hands it to the main thread at once, while the actor system is still
   * booting: the target does not wait for a boot that only its end (or a terminate) needs.
   *
   * @param first the first frame, or null (a warm agent, which waits for its target, or a read failure,
   *     which the channel's reader then meets again)
   * @param target the first frame's target decoded, or null
   * @param started whether the target was handed to the main thread already
   */
  record Link(FrameChannel<Frame> channel, Frame first, DecodedTarget target, boolean started) {}

  /** A target as decoded from its RunTarget: the runnable, or why it could not be decoded. */
  record DecodedTarget(Runnable target, Throwable failure) {
    static DecodedTarget of(RunTarget run) {
      try {
        return new DecodedTarget((Runnable) Payloads.decode(run.getTarget(), ClassLoader.getSystemClassLoader()), null);
      } catch (Exception | LinkageError e) {
        return new DecodedTarget(null, new IllegalStateException("cannot decode the target in the child: " + e, e));
      }
    }
  }

  record ConnectFailed(Throwable cause) implements Command {}

  /** @param arrivedNanos when the reader took it off the link ({@link System#nanoTime()}) */
  private record FrameIn(Frame frame, long arrivedNanos) implements Command {}

  private record ChannelClosed(Throwable cause) implements Command {}

  private record TargetEnded(Throwable failure) implements Command {}

  private enum TerminateDeadline implements Command { INSTANCE }

  enum ParentGone implements Command { INSTANCE }

  private final Bootstrap bootstrap;
  private final BlockingQueue<Runnable> mainThreadWork;
  private final Thread mainThread;
  private final AgentExit exit;
  private boolean targetStarted;
  /** A terminate was handled: a second one changes nothing. */
  private boolean terminateHandled;
  /** Whether {@link Connected} arrived: only then is it known whether the target started early. */
  private boolean connected;

  /**
   * @param mainThread the thread that takes work from {@code mainThreadWork}: it runs the target and is
   *     the one interrupted on terminate
   */
  static Behavior<Command> create(Bootstrap bootstrap, Thread mainThread, BlockingQueue<Runnable> mainThreadWork,
      AgentExit exit) {
    return Behaviors.setup(context -> new AgentActor(context, bootstrap, mainThread, mainThreadWork, exit));
  }

  private AgentActor(ActorContext<Command> context, Bootstrap bootstrap, Thread mainThread,
      BlockingQueue<Runnable> mainThreadWork, AgentExit exit) {
    super(context);
    this.exit = exit;
    this.mainThread = mainThread;
    this.bootstrap = bootstrap;
    this.mainThreadWork = mainThreadWork;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Connected.class, this::onConnected)
        .onMessage(ConnectFailed.class, this::onConnectFailed)
        .onMessage(FrameIn.class, this::onFrame)
        .onMessage(ChannelClosed.class, this::onChannelClosed)
        .onMessage(TargetEnded.class, this::onTargetEnded)
        .onMessage(TerminateDeadline.class, deadline -> exitTerminated())
        .onMessageEquals(ParentGone.INSTANCE, this::onParentGone)
        .build();
  }

  /**
   * Connects to the parent, proves this child's identity and, unless this is a warm agent, reads the
   * first frame, decodes its target and queues it for the main thread (see {@link Link}); runs while
   * the actor system boots, or before it does. Then delivers {@link Connected} to {@code inbox} (asking
   * for the actor unless the target is running) and starts the link's reader, which delivers every
   * later frame there.
   */
  static void connect(Bootstrap bootstrap, Thread mainThread, BlockingQueue<Runnable> mainThreadWork, AgentExit exit,
      AgentInbox inbox) {
    Link link = link(bootstrap, mainThreadWork, exit);
    if (link.started()) {
      inbox.deliver(new Connected(link));
    } else {
      inbox.urgent(new Connected(link));
    }
    link.channel().startReader("multiprocessing4j-agent-reader",
        frame -> {
          if (link.started() && frame.getBodyCase() == Frame.BodyCase.TERMINATE) {
            // The actor may not exist yet, and booting it takes long on a loaded machine: the target
            // learns of the terminate now, and its deadline runs from now, whenever the actor runs.
            exit.terminateTarget(mainThread, Duration.ofMillis(frame.getTerminate().getGraceMillis()).dividedBy(2));
          }
          inbox.urgent(new FrameIn(frame, System.nanoTime()));
        },
        cause -> inbox.urgent(new ChannelClosed(cause)));
  }

  private static Link link(Bootstrap bootstrap, BlockingQueue<Runnable> mainThreadWork, AgentExit exit) {
    Endpoint parent = new Endpoint(bootstrap.getSocketPath(), bootstrap.getChildId(), bootstrap.getChildKey().toByteArray());
    FrameChannel<Frame> channel;
    try {
      channel = parent.connect();
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach the parent at " + bootstrap.getSocketPath() + ": " + e.getMessage(), e);
    }
    exit.attach(channel);
    // A target may end the JVM with System.exit itself: blocked readers would hold that exit up, and
    // the library's exit work must run then too.
    exit.hookTargetsOwnExit();
    if (bootstrap.getWarm()) {
      return new Link(channel, null, null, false);
    }
    Frame first;
    try {
      first = channel.read();
    } catch (IOException e) {
      return new Link(channel, null, null, false);
    }
    if (!first.hasRunTarget()) {
      return new Link(channel, first, null, false);
    }
    DecodedTarget decoded = DecodedTarget.of(first.getRunTarget());
    if (decoded.failure() != null) {
      return new Link(channel, first, decoded, false);
    }
    mainThreadWork.add(() -> exit.targetEnded(run(decoded.target())));
    return new Link(channel, first, decoded, true);
  }

  /** Runs a target on the calling (main) thread; returns what it threw, or null. */
  private static Throwable run(Runnable target) {
    try {
      target.run();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  private Behavior<Command> onConnected(Connected connected) {
    Link link = connected.link();
    this.connected = true;
    if (bootstrap.getWarm()) {
      warmUp();
    }
    if (link.started()) {
      // Running already: the main thread reports its end.
      targetStarted = true;
    } else if (link.first() != null) {
      onFrame(link.first(), link.target());
    }
    if (exit.parentGone) {
      return onParentGone();
    }
    return this;
  }

  /**
   * While idle, a warm agent walks the path a target takes, on the main thread that will run the
   * target: decoding a serialized lambda (and, with the parent's warm-up payload, the handles it
   * captures, which connect to the parent), bootstrapping lambdas, running it. So the first real target
   * does not pay for loading, verifying and initializing those classes. A real target that arrives
   * meanwhile waits for the warm-up to finish (see {@link #startTarget}).
   */
  private void warmUp() {
    Payload payload;
    try {
      payload = bootstrap.hasWarmUp()
          ? bootstrap.getWarmUp()
          : Payloads.javaSerialized((Runnable & java.io.Serializable) () -> { });
    } catch (IOException e) {
      return;
    }
    mainThreadWork.add(() -> {
      try {
        ((Runnable) Payloads.decode(payload, ClassLoader.getSystemClassLoader())).run();
      } catch (Exception | LinkageError e) {
        // A warm-up is an optimisation: the target's own decode reports any real problem.
      }
    });
  }

  private Behavior<Command> onConnectFailed(ConnectFailed failed) {
    System.err.println("multiprocessing4j child " + bootstrap.getName() + ": " + failed.cause().getMessage());
    exit.exit(ChildMain.EXIT_FAILED);
    return Behaviors.stopped();
  }

  private Behavior<Command> onFrame(FrameIn in) {
    return onFrame(in.frame(), null, in.arrivedNanos());
  }

  /** @param decoded the frame's target if it is a RunTarget decoded already, else null */
  private Behavior<Command> onFrame(Frame frame, DecodedTarget decoded) {
    return onFrame(frame, decoded, System.nanoTime());
  }

  private Behavior<Command> onFrame(Frame frame, DecodedTarget decoded, long arrivedNanos) {
    switch (frame.getBodyCase()) {
      case RUN_TARGET -> startTarget(frame.getRunTarget(), decoded);
      case TERMINATE -> terminate(Duration.ofMillis(frame.getTerminate().getGraceMillis()), arrivedNanos);
      default -> getContext().getLog().warn("ignoring unexpected frame {}", frame.getBodyCase());
    }
    return this;
  }

  private void startTarget(RunTarget run, DecodedTarget decoded) {
    if (targetStarted || exit.terminating) {
      return;
    }
    targetStarted = true;
    if (!run.getName().isEmpty()) {
      // A warm agent becomes the process it was assigned to be.
      ChildRuntime.current().ifPresent(self -> ChildRuntime.install(
          new ChildRuntime(run.getName(), self.pid(), run.getDaemon(), self.parentPid(), self.parentName())));
    }
    DecodedTarget decodedTarget = decoded != null ? decoded : DecodedTarget.of(run);
    if (decodedTarget.failure() != null) {
      getContext().getSelf().tell(new TargetEnded(decodedTarget.failure()));
      return;
    }
    Runnable target = decodedTarget.target();
    Runnable onMain = () -> exit.targetEnded(run(target));
    // Queued, never awaited: the actor stays free for a terminate while a warm-up still runs.
    mainThreadWork.add(onMain);
  }

  /**
   * @param arrivedNanos when the request reached this JVM: the deadline counts from then, not from when
   *     this actor (perhaps booted by that very request) got to it
   */
  private void terminate(Duration grace, long arrivedNanos) {
    if (terminateHandled) {
      return;
    }
    terminateHandled = true;
    exit.terminating = true;
    if (!targetStarted) {
      exitTerminated();
      return;
    }
    mainThread.interrupt();
    // The target gets half the parent's grace period to react to its interrupt.
    Duration left = grace.dividedBy(2).minusNanos(System.nanoTime() - arrivedNanos);
    getContext().scheduleOnce(left.isNegative() ? Duration.ZERO : left, getContext().getSelf(),
        TerminateDeadline.INSTANCE);
  }

  /** A target that could not even be decoded ends here, on this actor's thread. */
  private Behavior<Command> onTargetEnded(TargetEnded ended) {
    exit.targetEnded(ended.failure());
    return Behaviors.stopped();
  }

  private Behavior<Command> onChannelClosed(ChannelClosed closed) {
    if (!targetStarted && !exit.parentGone) {
      // The parent is alive (stdin is open) but dropped us before sending a target: not a success.
      System.err.println("multiprocessing4j child " + bootstrap.getName()
          + ": the parent closed the connection before sending a target");
      exit.exit(ChildMain.EXIT_FAILED);
      return Behaviors.stopped();
    }
    return onParentGone();
  }

  private Behavior<Command> onParentGone() {
    exit.parentGone = true;
    if (!connected) {
      // The connecting thread may have started the target already; decided when Connected arrives.
      return this;
    }
    if (!targetStarted) {
      exit.exit(ChildMain.EXIT_OK);
      return Behaviors.stopped();
    }
    // A running non-daemon target finishes first (the main thread exits then).
    return this;
  }

  private Behavior<Command> exitTerminated() {
    exit.terminated();
    return Behaviors.stopped();
  }
}
