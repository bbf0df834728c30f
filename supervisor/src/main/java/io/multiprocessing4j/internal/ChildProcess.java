package io.multiprocessing4j.internal;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.ProcessSupervisor;
import io.multiprocessing4j.agent.ChildRuntime;
import io.multiprocessing4j.proto.Bootstrap;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.proto.RunTarget;
import io.multiprocessing4j.wire.FrameChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Supervises one child JVM from launch to exit, as a child of {@code ProcessSupervisor}: launches it,
 * admits its agent's connection, hands it the target, applies terminate and kill, and reports
 * {@code Started}, then {@code Exited} with Python's exit code once the OS has reaped the process and
 * its output has been copied. If this actor stops before its process has exited (its supervisor
 * stopped, or this actor failed), a daemon child is killed, and so is a non-daemon child whose target
 * never reached it (it has nothing to finish); a non-daemon child running its target is released to
 * finish it. Either way the JDK's handle on the process still reports {@code Exited} once the OS has
 * reaped it, so the supervisor, which watches this actor, never loses track of the child.
 *
 * <p>A launch without a target is a warm agent: it boots, connects and waits, as a daemon, until an
 * {@link Assign} gives it a name and a target; only then does it report {@code Started}: once the
 * target is written to it (at once if it has not connected yet, the target following when it does).
 * An agent found dead by then reports no {@code Started}, only its exit, and the supervisor launches
 * the target elsewhere.
 */
public final class ChildProcess extends AbstractBehavior<ChildProcess.Command> {
  /**
   * Everything needed to launch one child; a null target launches a warm (idle) agent, which runs
   * {@code warmUp} (a serialized Runnable, or null for none) while it waits.
   */
  public record Launch(long id, String name, boolean daemon, List<String> jvmOptions, String classPath,
      Duration terminateGrace, Payload target, Payload warmUp) {}

  /** Turns a warm agent into the process it is to be. */
  public record Assign(String name, boolean daemon, Duration terminateGrace, Payload target) implements Command {}

  public sealed interface Command {}

  public enum Terminate implements Command { INSTANCE }

  public enum Kill implements Command { INSTANCE }

  private record Admitted(FrameChannel<Frame> channel) implements Command {}

  private record FrameIn(Frame frame) implements Command {}

  private record ChannelClosed() implements Command {}

  private record ProcessExited(int status) implements Command {}

  private record OutputDrained(int status) implements Command {}

  private enum TerminateDeadline implements Command { INSTANCE }

  /** How long to wait after exit for the child's last output before reporting the exit anyway. */
  private static final Duration OUTPUT_DRAIN_LIMIT = Duration.ofMillis(500);

  private Launch launch;
  private final ChannelServer channelServer;
  private final ActorRef<ProcessSupervisor.Event> events;
  private final JvmLauncher.LaunchedJvm jvm;
  private FrameChannel<Frame> channel;
  private Integer reportedExitCode;
  private Optional<String> remoteTraceback = Optional.empty();
  private boolean terminateRequested;
  private boolean targetSent;
  private boolean exited;

  public static Behavior<Command> create(Launch launch, ChannelServer channelServer,
      ActorRef<ProcessSupervisor.Event> events) {
    return Behaviors.setup(context -> {
      byte[] key = channelServer.expect(launch.id(),
          channel -> context.getSelf().tell(new Admitted(channel)));
      JvmLauncher.LaunchedJvm jvm;
      try {
        jvm = JvmLauncher.launch(JvmLauncher.currentJava(), launch.jvmOptions(), launch.classPath(),
            bootstrap(launch, key, channelServer));
      } catch (IOException | RuntimeException e) {
        channelServer.forget(launch.id());
        events.tell(new ProcessSupervisor.StartFailed(launch.id(), launch.name(),
            "could not launch a child JVM for " + launch.name() + ": " + e.getMessage()));
        return Behaviors.stopped();
      }
      if (launch.target() != null) {
        events.tell(new ProcessSupervisor.Started(launch.id(), launch.name(), jvm.pid(), launch.daemon()));
      }
      context.pipeToSelf(jvm.onExit(), (status, error) -> new ProcessExited(status == null ? -1 : status));
      return new ChildProcess(context, launch, channelServer, events, jvm);
    });
  }

