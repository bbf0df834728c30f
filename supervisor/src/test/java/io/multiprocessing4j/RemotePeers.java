package io.multiprocessing4j;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/** Starts and stops the JVMs that stand in for other machines in the remote tests ({@link RemotePeerMain}). */
final class RemotePeers {
  private RemotePeers() {}

  /**
   * Starts a {@link RemotePeerMain} that connects to {@code mp} and runs {@code scenario}, its output
   * going to {@code log}; the address and authkey go through its stdin, never a command line.
   */
  static java.lang.Process start(Multiprocessing mp, Path log, String scenario) throws IOException {
    java.lang.Process peer = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"),
        RemotePeerMain.class.getName())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    try (Writer stdin = new OutputStreamWriter(peer.getOutputStream(), StandardCharsets.UTF_8)) {
      stdin.write(mp.remoteAddress() + "\n" + HexFormat.of().formatHex(mp.authkey()) + "\n" + scenario + "\n");
    }
    return peer;
  }

  /** Kills {@code peer} if it was started and runs still, and waits (bounded) until it is gone. */
  static void kill(java.lang.Process peer) throws Exception {
    if (peer != null) {
      peer.destroyForcibly();
      peer.onExit().get(10, TimeUnit.SECONDS);
    }
  }
}
