package io.multiprocessing4j;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Helpers that run inside child JVMs (called from the static target bodies of the test classes).
 * A test holds a child at a known point by making it wait for a file, then releases it by creating
 * the file: both sides synchronise on the event, neither sleeps. Paths travel as strings because
 * {@link Path} is not serializable.
 */
final class ChildSide {
  /** A child waiting for a file that never comes gives up after this long, so nothing can linger. */
  static final Duration WAIT_LIMIT = Duration.ofSeconds(60);

  private ChildSide() {}

  /**
   * Blocks until {@code file} exists (watching its directory with inotify). Throws if it does not
   * appear within {@link #WAIT_LIMIT}, and an {@link IllegalStateException} when interrupted (which is
   * what terminate() does to a target).
   */
  static void awaitFile(String file) {
    Path path = Path.of(file);
    Path directory = path.getParent();
    try (WatchService watch = FileSystems.getDefault().newWatchService()) {
      directory.register(watch, ENTRY_CREATE);
      long deadline = System.nanoTime() + WAIT_LIMIT.toNanos();
      while (!Files.exists(path)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("gave up waiting for " + path);
        }
        WatchKey key = watch.poll(left, TimeUnit.NANOSECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      throw new IllegalStateException("interrupted while waiting for " + path, e);
    }
  }

  /** Connections opened by {@link #checkIn}, kept open until this JVM exits. */
  private static final List<SocketChannel> CHECKED_IN = new ArrayList<>();

  /**
   * Connects to the test's Unix socket at {@code socketPath}, says {@code who} on one line, and keeps
   * the connection open for the rest of this JVM's life: the kernel closes it when this process dies,
   * however it dies, so the test sees the death as end-of-file, an event, even for a process that is
   * not its own child.
   */
  static synchronized void checkIn(String socketPath, String who) {
    try {
      SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socketPath));
      ByteBuffer line = ByteBuffer.wrap((who + "\n").getBytes(StandardCharsets.UTF_8));
      while (line.hasRemaining()) {
        channel.write(line);
      }
      CHECKED_IN.add(channel);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates {@code file} (the test side's release, or a child's "I got here" marker). */
  static void touch(String file) {
    try {
      Files.createFile(Path.of(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