  private static Bootstrap bootstrap(Launch launch, byte[] key, ChannelServer channelServer) {
    ChildRuntime self = ChildRuntime.current().orElse(null);
    Bootstrap.Builder bootstrap = Bootstrap.newBuilder();
    if (launch.target() == null && launch.warmUp() != null) {
      bootstrap.setWarmUp(launch.warmUp());
    }
    return bootstrap
        .setSocketPath(channelServer.socketPath().toString())
        .setChildKey(ByteString.copyFrom(key))
        .setChildId(launch.id())
        .setName(launch.name())
        .setDaemon(launch.daemon())
        .setParentPid(ProcessHandle.current().pid())
        .setParentName(self == null ? "MainProcess" : self.name())
        .setTerminateGraceMillis((int) Math.min(Integer.MAX_VALUE, launch.terminateGrace().toMillis()))
        .setWarm(launch.target() == null)
        .build();
  }

  private ChildProcess(ActorContext<Command> context, Launch launch, ChannelServer channelServer,
      ActorRef<ProcessSupervisor.Event> events, JvmLauncher.LaunchedJvm jvm) {
    super(context);
    this.launch = launch;
    this.channelServer = channelServer;
    this.events = events;
    this.jvm = jvm;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Admitted.class, this::onAdmitted)
        .onMessage(Assign.class, this::onAssign)
        .onMessage(FrameIn.class, this::onFrame)
        .onMessage(ChannelClosed.class, closed -> this)
        .onMessageEquals(Terminate.INSTANCE, this::onTerminate)
        .onMessageEquals(Kill.INSTANCE, () -> {
          jvm.kill();
          return this;
        })
        .onMessageEquals(TerminateDeadline.INSTANCE, () -> {
          jvm.kill();
          return this;
        })
        .onMessage(ProcessExited.class, this::onProcessExited)
        .onMessage(OutputDrained.class, this::onOutputDrained)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onAdmitted(Admitted admitted) {
    channel = admitted.channel();
    channel.startReader("multiprocessing4j-" + launch.name() + "-reader",
        frame -> getContext().getSelf().tell(new FrameIn(frame)),
        cause -> getContext().getSelf().tell(new ChannelClosed()));
    if (exited) {
      channel.close();
      return this;
    }
    if (terminateRequested) {
      send(terminateFrame());
    } else if (launch.target() != null) {
      sendTarget();
    } else {
      events.tell(new ProcessSupervisor.AgentReady(launch.id(), launch.name()));
    }
    return this;
  }

  private Behavior<Command> onAssign(Assign assign) {
    if (launch.target() != null || exited) {
      return this;
    }
    launch = new Launch(launch.id(), assign.name(), assign.daemon(), launch.jvmOptions(), launch.classPath(),
        assign.terminateGrace(), assign.target(), null);
    if (channel != null) {
      sendTarget();
      if (!targetSent) {
        // The agent died as it was handed the target: no Started, so that its exit, on its way, has
        // the supervisor launch the target afresh.
        return this;
      }
    }
    events.tell(new ProcessSupervisor.Started(launch.id(), launch.name(), jvm.pid(), launch.daemon()));
    return this;
  }

  private void sendTarget() {
    targetSent = send(runTargetFrame());
  }

  private Frame runTargetFrame() {
    return Frame.newBuilder().setRunTarget(RunTarget.newBuilder()
        .setTarget(launch.target())
        .setName(launch.name())
        .setDaemon(launch.daemon())
        .setTerminateGraceMillis(graceMillis())).build();
  }

