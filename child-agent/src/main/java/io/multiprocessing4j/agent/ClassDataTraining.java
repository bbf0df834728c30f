package io.multiprocessing4j.agent;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.proto.Bootstrap;
import io.multiprocessing4j.proto.ChallengeResponse;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.RunTarget;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Handshake;
import io.multiprocessing4j.wire.Payloads;
import java.io.IOException;
import java.io.Serializable;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Main class of a class-data-sharing training run: one JVM that plays both sides of a child's life, so
 * that {@code -XX:DumpLoadedClassList} records exactly what a real agent loads on its way to running
 * a target. A thread acts as the parent (private socket, challenge, the RunTarget of a serializable
 * lambda that does nothing, as most targets are lambdas); the main thread runs the genuine agent
 * against it ({@link #runTrainingAgent}), which exits the JVM as any child does. It needs no parent
 * and outlives none: the supervisor starts it detached, so a program that exits quickly still gets its
 * archive, and a watchdog ends it if anything stalls.
 *
 * <p>This run covers the agent alone. When the supervisor's classes are in a jar too, the supervisor
 * trains with its own parent side instead ({@code io.multiprocessing4j.internal.RehearsedTraining}),
 * which also rehearses a target's pipe; it uses {@link #startWatchdog} and {@link #runTrainingAgent}.
 */
public final class ClassDataTraining {
  private static final long WATCHDOG_MILLIS = 120_000;
  private static final long CHILD_ID = 1;

  private ClassDataTraining() {}

  public static void main(String[] args) throws Exception {
    startWatchdog();
    Path directory = Files.createTempDirectory("mp4j-training-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path socketPath = directory.resolve("training.sock");
    byte[] key = Handshake.childKey(Handshake.newSecret(), CHILD_ID);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socketPath));
    Thread parent = new Thread(() -> actAsParent(server, key, directory), "multiprocessing4j-training-parent");
    parent.setDaemon(true);
    parent.start();
    runTrainingAgent(trainingBootstrap(socketPath.toString(), key, CHILD_ID).build());
  }

  /** The bootstrap of a training agent: a daemon child of this same JVM, at {@code socketPath}. */
  public static Bootstrap.Builder trainingBootstrap(String socketPath, byte[] key, long childId) {
    return Bootstrap.newBuilder()
        .setSocketPath(socketPath)
        .setChildKey(ByteString.copyFrom(key))
        .setChildId(childId)
        .setName("ClassDataTraining")
        .setDaemon(true)
        .setParentPid(ProcessHandle.current().pid())
        .setParentName("ClassDataTraining")
        .setTerminateGraceMillis(1000);
  }

  /** Runs the genuine agent on this thread until it exits the JVM; stdin is not watched (no parent). */
  public static void runTrainingAgent(Bootstrap bootstrap) {
    ChildMain.runAgent(bootstrap, false, ChildMain.loadConfigInBackground()::join);
  }

  private static void actAsParent(ServerSocketChannel server, byte[] key, Path directory) {
    try (server) {
      FrameChannel<Frame> channel = new FrameChannel<>(server.accept(), Frame.parser(), FrameChannel.DEFAULT_MAX_FRAME_BYTES);
      Files.deleteIfExists(directory.resolve("training.sock"));
      Files.deleteIfExists(directory);
      var challenge = Handshake.newChallenge();
      channel.send(challenge);
      ChallengeResponse response = channel.read(ChallengeResponse.parser(), Handshake.MAX_RESPONSE_BYTES);
      if (!Handshake.verify(challenge, response, key)) {
        throw new IOException("training agent failed its own handshake");
      }
      channel.send(Frame.newBuilder().setRunTarget(RunTarget.newBuilder()
          .setTarget(Payloads.javaSerialized((Runnable & Serializable) () -> { }))
          .setName("ClassDataTraining")
          .setDaemon(true)).build());
      while (true) {
        channel.read();
      }
    } catch (IOException e) {
      // The agent exited (the normal end of training) or training failed; either way the JVM is ending.
    }
  }

  /** Halts this JVM if training has not ended within two minutes. */
  public static void startWatchdog() {
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(WATCHDOG_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      Runtime.getRuntime().halt(3);
    }, "multiprocessing4j-training-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
