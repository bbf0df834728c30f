package io.multiprocessing4j.agent;

import io.multiprocessing4j.proto.Bootstrap;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.RunTarget;
import io.multiprocessing4j.proto.TargetFailed;
import io.multiprocessing4j.proto.TargetFinished;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Payloads;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The agent inside a child JVM: the child's end of the supervision link. It connects to the parent's
 * channel, proves its identity, receives its target, hands it to the main thread and reports how the
 * target ended, then exits the JVM with Python's exit status.
 *
 * <p>When the target ends, the main thread itself reports it and exits the JVM: waiting for this
 * actor to be scheduled first would keep a child's {@code join()} waiting for nothing. One flag decides
 * between that exit and a terminate request's, so exactly one of them ends the JVM.
 *
 * <p>Orphan rules (the parent died without asking): a daemon child halts at once (see
 * {@link ChildMain}); a non-daemon child that is running its target lets it finish, then exits; an
 * idle one exits immediately. So no child ever lingers without a parent.
 */
final class AgentActor extends AbstractBehavior<AgentActor.Command> {
  sealed interface Command {}

  private record Connected(FrameChannel<Frame> channel) implements Command {}

  private record ConnectFailed(Throwable cause) implements Command {}

  private record FrameIn(Frame frame) implements Command {}

  private record ChannelClosed(Throwable cause) implements Command {}

  private record TargetEnded(Throwable failure) implements Command {}

  private enum TerminateDeadline implements Command { INSTANCE }

  enum ParentGone implements Command { INSTANCE }

  private final Bootstrap bootstrap;
  private final SynchronousQueue<Runnable> mainThreadWork;
  private FrameChannel<Frame> channel;
  private final Thread mainThread;
  private final ParentWatch parentWatch;
  private boolean targetStarted;
  /** Written by this actor, read by the main thread when the target ends. */
  private volatile boolean parentGone;
  private volatile boolean terminating;
  private final AtomicBoolean exitClaimed = new AtomicBoolean();

  /**
   * @param mainThread the thread that takes work from {@code mainThreadWork}: it runs the target and is
   *     the one interrupted on terminate
   */
  static Behavior<Command> create(Bootstrap bootstrap, CompletableFuture<FrameChannel<Frame>> connection,
      Thread mainThread, SynchronousQueue<Runnable> mainThreadWork, ParentWatch parentWatch) {
    return Behaviors.setup(context -> {
      context.pipeToSelf(connection,
          (channel, error) -> error == null ? new Connected(channel) : new ConnectFailed(error));
      return new AgentActor(context, bootstrap, mainThread, mainThreadWork, parentWatch);
    });
  }

