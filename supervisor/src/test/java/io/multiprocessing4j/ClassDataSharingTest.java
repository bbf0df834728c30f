package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multiprocessing4j.internal.ClassDataArchive;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spawn start method's class-data archive for real: made in the background by a first start (which
 * does not wait for it), then mapped by later children.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClassDataSharingTest {
  @TempDir
  Path cache;

  private String previousCacheDir;
  private Multiprocessing mp;

  @BeforeEach
  void useAPrivateCache() {
    previousCacheDir = System.setProperty(ClassDataArchive.CACHE_DIR_PROPERTY, cache.toString());
    mp = Multiprocessing.create();
  }

  @AfterEach
  void restore() {
    mp.close();
    if (previousCacheDir == null) {
      System.clearProperty(ClassDataArchive.CACHE_DIR_PROPERTY);
    } else {
      System.setProperty(ClassDataArchive.CACHE_DIR_PROPERTY, previousCacheDir);
    }
  }


  @Test
  void theFirstStartTrainsAnArchiveInTheBackgroundAndLaterChildrenMapIt() throws Exception {
    assumeTrue(Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
            .anyMatch(entry -> entry.contains("child-agent") && entry.endsWith(".jar")),
        "the agent is on the class path as a directory (mvn test without package): nothing to archive");
    Path archives = cache.resolve("cds");
    Files.createDirectories(archives);
    try (WatchService watcher = FileSystems.getDefault().newWatchService()) {
      archives.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
      Process first = mp.process(() -> { });
      first.start();
      assertTrue(first.join(Duration.ofSeconds(60)));
      assertEquals(0, first.exitCode().getAsInt(), "the first child ran without waiting for the archive");

      Path archive = awaitArchive(watcher, archives, Duration.ofSeconds(90));

      try (StdCapture out = StdCapture.stdout()) {
        Process second = mp.process(ClassDataSharingTest::readyThenWait);
        second.start();
        long pid = second.pid().getAsLong();
        out.awaitLine("cds-child-ready " + pid, Duration.ofSeconds(60));
        List<String> arguments = List.of(ProcessHandle.of(pid).orElseThrow().info().arguments().orElseThrow());
        assertTrue(arguments.contains("-XX:SharedArchiveFile=" + archive), arguments.toString());
        String maps = Files.readString(Path.of("/proc/" + pid + "/maps"));
        assertTrue(maps.contains(archive.getFileName().toString()), "the child JVM mapped the archive");
        List<String> archivesMapped = maps.lines().filter(line -> line.endsWith(".jsa")).toList();
        assertTrue(archivesMapped.stream().allMatch(line -> line.endsWith(archive.getFileName().toString())),
            "the archive replaces the JDK's default one: " + archivesMapped);
        second.terminate();
        assertTrue(second.join(Duration.ofSeconds(10)));
      }
    }
  }

  /** Child side: says it is up, then waits until it is terminated. */
  static void readyThenWait() {
    System.out.println("cds-child-ready " + Multiprocessing.currentProcess().pid());
    try {
      new CountDownLatch(1).await();
    } catch (InterruptedException terminated) {
      Thread.currentThread().interrupt();
    }
  }

  private static Path awaitArchive(WatchService watcher, Path archives, Duration limit)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      try (Stream<Path> files = Files.list(archives)) {
        var ready = files.filter(file -> file.getFileName().toString().endsWith(".jsa")).findFirst();
        if (ready.isPresent()) {
          return ready.get();
        }
      }
      WatchKey key = watcher.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (key == null) {
        throw new AssertionError("no class-data archive appeared in " + archives + " within " + limit);
      }
      key.pollEvents();
      key.reset();
    }
  }
}