  private int graceMillis() {
    return (int) Math.min(Integer.MAX_VALUE, launch.terminateGrace().toMillis());
  }

  private Behavior<Command> onFrame(FrameIn in) {
    Frame frame = in.frame();
    switch (frame.getBodyCase()) {
      case TARGET_FAILED -> {
        reportedExitCode = frame.getTargetFailed().getExitCode();
        remoteTraceback = Optional.of(frame.getTargetFailed().getFailure().getStackTrace());
      }
      default -> getContext().getLog().warn("{} sent an unexpected frame {}", launch.name(), frame.getBodyCase());
    }
    return this;
  }

  private Behavior<Command> onTerminate() {
    if (terminateRequested || exited) {
      return this;
    }
    terminateRequested = true;
    if (channel != null) {
      send(terminateFrame());
    } else {
      jvm.terminate();
    }
    getContext().scheduleOnce(launch.terminateGrace(), getContext().getSelf(), TerminateDeadline.INSTANCE);
    return this;
  }

  private Frame terminateFrame() {
    return Frame.newBuilder().setTerminate(io.multiprocessing4j.proto.Terminate.newBuilder()
        .setGraceMillis(graceMillis())).build();
  }

  /** Whether the frame was written. */
  private boolean send(Frame frame) {
    try {
      channel.send(frame);
      return true;
    } catch (IOException e) {
      // The agent is gone; its process exit will be reported shortly.
      if (terminateRequested) {
        jvm.terminate();
      }
      return false;
    }
  }

  private Behavior<Command> onProcessExited(ProcessExited exit) {
    exited = true;
    channelServer.forget(launch.id());
    int status = exit.status();
    if (jvm.outputDrained().isDone()) {
      return onOutputDrained(new OutputDrained(status));
    }
    getContext().pipeToSelf(
        jvm.outputDrained().completeOnTimeout(null, OUTPUT_DRAIN_LIMIT.toMillis(), TimeUnit.MILLISECONDS),
        (ok, error) -> new OutputDrained(status));
    return this;
  }

  private Behavior<Command> onOutputDrained(OutputDrained drained) {
    if (channel != null) {
      channel.close();
    }
    jvm.release();
    events.tell(new ProcessSupervisor.Exited(launch.id(), launch.name(), jvm.pid(),
        pythonExitCode(drained.status(), reportedExitCode), remoteTraceback));
    return Behaviors.stopped();
  }

  /**
   * Python's exit code from a raw exit status: what the agent reported when the status matches it,
   * otherwise {@code -N} for a death by signal N (the JDK reports those as 128 + N), otherwise the
   * status itself (e.g. {@code System.exit(3)} in the target).
   */
  static int pythonExitCode(int status, Integer reported) {
    if (reported != null && reported == status) {
      return status;
    }
    if (status > 128 && status <= 128 + 64) {
      return -(status - 128);
    }
    return status;
  }

  private Behavior<Command> onPostStop() {
    if (!exited) {
      channelServer.forget(launch.id());
      if (launch.daemon() || !targetSent) {
        jvm.kill();
      } else {
        jvm.release();
      }
      if (channel != null) {
        channel.close();
      }
      if (launch.target() != null) {
        reportExitWithoutThisActor();
      }
    }
    return this;
  }

  /**
   * Hands the report of the exit to the JDK's process handle, which outlives this actor: the exit code
   * is the same as {@link #onOutputDrained} would give (the OS's status and what the agent reported so
   * far). Not for an idle agent, which nobody waits for; a stopped supervisor no longer receives it,
   * which is harmless.
   */
  private void reportExitWithoutThisActor() {
    long id = launch.id();
    String name = launch.name();
    Integer reported = reportedExitCode;
    Optional<String> traceback = remoteTraceback;
    jvm.onExit().thenAccept(status -> events.tell(
        new ProcessSupervisor.Exited(id, name, jvm.pid(), pythonExitCode(status, reported), traceback)));
  }
}
