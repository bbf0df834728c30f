package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Bootstrap;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Launches child JVMs. The one class that touches {@link java.lang.Process}: everything else sees a
 * {@link LaunchedJvm}.
 *
 * <p>A child is started as {@code java <jvm options> -cp <class path> io.multiprocessing4j.agent.ChildMain}
 * with all three standard streams piped. Its bootstrap (socket path, child key, identity) is written to
 * its stdin, so no secret is ever on a command line or in the environment, and the pipe stays open:
 * its end-of-file is how the child learns that the parent died. Its stdout and stderr are copied line
 * by line to this JVM's {@code System.out}/{@code System.err} (looked up per line, so redirections
 * apply), and a line is printed whole, never interleaved with another.
 */
public final class JvmLauncher {
  /** The agent's main class, by name, so this module does not load child-side classes to launch one. */
  static final String CHILD_MAIN = "io.multiprocessing4j.agent.ChildMain";

  private JvmLauncher() {}

  /** The {@code java} executable of the running JVM. */
  public static String currentJava() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Starts a child JVM and hands it its bootstrap; returns once the OS process exists. */
  static LaunchedJvm launch(String java, List<String> jvmOptions, String classPath, Bootstrap bootstrap)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(jvmOptions);
    // The agent starts SLF4J lazily; when a target's first log call races that start, SLF4J replays the
    // call (nothing is lost) and prints a three-line warning in every child. Its own errors still show.
    command.add("-Dslf4j.internal.verbosity=ERROR");
    command.add("-cp");
    command.add(classPath);
    command.add(CHILD_MAIN);
    ProcessBuilder builder = new ProcessBuilder(command);
    // Two malloc arenas instead of eight per core: a few MiB less per child, no contention at this size.
    builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
    java.lang.Process process = builder.start();
    OutputStream stdin = process.getOutputStream();
    try {
      bootstrap.writeDelimitedTo(stdin);
      stdin.flush();
    } catch (IOException e) {
      process.destroyForcibly();
      throw new IOException("child JVM exited before it could read its bootstrap", e);
    }
    String name = bootstrap.getName();
    CompletableFuture<Void> out = pump(process.getInputStream(), () -> System.out, name + "-stdout");
    CompletableFuture<Void> err = pump(process.getErrorStream(), () -> System.err, name + "-stderr");
    return new LaunchedJvm(process, stdin, awaitExit(process, name), CompletableFuture.allOf(out, err));
  }

  /**
   * Completes with the raw exit status once the OS has reaped the child, from a thread that waits for
   * nothing else. {@code Process.onExit()} would pass the news on through the default async executor,
   * which on a machine of one or two CPUs starts a new thread per task: a thread start on the path of
   * every {@code join()}.
   */
  private static CompletableFuture<Integer> awaitExit(java.lang.Process process, String name) {
    CompletableFuture<Integer> exited = new CompletableFuture<>();
    Thread waiter = new Thread(() -> {
      while (!exited.isDone()) {
        try {
          exited.complete(process.waitFor());
        } catch (InterruptedException e) {
          // Nobody else knows this thread; an interrupt changes nothing about the child.
        }
      }
    }, "multiprocessing4j-" + name + "-exit");
    waiter.setDaemon(true);
    waiter.start();
    return exited;
  }

  private static CompletableFuture<Void> pump(InputStream from, Supplier<PrintStream> to, String name) {
    CompletableFuture<Void> drained = new CompletableFuture<>();
    Thread pump = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(from, Charset.defaultCharset()))) {
        String line;
        while ((line = lines.readLine()) != null) {
          to.get().println(line);
        }
      } catch (IOException e) {
        // The child is gone; what it wrote before has been copied.
      } finally {
        drained.complete(null);
      }
    }, "multiprocessing4j-" + name);
    pump.setDaemon(true);
    pump.start();
    return drained;
  }

  /** A running child JVM as the parent sees it. */
  static final class LaunchedJvm {
    private final java.lang.Process process;
    private final OutputStream stdin;
    private final CompletableFuture<Integer> exited;
    private final CompletableFuture<Void> outputDrained;

    private LaunchedJvm(java.lang.Process process, OutputStream stdin, CompletableFuture<Integer> exited,
        CompletableFuture<Void> outputDrained) {
      this.process = process;
      this.stdin = stdin;
      this.exited = exited;
      this.outputDrained = outputDrained;
    }

    long pid() {
      return process.pid();
    }

    boolean isAlive() {
      return process.isAlive();
    }

    /** Completes with the raw exit status (128 + n when killed by signal n) once the OS reaped it. */
    CompletableFuture<Integer> onExit() {
      return exited;
    }

    /** Completes when everything the child printed has been copied to this JVM's streams. */
    CompletableFuture<Void> outputDrained() {
      return outputDrained;
    }

    /** SIGTERM. */
    void terminate() {
      process.destroy();
    }

    /** SIGKILL. */
    void kill() {
      process.destroyForcibly();
    }

    /** Closes the child's stdin: from now on it behaves as an orphan (see the agent's orphan rules). */
    void release() {
      try {
        stdin.close();
      } catch (IOException ignored) {
        // Already closed or the child is gone: either way it sees end-of-file.
      }
    }
  }
}
