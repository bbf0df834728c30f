package io.multiprocessing4j.agent;

import java.io.IOException;
import java.io.InputStream;

/**
 * Notices that the parent is gone, however it died (SIGKILL included): the parent holds the write end
 * of this JVM's stdin pipe and nobody else does, so end-of-file on stdin means the parent process has
 * exited. A shutdown hook in the parent could not promise this; the kernel closing the pipe can.
 */
final class ParentWatch {
  private ParentWatch() {}

  /** Starts a daemon thread that runs {@code onParentGone} once stdin reaches end-of-file. */
  static void start(InputStream stdin, Runnable onParentGone) {
    Thread watch = new Thread(() -> {
      byte[] sink = new byte[64];
      try {
        while (stdin.read(sink) >= 0) {
          // The parent writes nothing after the bootstrap; anything else is ignored.
        }
      } catch (IOException e) {
        // A broken pipe means the same as end-of-file here.
      }
      onParentGone.run();
    }, "multiprocessing4j-parent-watch");
    watch.setDaemon(true);
    watch.start();
  }
}
