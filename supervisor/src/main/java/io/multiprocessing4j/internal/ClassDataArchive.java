package io.multiprocessing4j.internal;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Application class-data sharing (AppCDS) for child JVMs: an archive of the classes every agent
 * loads, made once per class path and JVM and reused by every later child, so they start faster and
 * share those pages in memory.
 *
 * <p>Java 17 can only archive jars (a non-empty directory on the class path fails the dump) and
 * silently runs at half speed from an archive whose jars changed since it was made. So: the archive
 * covers the jar entries of the class path; a child that uses it gets those jars first and any
 * directories after them; and the archive's file name is a hash of the JVM, its options and each
 * jar's path, size and modification time, so a changed jar simply means a new archive, never a stale
 * one. Archives are made by a training run — a real child running {@code NoOpTarget} with
 * {@code -XX:ArchiveClassesAtExit} — in the background: {@code start()} never waits for one, it uses
 * the archive once it is there. A file lock keeps concurrent parents from training the same archive.
 */
public final class ClassDataArchive {
  /** The cache directory, overridable with the system property {@code multiprocessing4j.cacheDir}. */
  public static final String CACHE_DIR_PROPERTY = "multiprocessing4j.cacheDir";

  private static final Logger LOG = LoggerFactory.getLogger(ClassDataArchive.class);

  private final Path directory;

  /** A launch as it should happen: the options and class path to use, and whether to train first. */
  public record Plan(List<String> jvmOptions, String classPath, Optional<Training> training) {}

  /** A training run to start: launch a NoOpTarget child with these options; then call {@link #finish}. */
  public record Training(List<String> jvmOptions, String classPath, Path archive, Path partial, FileLock lock) {}

  public ClassDataArchive(Path directory) {
    this.directory = directory;
  }

  /** The default cache: {@code $XDG_CACHE_HOME/multiprocessing4j/cds} or {@code ~/.cache/multiprocessing4j/cds}. */
  public static ClassDataArchive inDefaultCache() {
    String configured = System.getProperty(CACHE_DIR_PROPERTY);
    Path base;
    if (configured != null) {
      base = Path.of(configured);
    } else {
      String xdg = System.getenv("XDG_CACHE_HOME");
      base = (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache"))
          .resolve("multiprocessing4j");
    }
    return new ClassDataArchive(base.resolve("cds"));
  }

  /**
   * Plans a child launch. Uses a ready archive when there is one; otherwise launches without and, if
   * nobody is training this archive yet, returns a training to start in the background.
   */
  public Plan plan(String java, List<String> jvmOptions, String classPath) {
    if (jvmOptions.stream().anyMatch(option -> option.startsWith("-XX:SharedArchiveFile")
        || option.startsWith("-XX:ArchiveClassesAtExit") || option.equals("-Xshare:off"))) {
      return new Plan(jvmOptions, classPath, Optional.empty());
    }
    List<String> jars = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      (entry.endsWith(".jar") && Files.isRegularFile(Path.of(entry)) ? jars : others).add(entry);
    }
    if (jars.isEmpty()) {
      return new Plan(jvmOptions, classPath, Optional.empty());
    }
    String key;
    try {
      key = key(java, jvmOptions, jars);
    } catch (IOException e) {
      return new Plan(jvmOptions, classPath, Optional.empty());
    }
    Path archive = directory.resolve("agent-" + key + ".jsa");
    if (Files.isRegularFile(archive)) {
      List<String> options = new ArrayList<>(jvmOptions);
      options.add("-XX:SharedArchiveFile=" + archive);
      List<String> ordered = new ArrayList<>(jars);
      ordered.addAll(others);
      return new Plan(options, String.join(File.pathSeparator, ordered), Optional.empty());
    }
    return new Plan(jvmOptions, classPath, startTraining(jvmOptions, jars, archive));
  }

  private Optional<Training> startTraining(List<String> jvmOptions, List<String> jars, Path archive) {
    try {
      Files.createDirectories(directory);
      FileChannel lockFile = FileChannel.open(directory.resolve(archive.getFileName() + ".lock"),
          StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = lockFile.tryLock();
      } catch (OverlappingFileLockException trainingInThisJvm) {
        lock = null;
      }
      if (lock == null) {
        lockFile.close();
        return Optional.empty();
      }
      Path partial = directory.resolve(archive.getFileName() + "." + UUID.randomUUID() + ".partial");
      List<String> options = new ArrayList<>(jvmOptions);
      options.add("-XX:ArchiveClassesAtExit=" + partial);
      // The dump lists every class it skips as a warning on stdout; only errors matter here.
      options.add("-Xlog:cds=error,cds+dynamic=error");
      return Optional.of(new Training(options, String.join(File.pathSeparator, jars), archive, partial, lock));
    } catch (IOException | RuntimeException e) {
      LOG.debug("cannot train a class-data archive in {}", directory, e);
      return Optional.empty();
    }
  }

  /** Publishes a finished training's archive if it succeeded, and releases its lock. */
  public static void finish(Training training, boolean succeeded) {
    try {
      if (succeeded && Files.size(training.partial()) > 0) {
        Files.move(training.partial(), training.archive(), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      LOG.debug("class-data archive {} not published", training.archive(), e);
    } finally {
      try {
        Files.deleteIfExists(training.partial());
        training.lock().release();
        training.lock().channel().close();
      } catch (IOException ignored) {
        // A lock file left behind is harmless: tryLock works on it again.
      }
    }
  }

  private static String key(String java, List<String> jvmOptions, List<String> jars) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
    StringBuilder text = new StringBuilder()
        .append(java).append('\n')
        .append(System.getProperty("java.vm.version")).append('\n')
        .append(String.join(" ", jvmOptions)).append('\n');
    for (String jar : jars) {
      BasicFileAttributes attributes = Files.readAttributes(Path.of(jar), BasicFileAttributes.class);
      text.append(jar).append('|').append(attributes.size()).append('|')
          .append(attributes.lastModifiedTime().toMillis()).append('\n');
    }
    return HexFormat.of().formatHex(digest.digest(text.toString().getBytes(StandardCharsets.UTF_8)), 0, 12);
  }
}
