package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * This JVM as the remote side, the parent a JVM of its own ({@link RemoteParentMain}): a get or recv
 * blocked here must fail with the library's "gone" answer when the parent's context closes or its JVM
 * is killed, never hang; and handles closed here leave no session behind.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RemoteSideTest {
  /** A killed parent is noticed by the failure detector (about 5 s); a closed one at once. */
  private static final long FAILS_WITHIN_SECONDS = 30;

  @TempDir
  Path dir;
  private java.lang.Process parent;
  private Writer parentStdin;
  private BufferedReader parentStdout;
  private RemoteContext remote;
  private String parentAddress;
  private byte[] parentAuthkey;

  @AfterEach
  void stop() throws Exception {
    if (remote != null) {
      remote.close();
    }
    RemotePeers.kill(parent);
  }

  @Test
  void aBlockedGetAndRecvFailWhenTheParentJvmIsKilled() throws Exception {
    Blocked blocked = connectAndBlock();
    long killedAt = System.nanoTime();
    parent.destroyForcibly();
    blocked.assertGone();
    System.err.println("[measure] parent SIGKILL -> remote get and recv fail: "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt) + " ms");
  }

  @Test
  void aBlockedGetAndRecvFailWhenTheParentsContextCloses() throws Exception {
    Blocked blocked = connectAndBlock();
    long closedAt = System.nanoTime();
    parentStdin.write("close\n");
    parentStdin.flush();
    blocked.assertGone();
    System.err.println("[measure] parent context closed -> remote get and recv fail: "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt) + " ms");
  }

  @Test
  void closedPipeEndsLeaveNoSessionBehind() throws Exception {
    startParent();
    Queue<Object> queue = remote.lookup("q");
    assertEquals(0, queue.qsize());
    assertEquals(1, remote.openSessions(), "the queue's session");
    for (int i = 0; i < 10; i++) {
      Connection<Object> end = remote.lookup("end");
      end.send("ping " + i);
      end.close();
    }
    assertEquals(1, remote.openSessions(), "each closed end's session ended with it; the queue's stays open");
  }

  @Test
  void aSecondConnectToTheSameContextIsRefusedAndLeavesTheFirstIntact() throws Exception {
    startParent();
    Connection<Object> end = remote.lookup("end");
    end.send("attached");
    assertEquals(1, remote.openSessions());
    IllegalStateException twice = assertThrows(IllegalStateException.class,
        () -> Multiprocessing.connect(parentAddress, parentAuthkey));
    assertTrue(twice.getMessage().contains("already"), twice.getMessage());
    Connection<Object> again = remote.lookup("end");
    again.send("still attached");
    assertEquals(1, remote.openSessions(), "the end looked up again shares the first one's session");
  }

  /** A get of "q" and a recv of "end", each blocked in a thread of its own. */
  private record Blocked(CompletableFuture<Object> get, CompletableFuture<Object> recv) {
    void assertGone() throws Exception {
      Throwable getFailure = failure(get);
      assertInstanceOf(IllegalStateException.class, getFailure);
      // What a child's get says: gone with its parent, or refused by the broker as its context closed.
      assertTrue(getFailure.getMessage().contains("the queue is gone")
          || getFailure.getMessage().contains("its Multiprocessing context was closed"), getFailure.getMessage());
      assertInstanceOf(PipeClosedException.class, failure(recv));
    }

    private static Throwable failure(CompletableFuture<Object> call) throws Exception {
      try {
        Object result = call.get(FAILS_WITHIN_SECONDS, TimeUnit.SECONDS);
        throw new AssertionError("the call returned " + result + " although its parent is gone");
      } catch (ExecutionException e) {
        return e.getCause();
      } catch (TimeoutException e) {
        throw new AssertionError("the call still waits " + FAILS_WITHIN_SECONDS + " s after its parent went", e);
      }
    }
  }

  private Blocked connectAndBlock() throws Exception {
    startParent();
    Queue<Object> queue = remote.lookup("q");
    Connection<Object> end = remote.lookup("end");
    assertEquals(0, queue.qsize(), "the queue answers over remoting");
    CompletableFuture<Object> get = blockIn("remote-get", queue::get);
    CompletableFuture<Object> recv = blockIn("remote-recv", end::recv);
    return new Blocked(get, recv);
  }

  /** Starts the parent JVM and connects this one to its context. */
  private void startParent() throws Exception {
    parent = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"),
        RemoteParentMain.class.getName())
        .redirectError(dir.resolve("parent-stderr.txt").toFile())
        .start();
    parentStdin = new OutputStreamWriter(parent.getOutputStream(), StandardCharsets.UTF_8);
    parentStdout = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
    String[] serving;
    try {
      serving = CompletableFuture.supplyAsync(this::readServingLine).get(60, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the parent JVM did not start serving: " + Files.readString(dir.resolve("parent-stderr.txt")));
    }
    assertEquals("SERVING", serving[0]);
    parentAddress = serving[1];
    parentAuthkey = HexFormat.of().parseHex(serving[2]);
    remote = Multiprocessing.connect(parentAddress, parentAuthkey);
  }

  private String[] readServingLine() {
    try {
      String line = parentStdout.readLine();
      return line == null ? new String[] {"(end of output)"} : line.split(" ");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private interface BlockingCall {
    Object call() throws Exception;
  }

  /** Runs {@code call} in a thread of its own and returns once that thread waits in it. */
  private static CompletableFuture<Object> blockIn(String name, BlockingCall call) {
    CompletableFuture<Object> result = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        result.complete(call.call());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
    while (thread.getState() != Thread.State.WAITING && !result.isDone()) {
      Thread.onSpinWait();
    }
    return result;
  }
}
