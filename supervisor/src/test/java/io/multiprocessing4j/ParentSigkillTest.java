package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon policy when the parent dies abruptly: after a SIGKILL of the parent JVM its daemon child
 * is gone within 2 s, and its non-daemon child finishes its current target and then exits. The parent
 * is {@link OrphanParentMain} in a JVM of its own, launched with this JVM's class path.
 *
 * <p>The children are not this JVM's children, so there is no exit event for them in the JDK (its
 * {@code onExit()} polls such processes and counts an unreaped zombie as alive). Instead each child
 * checks in on a Unix socket of this test and keeps the connection open; the kernel closes it the
 * moment the child dies, and the test sees end-of-file.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ParentSigkillTest {
  private static final Duration DAEMON_GONE_WITHIN = Duration.ofSeconds(2);
  private static final Duration CHILDREN_BOOT = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  @Test
  void daemonChildDiesWithItsKilledParentAndNonDaemonChildFinishesItsTarget() throws Exception {
    Path stderr = dir.resolve("parent-stderr.txt");
    List<Long> orphans = new ArrayList<>();
    java.lang.Process parent = null;
    try (ServerSocketChannel checkIns = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      Path socket = dir.resolve("check-in.sock");
      checkIns.bind(UnixDomainSocketAddress.of(socket));
      parent = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-cp", System.getProperty("java.class.path"),
          OrphanParentMain.class.getName(), dir.toString(), socket.toString())
          .redirectError(stderr.toFile())
          .start();
      CompletableFuture<long[]> pids = readPids(parent);

      Map<String, SocketChannel> children;
      try {
        children = CompletableFuture.supplyAsync(() -> acceptCheckIns(checkIns, 2))
            .get(CHILDREN_BOOT.toMillis(), TimeUnit.MILLISECONDS);
        long[] both = pids.get(CHILDREN_BOOT.toMillis(), TimeUnit.MILLISECONDS);
        orphans.add(both[0]);
        orphans.add(both[1]);
      } catch (TimeoutException e) {
        throw new AssertionError("the parent JVM's children did not check in; its stderr:\n" + Files.readString(stderr));
      }
      SocketChannel daemon = children.get("daemon");
      SocketChannel worker = children.get("worker");

      long killedAt = System.nanoTime();
      parent.destroyForcibly();
      parent.onExit().get(10, TimeUnit.SECONDS);

      assertTrue(awaitEndOfFile(daemon, DAEMON_GONE_WITHIN.minusNanos(System.nanoTime() - killedAt)),
          "the daemon child outlived its SIGKILLed parent by more than " + DAEMON_GONE_WITHIN);
      long daemonGoneMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      System.err.println("[measure] parent SIGKILL -> daemon child dead: " + daemonGoneMs + " ms");

      Path finished = dir.resolve("worker-finished");
      assertFalse(awaitEndOfFile(worker, Duration.ZERO), "the non-daemon child is still running its target");
      assertFalse(Files.exists(finished));

      long releasedAt = System.nanoTime();
      ChildSide.touch(dir.resolve("release").toString());
      assertTrue(awaitEndOfFile(worker, Duration.ofSeconds(10)), "the non-daemon child exits once its target is done");
      System.err.println("[measure] orphaned non-daemon child: release -> dead: "
          + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - releasedAt) + " ms");
      assertTrue(Files.exists(finished), "the non-daemon child finished its target before exiting");
    } finally {
      // The orphans are no longer our descendants, so the shared leak check cannot see them.
      if (parent != null) {
        parent.destroyForcibly();
      }
      for (long pid : orphans) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  /** Accepts {@code count} check-ins and returns each connection by the name its child gave. */
  private static Map<String, SocketChannel> acceptCheckIns(ServerSocketChannel server, int count) {
    Map<String, SocketChannel> children = new HashMap<>();
    try {
      while (children.size() < count) {
        SocketChannel child = server.accept();
        ByteBuffer line = ByteBuffer.allocate(64);
        while (line.position() == 0 || line.get(line.position() - 1) != '\n') {
          if (child.read(line) < 0) {
            throw new IOException("a child closed its check-in early");
          }
        }
        children.put(new String(line.array(), 0, line.position() - 1, StandardCharsets.UTF_8), child);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    assertEquals(Map.of("daemon", true, "worker", true),
        Map.of("daemon", children.containsKey("daemon"), "worker", children.containsKey("worker")));
    return children;
  }

  /** Whether {@code connection} reaches end-of-file (its process died) within {@code timeout}. */
  private static boolean awaitEndOfFile(SocketChannel connection, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
    connection.configureBlocking(false);
    ByteBuffer sink = ByteBuffer.allocate(64);
    try (Selector selector = Selector.open()) {
      connection.register(selector, SelectionKey.OP_READ);
      while (true) {
        int read;
        try {
          read = connection.read(sink.clear());
        } catch (IOException reset) {
          return true;
        }
        if (read < 0) {
          return true;
        }
        long left = deadline - System.nanoTime();
        if (read == 0 && left <= 0) {
          return false;
        }
        if (read == 0) {
          selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
          selector.selectedKeys().clear();
        }
      }
    }
  }

  /** Completes with the two pids the parent prints ({@code PIDS <daemon> <worker>}). */
  private static CompletableFuture<long[]> readPids(java.lang.Process parent) {
    CompletableFuture<long[]> pids = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(parent.getInputStream(), Charset.defaultCharset()))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("PIDS ")) {
            String[] parts = line.split(" ");
            pids.complete(new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])});
          }
        }
      } catch (IOException e) {
        // The parent is gone.
      }
      pids.completeExceptionally(new IllegalStateException("the parent printed no pids"));
    }, "orphan-parent-stdout");
    reader.setDaemon(true);
    reader.start();
    return pids;
  }
}
