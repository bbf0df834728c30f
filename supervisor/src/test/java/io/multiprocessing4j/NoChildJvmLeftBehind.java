package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * CPython's dangling-process check for JUnit 5: after each test (and its {@code @AfterEach} methods),
 * every descendant process of the test JVM must be gone. A descendant already on its way out gets a
 * moment to be reaped (waited for on {@link ProcessHandle#onExit()}, never slept on); one still alive
 * after that is killed, and the test fails, naming it.
 */
public final class NoChildJvmLeftBehind implements AfterEachCallback {
  private static final Duration DYING_GRACE = Duration.ofSeconds(1);

  @Override
  public void afterEach(ExtensionContext context) throws InterruptedException {
    List<ProcessHandle> alive = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
    if (alive.isEmpty()) {
      return;
    }
    long deadline = System.nanoTime() + DYING_GRACE.toNanos();
    List<String> leftBehind = new ArrayList<>();
    for (ProcessHandle process : alive) {
      if (!exitsWithin(process, deadline - System.nanoTime())) {
        leftBehind.add(describe(process));
      }
    }
    if (leftBehind.isEmpty()) {
      return;
    }
    alive.forEach(ProcessHandle::destroyForcibly);
    long killDeadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    for (ProcessHandle process : alive) {
      exitsWithin(process, killDeadline - System.nanoTime());
    }
    fail(context.getDisplayName() + " left " + leftBehind.size() + " child process(es) running; killed them: "
        + String.join("; ", leftBehind));
  }

  private static boolean exitsWithin(ProcessHandle process, long nanos) throws InterruptedException {
    try {
      process.onExit().get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException | ExecutionException e) {
      return !process.isAlive();
    }
  }

  private static String describe(ProcessHandle process) {
    ProcessHandle.Info info = process.info();
    String command = info.commandLine().orElseGet(() -> info.command().orElse("?"));
    if (command.length() > 200) {
      command = command.substring(0, 100) + " ... " + command.substring(command.length() - 80);
    }
    return "pid " + process.pid() + " (" + command + ")";
  }
}
