package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** How launches are planned around the class-data archive: used when fresh, never stale, never waited for. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClassDataArchiveTest {
  private static final String JAVA = JvmLauncher.currentJava();
  private static final List<String> OPTIONS = List.of("-Xshare:auto");

  @TempDir
  Path temp;

  private final List<Path> trained = new ArrayList<>();

  private ClassDataArchive archive() {
    return new ClassDataArchive(temp.resolve("cache"), (java, options, jars, archive) -> trained.add(archive));
  }

  private Path jar(String name) throws IOException {
    return Files.write(temp.resolve(name), new byte[] {1, 2, 3});
  }

  @Test
  void theRehearsedTrainingRunsOnlyWhenThisModuleIsAmongTheArchivedJars() throws Exception {
    Path a = jar("a.jar");
    String module = Path.of(RehearsedTraining.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .toString();

    assertEquals("io.multiprocessing4j.agent.ClassDataTraining", ClassDataArchive.trainingMain(List.of(a.toString())),
        "without this module's jar only the agent can be trained");
    assertEquals(RehearsedTraining.class.getName(), ClassDataArchive.trainingMain(List.of(a.toString(), module)));
  }

  @Test
  void withoutAnArchiveTheChildStartsPlainAndOneTrainingIsStarted() throws IOException {
    Path a = jar("a.jar");
    ClassDataArchive cds = archive();
    ClassDataArchive.Plan first = cds.plan(JAVA, OPTIONS, a.toString());
    ClassDataArchive.Plan second = cds.plan(JAVA, OPTIONS, a.toString());

    assertFalse(first.usesArchive());
    assertEquals(OPTIONS, first.jvmOptions());
    assertEquals(a.toString(), first.classPath());
    assertEquals(1, trained.size(), "a second start while training runs must not train again");
    assertFalse(second.usesArchive());
  }

  @Test
  void aReadyArchiveIsUsedWithDirectoriesAfterTheArchivedJars() throws IOException {
    Path a = jar("a.jar");
    Path b = jar("b.jar");
    Path classes = Files.createDirectories(temp.resolve("classes"));
    ClassDataArchive cds = archive();
    Path ready = cds.archivePath(JAVA, OPTIONS, List.of(a.toString(), b.toString()));
    Files.createDirectories(ready.getParent());
    Files.write(ready, new byte[] {0});

    String classPath = String.join(File.pathSeparator, classes.toString(), a.toString(), b.toString());
    ClassDataArchive.Plan plan = cds.plan(JAVA, OPTIONS, classPath);

    assertTrue(plan.usesArchive());
    assertEquals(String.join(File.pathSeparator, a.toString(), b.toString(), classes.toString()), plan.classPath());
    assertEquals("-XX:SharedArchiveFile=" + ready, plan.jvmOptions().get(plan.jvmOptions().size() - 1));
    assertTrue(trained.isEmpty());
  }

  @Test
  void aJarThatChangedMeansANewArchiveNeverTheStaleOne() throws IOException {
    Path a = jar("a.jar");
    ClassDataArchive cds = archive();
    Path old = cds.archivePath(JAVA, OPTIONS, List.of(a.toString()));
    Files.createDirectories(old.getParent());
    Files.write(old, new byte[] {0});

    Files.setLastModifiedTime(a, FileTime.from(Instant.now().plusSeconds(60)));
    ClassDataArchive.Plan plan = cds.plan(JAVA, OPTIONS, a.toString());

    assertFalse(plan.usesArchive(), "the archive made from the old jar must not be used");
    assertEquals(1, trained.size());
    assertNotEquals(old, trained.get(0));
  }

  @Test
  void otherJvmOptionsMeanAnotherArchive() throws IOException {
    Path a = jar("a.jar");
    ClassDataArchive cds = archive();
    assertNotEquals(cds.archivePath(JAVA, OPTIONS, List.of(a.toString())),
        cds.archivePath(JAVA, List.of("-Xshare:auto", "-Xmx64m"), List.of(a.toString())));
  }

  @Test
  void aClassPathOfDirectoriesOnlyCannotBeArchived() throws IOException {
    Path classes = Files.createDirectories(temp.resolve("classes"));
    ClassDataArchive.Plan plan = archive().plan(JAVA, OPTIONS, classes.toString());
    assertFalse(plan.usesArchive());
    assertTrue(trained.isEmpty());
  }

  @Test
  void optionsThatChooseTheirOwnSharingAreLeftAlone() throws IOException {
    Path a = jar("a.jar");
    ClassDataArchive cds = archive();
    for (String own : List.of("-Xshare:off", "-Xshare:dump", "-XX:SharedArchiveFile=/tmp/own.jsa",
        "-XX:ArchiveClassesAtExit=/tmp/own.jsa", "-XX:DumpLoadedClassList=/tmp/own.classlist",
        "-XX:SharedClassListFile=/tmp/own.classlist", "-XX:+AutoCreateSharedArchive")) {
      List<String> options = List.of("-Xmx64m", own);
      ClassDataArchive.Plan plan = cds.plan(JAVA, options, a.toString());
      assertFalse(plan.usesArchive(), own);
      assertEquals(options, plan.jvmOptions(), own);
    }
    assertTrue(trained.isEmpty(), "no training runs with options that choose their own sharing: " + trained);
  }

  @Test
  void anAbandonedTrainingIsRetried() throws IOException {
    Path a = jar("a.jar");
    ClassDataArchive cds = archive();
    cds.plan(JAVA, OPTIONS, a.toString());
    Path marker = Path.of(trained.get(0) + ".training");
    Files.setLastModifiedTime(marker,
        FileTime.from(Instant.now().minus(ClassDataArchive.TRAINING_LIMIT).minusSeconds(1)));

    cds.plan(JAVA, OPTIONS, a.toString());
    assertEquals(2, trained.size());
  }

  @Test
  void trainingANewArchiveKeepsOnlyTheMostRecentlyUsedOnes() throws IOException {
    Path cache = Files.createDirectories(temp.resolve("cache"));
    Instant start = Instant.now().minus(Duration.ofDays(30));
    List<Path> old = new ArrayList<>();
    for (int i = 0; i < ClassDataArchive.ARCHIVES_KEPT + 3; i++) {
      Path stale = Files.write(cache.resolve("agent-" + i + ".jsa"), new byte[] {0});
      Files.setLastModifiedTime(stale, FileTime.from(start.plus(Duration.ofHours(i))));
      old.add(stale);
    }
    Path partial = Files.write(cache.resolve("agent-x.jsa.1234.partial"), new byte[] {0});
    Files.setLastModifiedTime(partial, FileTime.from(start));
    Path a = jar("a.jar");
    ClassDataArchive cds = archive();
    Path used = cds.archivePath(JAVA, OPTIONS, List.of(a.toString()));
    Files.write(used, new byte[] {0});
    Files.setLastModifiedTime(used, FileTime.from(start.minus(Duration.ofDays(1))));

    assertTrue(cds.plan(JAVA, OPTIONS, a.toString()).usesArchive());
    assertTrue(Files.getLastModifiedTime(used).toInstant().isAfter(Instant.now().minusSeconds(60)),
        "a launch marks its archive used");
    cds.plan(JAVA, List.of("-Xshare:auto", "-Xmx64m"), a.toString());

    assertEquals(1, trained.size());
    assertTrue(Files.exists(used), "the archive just used is kept");
    assertFalse(Files.exists(partial), "an abandoned partial dump is removed");
    long kept = old.stream().filter(Files::exists).count();
    assertEquals(ClassDataArchive.ARCHIVES_KEPT - 1, kept);
    assertFalse(Files.exists(old.get(0)), "the least recently used go first");
    assertTrue(Files.exists(old.get(old.size() - 1)));
  }
}
