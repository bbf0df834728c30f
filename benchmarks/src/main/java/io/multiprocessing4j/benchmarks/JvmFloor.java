package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.ProcessOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The floor our spawn start-up is measured against: {@code java <the children's JVM flags> -cp <dir> Hello},
 * where the directory holds {@link JvmFloorHello} and nothing else. One launch per repetition gives both
 * figures: launch until its line arrives ({@code jvm_floor_first_msg}, the floor of
 * {@code process_start_first_msg}) and launch until it has exited ({@code jvm_floor_start_join}, the floor
 * of {@code process_start_join}), each after the same settling pause as ours; then one idle Hello's
 * memory ({@code jvm_floor_rss}). All lines are {@code "extra": true}: Python has no counterpart.
 */
final class JvmFloor {
  private static final long STEP_LIMIT_SECONDS = 60;

  private JvmFloor() {}

  static void measure(Benches benches) throws Exception {
    Path dir = Files.createTempDirectory("mp4j-jvm-floor");
    try {
      List<String> command = command(dir, copyHello(dir));
      Map<String, Object> params = new LinkedHashMap<>();
      params.put("start_method", "none: plain java -cp <dir> Hello");
      params.put("jvm_options", String.join(" ", ProcessOptions.DEFAULT_JVM_OPTIONS));
      int reps = benches.reps(30, 6);
      List<Double> firstLine = new ArrayList<>();
      List<Double> exited = new ArrayList<>();
      for (int i = 0; i <= reps; i++) {
        Benches.settle(); // the same protocol as our start-ups
        long t0 = System.nanoTime();
        java.lang.Process hello = new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
          readFirstLine(hello);
          double lineMs = Benches.millisSince(t0);
          Benches.check(hello.waitFor(STEP_LIMIT_SECONDS, TimeUnit.SECONDS), "Hello did not exit");
          double exitMs = Benches.millisSince(t0);
          Benches.check(hello.exitValue() == 0, "Hello exited with " + hello.exitValue());
          if (i > 0) {
            firstLine.add(lineMs);
            exited.add(exitMs);
          }
        } finally {
          release(hello);
        }
      }
      benches.emit(BenchLine.ofSamples("jvm_floor_start_join", params, exited, "ms").extra());
      benches.emit(BenchLine.ofSamples("jvm_floor_first_msg", params, firstLine, "ms").extra());
      idleMemory(command, params, benches);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  private static void idleMemory(List<String> command, Map<String, Object> params, Benches benches)
      throws Exception {
    List<String> idle = new ArrayList<>(command);
    idle.add("idle");
    java.lang.Process hello = new ProcessBuilder(idle).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      readFirstLine(hello);
      Thread.sleep(300);
      Map<String, Double> rss = ProcMemory.rss(hello.pid());
      Map<String, Double> pss = ProcMemory.pss(hello.pid());
      hello.getOutputStream().close(); // end-of-file: Hello exits
      Benches.check(hello.waitFor(STEP_LIMIT_SECONDS, TimeUnit.SECONDS), "idle Hello did not exit");
      benches.emit(BenchLine.of("jvm_floor_rss", params, rss.get("VmRSS"), "MiB")
          .with("breakdown", BenchLine.round2(rss))
          .with("pss_mib", pss.get("Pss"))
          .with("pss_breakdown", BenchLine.round2(pss))
          .extra());
    } finally {
      release(hello);
    }
  }

  /** Kills Hello if it is still there and closes our ends of its pipes. */
  private static void release(java.lang.Process hello) throws IOException {
    hello.destroyForcibly();
    hello.getInputStream().close();
    hello.getOutputStream().close();
  }

  private static List<String> command(Path classDir, String mainClass) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ProcessOptions.DEFAULT_JVM_OPTIONS);
    command.add("-cp");
    command.add(classDir.toString());
    command.add(mainClass);
    return List.copyOf(command);
  }

  /** Copies Hello's class file into {@code dir} (in its package's folder); returns its class name. */
  private static String copyHello(Path dir) throws IOException {
    String resource = JvmFloorHello.class.getName().replace('.', '/') + ".class";
    Path target = dir.resolve(resource);
    Files.createDirectories(target.getParent());
    try (InputStream in = JvmFloorHello.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("class file not found: " + resource);
      }
      Files.copy(in, target);
    }
    return JvmFloorHello.class.getName();
  }

  private static void readFirstLine(java.lang.Process hello) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(hello.getInputStream(), StandardCharsets.UTF_8));
    Benches.check(out.readLine() != null, "Hello printed nothing");
  }
}
