package io.multiprocessing4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Event synchronisation between a pool test and the tasks it runs in worker JVMs, without sleeping:
 * a task {@linkplain #checkIn checks in} on the test's Unix socket (saying its worker's pid) and
 * waits there until the test {@linkplain CheckIn#release releases} it; the test {@linkplain #next
 * waits for} the check-in. A task whose worker dies simply vanishes (the test closes its connection).
 */
final class PoolCheckIns implements AutoCloseable {
  /** How long the test waits for a check-in before it fails. */
  private static final int CHECK_IN_LIMIT_SECONDS = 60;

  /** One task waiting at the test's socket. */
  record CheckIn(long pid, SocketChannel connection) {
    /** Lets the task go on. */
    void release() {
      try {
        connection.write(ByteBuffer.wrap(new byte[] {1}));
      } catch (IOException e) {
        // The task's worker is gone; nothing is waiting any more.
      }
    }
  }

  private final Path directory;
  private final Path socket;
  private final ServerSocketChannel server;
  private final BlockingQueue<CheckIn> arrivals = new ArrayBlockingQueue<>(1024);
  private final List<SocketChannel> connections = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  PoolCheckIns() throws IOException {
    directory = Files.createTempDirectory("mp4j-pool-test-");
    socket = directory.resolve("check-in.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = new Thread(this::accept, "pool-test-check-ins");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Where tasks check in: pass it to them as a String. */
  String socket() {
    return socket.toString();
  }

  /** Waits for the next task to check in. */
  CheckIn next() throws InterruptedException {
    CheckIn arrival = arrivals.poll(CHECK_IN_LIMIT_SECONDS, TimeUnit.SECONDS);
    if (arrival == null) {
      throw new IllegalStateException("no task checked in within " + CHECK_IN_LIMIT_SECONDS + " s");
    }
    return arrival;
  }

  private void accept() {
    try {
      while (true) {
        SocketChannel connection = server.accept();
        connections.add(connection);
        ByteBuffer line = ByteBuffer.allocate(32);
        while (line.position() == 0 || line.get(line.position() - 1) != '\n') {
          if (connection.read(line) < 0) {
            break;
          }
        }
        String pid = new String(line.array(), 0, line.position(), StandardCharsets.US_ASCII).trim();
        if (!pid.isEmpty()) {
          arrivals.add(new CheckIn(Long.parseLong(pid), connection));
        }
      }
    } catch (IOException closed) {
      // The test is over.
    }
  }

  /**
   * Worker side: checks in with this worker's pid and blocks until the test releases the task or its
   * socket closes (the test ended). Throws if interrupted (what terminate() does to a running task).
   */
  static void checkIn(String socket) {
    try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
      channel.read(ByteBuffer.allocate(1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (SocketChannel connection : connections) {
      connection.close();
    }
    Files.deleteIfExists(socket);
    Files.deleteIfExists(directory);
  }
}
