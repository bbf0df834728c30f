package io.multiprocessing4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How one child process is started: an immutable value, refined with {@code with...} methods.
 *
 * <table>
 *   <caption>Keys, meaning and defaults</caption>
 *   <tr><th>key</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>name</td><td>the process name, as Python's {@code name=}</td>
 *       <td>{@code Process-N}, N counting per context from 1 ({@code Process-1:N} inside child Process-1)</td></tr>
 *   <tr><td>daemon</td><td>a daemon child never outlives its parent: it is terminated when the context
 *       closes and halts within moments of its parent's death, however the parent died; it may not
 *       start children of its own</td><td>false</td></tr>
 *   <tr><td>jvmOptions</td><td>the child JVM's options, replacing the defaults</td>
 *       <td>{@link #DEFAULT_JVM_OPTIONS}</td></tr>
 *   <tr><td>classPath</td><td>the child's class path</td><td>this JVM's {@code java.class.path}</td></tr>
 *   <tr><td>terminateGrace</td><td>how long {@link Process#terminate()} waits for the child to stop
 *       before it kills it</td><td>2 seconds</td></tr>
 * </table>
 */
public final class ProcessOptions {
  /**
   * Flags tuned for short-lived agents with small heaps: C1 only and one compiler thread (fast start,
   * little CPU stolen from siblings on small machines), the serial collector (the smallest footprint),
   * a small initial heap that grows on demand and gives memory back (free-ratio bounds) and a smaller
   * young generation (see the comment on that flag), smaller thread stacks, no perf-data file, class
   * data sharing on and mapped so that children share its pages (see the comment on those two flags),
   * and, on JVMs that have it (17.0.9+, 21.0.1+, 22+), freed C-heap memory given back to the system
   * every second (see {@link #trimsNativeHeap}). The maximum heap is left to the JVM (a quarter of
   * RAM), so a task may use what it needs; add {@code -Xmx...} to cap it.
   */
  public static final List<String> DEFAULT_JVM_OPTIONS = defaultJvmOptions();

  private static List<String> defaultJvmOptions() {
    List<String> options = new ArrayList<>(List.of(
        "-XX:TieredStopAtLevel=1",
        "-XX:CICompilerCount=1",
        "-XX:+UseSerialGC",
        "-Xms4m",
        "-XX:MinHeapFreeRatio=10",
        "-XX:MaxHeapFreeRatio=30",
        // A young generation of a fifth of the heap instead of a third: an idle agent's heap is mostly
        // its long-lived boot state, and every page of eden stays resident once used, so this keeps
        // ~1.5 MiB out of every booted child. The young generation still grows with the heap.
        "-XX:NewRatio=4",
        "-Xss512k",
        "-XX:-UsePerfData",
        "-Xshare:auto",
        // Map class-data archives where they were dumped instead of relocating them (Debian's JDK 17
        // relocates by default): relocation writes to every archive page, so no child could share them.
        // The cost is the archive's address-space randomization.
        "-XX:+UnlockDiagnosticVMOptions",
        "-XX:ArchiveRelocationMode=0"));
    if (trimsNativeHeap(Runtime.version())) {
      // glibc keeps what the JVM frees (the compiler's arenas after the agent's boot, ~1 MiB) resident
      // unless asked; the JVM's trimmer asks once a second. Experimental before 17.0.11 and 21.0.3.
      options.add("-XX:+UnlockExperimentalVMOptions");
      options.add("-XX:TrimNativeHeapInterval=1000");
    }
    return List.copyOf(options);
  }

  /**
   * Whether a child JVM of {@code version} accepts {@code -XX:TrimNativeHeapInterval}: added in 17.0.9,
   * 21.0.1 and 22, absent from 18-20; an unknown {@code -XX} flag would stop the JVM from starting.
   * Children run the parent's own JVM, so its version decides.
   */
  static boolean trimsNativeHeap(Runtime.Version version) {
    return switch (version.feature()) {
      case 17 -> version.update() >= 9;
      case 21 -> version.update() >= 1;
      default -> version.feature() >= 22;
    };
  }

  /**
   * The longest {@code terminateGrace}, about 24.8 days: the child is told its grace in whole
   * milliseconds in a 32-bit field, and the supervisor must be able to schedule the kill.
   */
  public static final Duration MAX_TERMINATE_GRACE = Duration.ofMillis(Integer.MAX_VALUE);

  private static final ProcessOptions DEFAULTS =
      new ProcessOptions(null, false, DEFAULT_JVM_OPTIONS, null, Duration.ofSeconds(2));

  private final String name;
  private final boolean daemon;
  private final List<String> jvmOptions;
  private final String classPath;
  private final Duration terminateGrace;

  private ProcessOptions(String name, boolean daemon, List<String> jvmOptions, String classPath,
      Duration terminateGrace) {
    this.name = name;
    this.daemon = daemon;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.classPath = classPath;
    this.terminateGrace = terminateGrace;
  }

  /** The defaults listed above. */
  public static ProcessOptions defaults() {
    return DEFAULTS;
  }

  public ProcessOptions withName(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a process name must not be blank");
    }
    return new ProcessOptions(name, daemon, jvmOptions, classPath, terminateGrace);
  }

  public ProcessOptions withDaemon(boolean daemon) {
    return new ProcessOptions(name, daemon, jvmOptions, classPath, terminateGrace);
  }

  public ProcessOptions withJvmOptions(List<String> jvmOptions) {
    Objects.requireNonNull(jvmOptions, "jvmOptions");
    for (String option : jvmOptions) {
      if (option == null || !option.startsWith("-")) {
        throw new IllegalArgumentException("not a JVM option: " + option + " (options start with '-')");
      }
    }
    return new ProcessOptions(name, daemon, jvmOptions, classPath, terminateGrace);
  }

  public ProcessOptions withClassPath(String classPath) {
    if (classPath == null || classPath.isBlank()) {
      throw new IllegalArgumentException("a class path must not be blank");
    }
    return new ProcessOptions(name, daemon, jvmOptions, classPath, terminateGrace);
  }

  /**
   * @throws IllegalArgumentException if it is null, negative or longer than {@link #MAX_TERMINATE_GRACE}
   */
  public ProcessOptions withTerminateGrace(Duration terminateGrace) {
    if (terminateGrace == null || terminateGrace.isNegative()) {
      throw new IllegalArgumentException("terminateGrace must be zero or positive, was " + terminateGrace);
    }
    if (terminateGrace.compareTo(MAX_TERMINATE_GRACE) > 0) {
      throw new IllegalArgumentException("terminateGrace must be at most " + MAX_TERMINATE_GRACE + ", was "
          + terminateGrace);
    }
    return new ProcessOptions(name, daemon, jvmOptions, classPath, terminateGrace);
  }

  /** The name, or null when the context or supervisor is to choose one. */
  public String name() {
    return name;
  }

  public boolean daemon() {
    return daemon;
  }

  public List<String> jvmOptions() {
    return jvmOptions;
  }

  /** The class path, or null for this JVM's own. */
  public String classPath() {
    return classPath;
  }

  public Duration terminateGrace() {
    return terminateGrace;
  }

  @Override
  public String toString() {
    return "ProcessOptions[name=" + name + ", daemon=" + daemon + ", jvmOptions=" + jvmOptions
        + ", terminateGrace=" + terminateGrace + (classPath == null ? "" : ", classPath=" + classPath) + "]";
  }
}
