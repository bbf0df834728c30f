package io.multiprocessing4j.agent;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Notices that the parent is gone, however it died (SIGKILL included): the parent holds the write end
 * of this JVM's stdin pipe and nobody else does, so end-of-file on stdin means the parent process has
 * exited. A shutdown hook in the parent could not promise this; the kernel closing the pipe can.
 *
 * <p>Stdin is read through a {@link FileChannel} because closing one wakes its blocked reader: the
 * JVM's exit waits up to 300 ms for threads blocked in native reads, and {@link #stop()} spares that.
 */
final class ParentWatch {
  private final FileChannel stdin = new FileInputStream(FileDescriptor.in).getChannel();
  private volatile boolean stopped;

  /** Starts a daemon thread that runs {@code onParentGone} once stdin reaches end-of-file. */
  void start(Runnable onParentGone) {
    Thread watch = new Thread(() -> {
      ByteBuffer sink = ByteBuffer.allocate(64);
      try {
        while (stdin.read(sink.clear()) >= 0) {
          // The parent writes nothing after the bootstrap; anything else is ignored.
        }
      } catch (IOException e) {
        // A broken pipe means the same as end-of-file here; a close by stop() is no parent death.
      }
      if (!stopped) {
        onParentGone.run();
      }
    }, "multiprocessing4j-parent-watch");
    watch.setDaemon(true);
    watch.start();
  }

  /** Stops watching (this JVM is exiting by itself). */
  void stop() {
    stopped = true;
    try {
      stdin.close();
    } catch (IOException ignored) {
      // Nothing to release.
    }
  }
}
