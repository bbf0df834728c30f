package io.multiprocessing4j;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Captures this JVM's {@code System.out} or {@code System.err} line by line while open, and restores
 * the original stream on {@link #close()}. Children's output reaches the parent through pump threads
 * that look {@code System.out}/{@code System.err} up per line, so it lands here too. Tests wait for a
 * line with {@link #awaitLine}, an event, rather than sleeping.
 */
final class StdCapture implements AutoCloseable {
  private final boolean stdout;
  private final PrintStream original;
  private final List<String> lines = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();

  private record Waiter(Predicate<String> matches, CompletableFuture<String> found) {}

  private StdCapture(boolean stdout) {
    this.stdout = stdout;
    this.original = stdout ? System.out : System.err;
    PrintStream capture = new PrintStream(new LineSplitter(), true, Charset.defaultCharset());
    if (stdout) {
      System.setOut(capture);
    } else {
      System.setErr(capture);
    }
  }

  static StdCapture stdout() {
    return new StdCapture(true);
  }

  static StdCapture stderr() {
    return new StdCapture(false);
  }

  /** Every complete line captured so far. */
  synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /** All captured lines, one per line, for assertion messages. */
  String text() {
    return String.join("\n", lines());
  }

  /** Completes with the first captured line that matches, whether it arrived already or arrives later. */
  synchronized CompletableFuture<String> line(Predicate<String> matches) {
    for (String line : lines) {
      if (matches.test(line)) {
        return CompletableFuture.completedFuture(line);
      }
    }
    CompletableFuture<String> found = new CompletableFuture<>();
    waiters.add(new Waiter(matches, found));
    return found;
  }

  /** Waits for a line containing {@code text}; fails with what was captured if none arrives in time. */
  String awaitLine(String text, Duration timeout) throws InterruptedException {
    try {
      return line(line -> line.contains(text)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no line containing '" + text + "' within " + timeout + "; captured:\n" + text());
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
  }

  private synchronized void add(String line) {
    lines.add(line);
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (waiter.matches().test(line)) {
        waiter.found().complete(line);
        it.remove();
      }
    }
  }

  @Override
  public void close() {
    if (stdout) {
      System.setOut(original);
    } else {
      System.setErr(original);
    }
  }

  /** Splits the bytes written into lines (on '\n', dropping a trailing '\r'). */
  private final class LineSplitter extends OutputStream {
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        String line = pending.toString(Charset.defaultCharset());
        pending.reset();
        add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
      } else {
        pending.write(b);
      }
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
      for (int i = offset; i < offset + length; i++) {
        write(bytes[i]);
      }
    }
  }
}