  private AgentActor(ActorContext<Command> context, Bootstrap bootstrap, Thread mainThread,
      SynchronousQueue<Runnable> mainThreadWork, ParentWatch parentWatch) {
    super(context);
    this.parentWatch = parentWatch;
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

  /** Connects to the parent and proves this child's identity; runs before the actor system is up. */
  static FrameChannel<Frame> connect(Bootstrap bootstrap) {
    Endpoint parent = new Endpoint(bootstrap.getSocketPath(), bootstrap.getChildId(), bootstrap.getChildKey().toByteArray());
    try {
      return parent.connect();
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach the parent at " + bootstrap.getSocketPath() + ": " + e.getMessage(), e);
    }
  }

  private Behavior<Command> onConnected(Connected connected) {
    channel = connected.channel();
    // A target may end the JVM with System.exit itself; blocked readers would hold that exit up too.
    Runtime.getRuntime().addShutdownHook(new Thread(this::releaseBlockedReaders, "multiprocessing4j-release-readers"));
    channel.startReader("multiprocessing4j-agent-reader",
        frame -> getContext().getSelf().tell(new FrameIn(frame)),
        cause -> getContext().getSelf().tell(new ChannelClosed(cause)));
    if (bootstrap.getWarm()) {
      warmUp();
    }
    return this;
  }

  /**
   * While idle, a warm agent walks the path a target takes (decoding a serialized lambda, bootstrapping
   * lambdas, handing work to the main thread), so the first real target does not pay for it.
   */
  private void warmUp() {
    Runnable decoded;
    try {
      Runnable sample = (Runnable & java.io.Serializable) () -> { };
      decoded = (Runnable) Payloads.decode(Payloads.javaSerialized(sample), ClassLoader.getSystemClassLoader());
    } catch (IOException | ClassNotFoundException e) {
      getContext().getLog().debug("warm-up skipped", e);
      return;
    }
    mainThreadWork.offer(decoded);
  }

  private Behavior<Command> onConnectFailed(ConnectFailed failed) {
    System.err.println("multiprocessing4j child " + bootstrap.getName() + ": " + failed.cause().getMessage());
    exit(ChildMain.EXIT_FAILED);
    return Behaviors.stopped();
  }

  private Behavior<Command> onFrame(FrameIn in) {
    Frame frame = in.frame();
    switch (frame.getBodyCase()) {
      case RUN_TARGET -> startTarget(frame.getRunTarget());
      case TERMINATE -> terminate(Duration.ofMillis(frame.getTerminate().getGraceMillis()));
      default -> getContext().getLog().warn("ignoring unexpected frame {}", frame.getBodyCase());
    }
    return this;
  }

  private void startTarget(RunTarget run) {
    if (targetStarted || terminating) {
      return;
    }
    targetStarted = true;
    if (!run.getName().isEmpty()) {
      // A warm agent becomes the process it was assigned to be.
      ChildRuntime.current().ifPresent(self -> ChildRuntime.install(
          new ChildRuntime(run.getName(), self.pid(), run.getDaemon(), self.parentPid(), self.parentName())));
    }
    Runnable target;
    try {
      target = (Runnable) Payloads.decode(run.getTarget(), ClassLoader.getSystemClassLoader());
    } catch (Exception | LinkageError e) {
      getContext().getSelf().tell(new TargetEnded(
          new IllegalStateException("cannot decode the target in the child: " + e, e)));
      return;
    }
    FrameChannel<Frame> link = channel;
    // Built now, while the target has not started, so that reporting success costs one write.
    Frame finished = Frame.newBuilder()
        .setTargetFinished(TargetFinished.newBuilder().setExitCode(ChildMain.EXIT_OK)).build();
    Runnable onMain = () -> {
      Throwable failure = null;
      try {
        target.run();
      } catch (Throwable t) {
        failure = t;
      }
      endTarget(link, finished, failure);
    };
    try {
      mainThreadWork.put(onMain);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void terminate(Duration grace) {
    if (terminating) {
      return;
    }
    terminating = true;
    if (!targetStarted) {
      exitTerminated();
      return;
    }
    mainThread.interrupt();
    // The target gets half the parent's grace period to react to its interrupt.
    getContext().scheduleOnce(grace.dividedBy(2), getContext().getSelf(), TerminateDeadline.INSTANCE);
  }

  private Behavior<Command> onTargetEnded(TargetEnded ended) {
    endTarget(channel, null, ended.failure());
    return Behaviors.stopped();
  }

  /**
   * Reports how the target ended and exits with Python's status, on whichever thread the target ended
   * (the main thread, or this actor's when the target could not even be decoded).
   *
   * @param finished the report of success, built in advance (or null: build it here)
   */
  private void endTarget(FrameChannel<Frame> link, Frame finished, Throwable failure) {
    if (terminating) {
      exitTerminated();
      return;
    }
    if (!exitClaimed.compareAndSet(false, true)) {
      return;
    }
    int status = failure == null ? ChildMain.EXIT_OK : ChildMain.EXIT_FAILED;
    if (failure != null) {
      // Python prints "Process <name>:" and the traceback on the child's stderr.
      System.err.println("Process " + ChildRuntime.current().map(ChildRuntime::name).orElse(bootstrap.getName()) + ":");
      failure.printStackTrace(System.err);
    }
    if (!parentGone && link != null) {
      Frame report = failure == null
          ? (finished != null ? finished
              : Frame.newBuilder().setTargetFinished(TargetFinished.newBuilder().setExitCode(status)).build())
          : Frame.newBuilder().setTargetFailed(TargetFailed.newBuilder()
              .setExitCode(status).setFailure(Payloads.failure(failure))).build();
      try {
        link.send(report);
      } catch (IOException e) {
        // The parent is gone; the exit status still tells the story to whoever waits for us.
      }
    }
    exit(status);
  }

  private Behavior<Command> onChannelClosed(ChannelClosed closed) {
    if (!targetStarted && !parentGone) {
      // The parent is alive (stdin is open) but dropped us before sending a target: not a success.
      System.err.println("multiprocessing4j child " + bootstrap.getName()
          + ": the parent closed the connection before sending a target");
      exit(ChildMain.EXIT_FAILED);
      return Behaviors.stopped();
    }
    return onParentGone();
  }

  private Behavior<Command> onParentGone() {
    parentGone = true;
    if (!targetStarted) {
      exit(ChildMain.EXIT_OK);
      return Behaviors.stopped();
    }
    // A running non-daemon target finishes first (onTargetEnded exits then).
    return this;
  }

  private Behavior<Command> exitTerminated() {
    if (exitClaimed.compareAndSet(false, true)) {
      releaseBlockedReaders();
      ChildMain.halt(ChildMain.EXIT_TERMINATED);
    }
    return Behaviors.stopped();
  }

  private void exit(int status) {
    releaseBlockedReaders();
    ChildMain.exit(status);
  }

  /**
   * Threads blocked in native reads would hold the JVM's exit up: it polls, every 10 ms and for up to
   * 300 ms, until no thread is in native code. Closing their channels wakes them, and returns once
   * they are out of their reads (the JDK's close waits for that).
   */
  private void releaseBlockedReaders() {
    parentWatch.stop();
    if (channel != null) {
      channel.close();
    }
  }

}
