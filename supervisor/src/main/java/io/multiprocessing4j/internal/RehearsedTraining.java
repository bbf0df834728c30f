package io.multiprocessing4j.internal;

import io.multiprocessing4j.ProcessSupervisor;
import io.multiprocessing4j.SerializableFunction;
import io.multiprocessing4j.agent.ChildMain;
import io.multiprocessing4j.agent.ClassDataTraining;
import io.multiprocessing4j.agent.TaskWorker;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.proto.RunTarget;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Payloads;
import io.multiprocessing4j.wire.TaskFrames;
import java.io.IOException;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Main class of a class-data-sharing training run ({@link ClassDataArchive}) when the supervisor's own
 * classes are in a jar: as the agent's {@link ClassDataTraining}, one JVM plays both sides of a child's
 * life under {@code -XX:DumpLoadedClassList}, but here the parent side is the genuine one: a channel
 * server that admits the agent with the real handshake, and the brokers of the {@link AgentWarmUp}
 * rehearsal, which the agent runs first, as a warm agent does. Its target is a pool worker's loop
 * ({@link TaskWorker}), which opens its task channel and runs one chunk of a serializable lambda, as a
 * pool's first {@code map} does. So the archive also holds what a target's pipe ends use, for spawned
 * children and warm agents alike, and what a pool worker loads on its way to its first result (pool
 * workers have an archive of their own, keyed by their JVM options).
 */
public final class RehearsedTraining {
  private static final long CHILD_ID = 1;

  private RehearsedTraining() {}

  public static void main(String[] args) throws Exception {
    ClassDataTraining.startWatchdog();
    ProcessSupervisor.Settings settings = ProcessSupervisor.Settings.defaults();
    ChannelServer server = ChannelServer.open(settings.handshakeTimeout(), settings.maxFrameBytes());
    ActorSystem<Void> parentSide = ActorSystem.create(Behaviors.empty(), "training-parent", ChildMain.agentConfig());
    Payload rehearsal = new AgentWarmUp(new ChannelBrokers(server, parentSide)).payload();
    // Parent and agent share this JVM's handle table: without this, the agent would find the parent's
    // own end of the rehearsal pipe there and call its broker directly instead of connecting to it.
    HandleTable.forgetContext(server.socketPath().toString());
    Endpoint tasks = server.openEndpoint(RehearsedTraining::actAsPool);
    byte[] key = server.expect(CHILD_ID, channel -> actAsParent(channel, tasks));
    ClassDataTraining.runTrainingAgent(ClassDataTraining.trainingBootstrap(server.socketPath().toString(), key, CHILD_ID)
        .setWarm(true)
        .setWarmUp(rehearsal)
        .build());
  }

  private static void actAsParent(FrameChannel<Frame> channel, Endpoint tasks) {
    try {
      channel.send(Frame.newBuilder().setRunTarget(RunTarget.newBuilder()
          .setTarget(Payloads.javaSerialized(TaskAdapters.workerTarget(new TaskWorker(tasks, null, FrameChannel.DEFAULT_MAX_FRAME_BYTES))))
          .setName("ClassDataTraining")
          .setDaemon(true)).build());
      channel.startReader("multiprocessing4j-training-parent", frame -> { }, cause -> { });
    } catch (IOException e) {
      // The agent is gone already; it exits the JVM either way.
    }
  }

  /** The pool's side of the worker's task channel: one chunk, then the worker is retired. */
  private static void actAsPool(FrameChannel<Frame> channel) {
    SerializableFunction<Integer, Integer> square = x -> x * x;
    channel.startReader("multiprocessing4j-training-pool", frame -> {
      try {
        if (frame.hasWorkerReady()) {
          channel.send(TaskFrames.runTasks(1, 1, Payloads.javaSerialized(TaskAdapters.unary(square)),
              TaskFrames.encodeArray(new Object[] {1, 2}), List.of()));
        } else if (frame.hasTaskResults()) {
          channel.send(TaskFrames.retireWorker());
        }
      } catch (IOException e) {
        // The worker is gone; the agent exits the JVM either way.
      }
    }, cause -> { });
  }
}
