package io.multiprocessing4j.internal;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
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
 * one.
 *
 * <p>An archive is made by a training run ({@link RehearsedTraining} when this module is one of the
 * jars, else the agent's own {@code io.multiprocessing4j.agent.ClassDataTraining}: a JVM
 * that plays parent and agent at once under {@code -XX:DumpLoadedClassList}), then a second JVM dumps
 * the classes of that list ({@code -Xshare:dump}), all in one script started detached in the
 * background: {@code start()} never waits for it, a program that exits at once still gets its archive,
 * and the script publishes the archive with an atomic rename once the dump has written it. A marker
 * file keeps concurrent parents from training the same archive twice; a marker older than
 * {@link #TRAINING_LIMIT} is considered abandoned.
 *
 * <p>The archive is a static one, the JDK's classes and ours together, and a child maps it instead of
 * the JDK's default archive: a class loaded from an archive writes its metadata pages, so each child
 * holds a private copy of every page of the archive's read-write part that holds one of its classes,
 * and the archive's classes are laid out by name, so classes a child never loads sit between those
 * it does. A dynamic archive on top of the JDK's ({@code -XX:ArchiveClassesAtExit}) left ~250 of the
 * default archive's JDK classes among them; an archive of exactly what the training loaded kept
 * ~2.2 MiB less resident in a booted agent (VmRSS ~63,100 instead of ~65,400 kB; ~64,900 with the
 * JDK's class list added back). A JDK class that a target needs and the training never loaded comes
 * from the runtime image, as without class-data sharing.
 *
 * <p>Every rebuilt jar means a new archive (~30 MiB), so the cache is bounded: a launch that uses an
 * archive marks it used (its modification time, at most once per {@link #USE_MARK_INTERVAL}), and
 * starting a training run first removes all but the {@link #ARCHIVES_KEPT} most recently used
 * archives and any partial dump older than the training limit. Removing an archive a child has
 * mapped is harmless (the mapping outlives the name); a child planned with an archive removed
 * before it launched starts without one ({@code -Xshare:auto}).
 */
public final class ClassDataArchive {
  /** The cache directory, overridable with the system property {@code multiprocessing4j.cacheDir}. */
  public static final String CACHE_DIR_PROPERTY = "multiprocessing4j.cacheDir";
  static final Duration TRAINING_LIMIT = Duration.ofMinutes(3);
  /** How many archives the cache keeps: enough for a few class paths and JVM option sets in use. */
  static final int ARCHIVES_KEPT = 8;
  static final Duration USE_MARK_INTERVAL = Duration.ofHours(1);
  private static final String AGENT_TRAINING_MAIN = "io.multiprocessing4j.agent.ClassDataTraining";
  private static final Logger LOG = LoggerFactory.getLogger(ClassDataArchive.class);

  private final Path directory;
  private final Trainer trainer;

  /** A launch as it should happen: the options and class path to use. */
  public record Plan(List<String> jvmOptions, String classPath, boolean usesArchive) {}

  /** Makes the archive {@code archive} for a class path of {@code jars}; must not block for long. */
  @FunctionalInterface
  interface Trainer {
    void train(String java, List<String> jvmOptions, List<String> jars, Path archive) throws IOException;
  }

  public ClassDataArchive(Path directory) {
    this.directory = directory;
    this.trainer = this::startDetachedTraining;
  }

  ClassDataArchive(Path directory, Trainer trainer) {
    this.directory = directory;
    this.trainer = trainer;
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

  public Path directory() {
    return directory;
  }

  /**
   * Whether a child JVM option takes charge of class-data sharing itself (its own archive, no sharing,
   * or a dump or class list of its own): the child then gets no archive of ours, and no training runs
   * with it, whose own class list and dump would clash with it.
   */
  static boolean choosesItsOwnSharing(String option) {
    return option.startsWith("-XX:SharedArchiveFile") || option.startsWith("-XX:ArchiveClassesAtExit")
        || option.startsWith("-XX:DumpLoadedClassList") || option.startsWith("-XX:SharedClassListFile")
        || option.equals("-XX:+AutoCreateSharedArchive") || option.equals("-Xshare:off")
        || option.equals("-Xshare:dump");
  }

  /**
   * Plans a child launch: uses a ready archive when there is one; otherwise launches without and, if
   * nobody is making this archive yet, starts a training run in the background. Never blocks on it.
   */
  public Plan plan(String java, List<String> jvmOptions, String classPath) {
    if (jvmOptions.stream().anyMatch(ClassDataArchive::choosesItsOwnSharing)) {
      return new Plan(jvmOptions, classPath, false);
    }
    List<String> jars = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        (entry.endsWith(".jar") && Files.isRegularFile(Path.of(entry)) ? jars : others).add(entry);
      }
    }
    if (jars.isEmpty()) {
      return new Plan(jvmOptions, classPath, false);
    }
    Path archive;
    try {
      archive = archivePath(java, jvmOptions, jars);
    } catch (IOException e) {
      return new Plan(jvmOptions, classPath, false);
    }
    if (Files.isRegularFile(archive)) {
      markUsed(archive);
      List<String> options = new ArrayList<>(jvmOptions);
      options.add("-XX:SharedArchiveFile=" + archive);
      List<String> ordered = new ArrayList<>(jars);
      ordered.addAll(others);
      return new Plan(options, String.join(File.pathSeparator, ordered), true);
    }
    Path marker = directory.resolve(archive.getFileName() + ".training");
    try {
      Files.createDirectories(directory);
      if (claim(marker)) {
        prune();
        trainer.train(java, jvmOptions, jars, archive);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("cannot train a class-data archive in {}", directory, e);
    }
    return new Plan(jvmOptions, classPath, false);
  }

  /** Where the archive for this JVM, these options and these jars (as they are now) lives. */
  Path archivePath(String java, List<String> jvmOptions, List<String> jars) throws IOException {
    return directory.resolve("agent-" + key(java, jvmOptions, jars) + ".jsa");
  }

  private void startDetachedTraining(String java, List<String> jvmOptions, List<String> jars, Path archive)
      throws IOException {
    Path marker = directory.resolve(archive.getFileName() + ".training");
    try {
      String attempt = archive.getFileName() + "." + UUID.randomUUID();
      Path partial = directory.resolve(attempt + ".partial");
      Path classList = directory.resolve(attempt + ".classlist.partial");
      String classPath = String.join(File.pathSeparator, jars);
      List<String> training = new ArrayList<>();
      training.add(java);
      training.addAll(jvmOptions);
      training.add("-XX:DumpLoadedClassList=" + classList);
      training.add("-cp");
      training.add(classPath);
      training.add(trainingMain(jars));
      List<String> dump = new ArrayList<>();
      dump.add(java);
      dump.addAll(jvmOptions);
      dump.add("-Xshare:dump");
      dump.add("-XX:SharedClassListFile=" + classList);
      dump.add("-XX:SharedArchiveFile=" + partial);
      // The dump lists every class it skips as a warning on stdout; only errors matter here.
      dump.add("-Xlog:cds=error");
      dump.add("-cp");
      dump.add(classPath);
      // Detached (the shell exits at once, the JVMs are adopted by init): it finishes even if this JVM
      // does not, then publishes the archive by renaming it, and removes its marker either way.
      String script = quote(training) + " >/dev/null 2>&1 && " + quote(dump) + " >/dev/null 2>&1 && mv -f "
          + quote(partial) + " " + quote(archive)
          + "; rm -f " + quote(partial) + " " + quote(classList) + " " + quote(marker);
      new ProcessBuilder("/bin/sh", "-c", "(" + script + ") </dev/null >/dev/null 2>&1 &")
          .redirectErrorStream(true)
          .start()
          .waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The training that covers the most: {@link RehearsedTraining} needs this module's classes, which it
   * can only load (and the dump only accepts) from one of the archived jars; from a directory (a build's
   * {@code target/classes}) the agent's own training runs.
   */
  static String trainingMain(List<String> jars) {
    try {
      Path here = Path.of(RehearsedTraining.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toAbsolutePath().normalize();
      for (String jar : jars) {
        if (Path.of(jar).toAbsolutePath().normalize().equals(here)) {
          return RehearsedTraining.class.getName();
        }
      }
    } catch (URISyntaxException | RuntimeException e) {
      // No usable code source: the agent's training needs none.
    }
    return AGENT_TRAINING_MAIN;
  }

  private static void markUsed(Path archive) {
    try {
      Instant now = Instant.now();
      if (Files.getLastModifiedTime(archive).toInstant().isBefore(now.minus(USE_MARK_INTERVAL))) {
        Files.setLastModifiedTime(archive, FileTime.from(now));
      }
    } catch (IOException e) {
      LOG.debug("cannot mark {} as used", archive, e);
    }
  }

  /** Keeps the {@link #ARCHIVES_KEPT} most recently used archives and removes abandoned partial dumps. */
  void prune() throws IOException {
    List<Path> archives = new ArrayList<>();
    Instant abandoned = Instant.now().minus(TRAINING_LIMIT);
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        if (name.startsWith("agent-") && name.endsWith(".jsa")) {
          archives.add(file);
        } else if (name.endsWith(".partial") && Files.getLastModifiedTime(file).toInstant().isBefore(abandoned)) {
          Files.deleteIfExists(file);
        }
      }
    }
    if (archives.size() <= ARCHIVES_KEPT) {
      return;
    }
    Map<Path, FileTime> used = new HashMap<>();
    for (Path archive : archives) {
      used.put(archive, Files.getLastModifiedTime(archive));
    }
    archives.sort(Comparator.comparing(used::get, Comparator.reverseOrder()));
    for (Path stale : archives.subList(ARCHIVES_KEPT, archives.size())) {
      Files.deleteIfExists(stale);
    }
  }

  /** Creates the marker unless a live one exists; a marker older than the training limit is abandoned. */
  private static boolean claim(Path marker) throws IOException {
    try {
      Files.createFile(marker);
      return true;
    } catch (FileAlreadyExistsException e) {
      FileTime created = Files.getLastModifiedTime(marker);
      if (created.toInstant().isAfter(Instant.now().minus(TRAINING_LIMIT))) {
        return false;
      }
      Files.setLastModifiedTime(marker, FileTime.from(Instant.now()));
      return true;
    }
  }

  private static String quote(List<String> words) {
    List<String> quoted = new ArrayList<>();
    for (String word : words) {
      quoted.add(quote(word));
    }
    return String.join(" ", quoted);
  }

  private static String quote(Object word) {
    return "'" + word.toString().replace("'", "'\\''") + "'";
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
