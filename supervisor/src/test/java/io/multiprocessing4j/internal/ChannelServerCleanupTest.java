package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.wire.FrameChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Private channel directories never outlive their owner for long, even one killed outright. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelServerCleanupTest {
  private static final Path TMP = Path.of(System.getProperty("java.io.tmpdir"));

  @Test
  void closeRemovesTheDirectory() {
    ChannelServer server = ChannelServer.open(Duration.ofSeconds(1), FrameChannel.DEFAULT_MAX_FRAME_BYTES);
    Path directory = server.directory();
    assertTrue(Files.isDirectory(directory));
    assertTrue(directory.getFileName().toString().startsWith("mp4j-" + ProcessHandle.current().pid() + "-"));
    server.close();
    assertFalse(Files.exists(directory));
  }

  /**
   * The context and its supervisor's PostStop close the server at the same moment, while something
   * else (a sweep) removes files from the directory: every close returns and the directory is gone.
   */
  @Test
  void closesRacingEachOtherAndAnotherRemoverBothReturnAndRemoveTheDirectory() throws Exception {
    for (int round = 0; round < 10; round++) {
      ChannelServer server = ChannelServer.open(Duration.ofSeconds(1), FrameChannel.DEFAULT_MAX_FRAME_BYTES);
      Path directory = server.directory();
      for (int file = 0; file < 500; file++) { // a longer walk, for the three to overlap in
        Files.createFile(directory.resolve("endpoint-" + file));
      }
      CyclicBarrier together = new CyclicBarrier(3);
      Callable<Void> close = () -> {
        together.await(10, TimeUnit.SECONDS);
        server.close();
        return null;
      };
      Callable<Void> remover = () -> {
        together.await(10, TimeUnit.SECONDS);
        for (int file = 499; file >= 0; file--) {
          Files.deleteIfExists(directory.resolve("endpoint-" + file));
        }
        return null;
      };
      ExecutorService threads = Executors.newFixedThreadPool(3);
      try {
        for (Future<Void> done : threads.invokeAll(List.of(close, close, remover), 20, TimeUnit.SECONDS)) {
          done.get();
        }
      } finally {
        threads.shutdownNow();
      }
      assertFalse(Files.exists(directory), "round " + round + ": " + directory);
    }
  }

  @Test
  void aDirectoryLeftByAKilledOwnerIsRemovedByTheNextServer() throws Exception {
    java.lang.Process gone = new ProcessBuilder("true").start();
    gone.onExit().get(10, TimeUnit.SECONDS);
    Path stale = Files.createDirectory(TMP.resolve("mp4j-" + gone.pid() + "-stale" + System.nanoTime()));
    Files.writeString(stale.resolve("agents.sock"), "left behind");
    Path living = Files.createDirectory(TMP.resolve("mp4j-" + ProcessHandle.current().pid() + "-alive" + System.nanoTime()));
    try {
      ChannelServer.open(Duration.ofSeconds(1), FrameChannel.DEFAULT_MAX_FRAME_BYTES).close();
      assertFalse(Files.exists(stale), "the dead owner's directory is swept");
      assertTrue(Files.exists(living), "a living owner's directory is left alone");
    } finally {
      deleteQuietly(stale.resolve("agents.sock"));
      deleteQuietly(stale);
      deleteQuietly(living);
    }
  }

  @Test
  void theSocketDirectoryOfADeadManagerIsRemovedByTheNextServer() throws Exception {
    java.lang.Process gone = new ProcessBuilder("true").start();
    gone.onExit().get(10, TimeUnit.SECONDS);
    Path stale = Files.createTempDirectory(TMP, ManagerServer.directoryPrefix(gone.pid()));
    Path living = Files.createTempDirectory(TMP, ManagerServer.directoryPrefix(ProcessHandle.current().pid()));
    assertTrue(ManagerServer.isSocketDirectory(stale), stale.toString());
    Files.writeString(stale.resolve("manager.sock"), "left behind");
    try {
      ChannelServer.open(Duration.ofSeconds(1), FrameChannel.DEFAULT_MAX_FRAME_BYTES).close();
      assertFalse(Files.exists(stale), "the dead manager's directory is swept");
      assertTrue(Files.exists(living), "a living manager's directory is left alone");
    } finally {
      deleteQuietly(stale.resolve("manager.sock"));
      deleteQuietly(stale);
      deleteQuietly(living);
    }
  }

  private static void deleteQuietly(Path path) throws IOException {
    Files.deleteIfExists(path);
  }
}
