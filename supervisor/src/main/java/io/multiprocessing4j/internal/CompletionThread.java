package io.multiprocessing4j.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A pool's completion thread: it completes the pool's asynchronous futures, so their dependent stages
 * (Python's callbacks) run on it, one at a time, never on the pool actor. A stage that waited here for
 * another unfinished future of the same pool would wait for itself, since that future's completion is
 * queued behind the stage (Python's result-handler thread hangs the same way); the futures made by
 * {@link #newFuture}, and their stages that wait for them, refuse such a wait with an
 * {@link IllegalStateException} instead. Futures made elsewhere ({@code CompletableFuture.allOf}, a
 * stage of another future combined with one of these) are not of this class and still wait.
 */
final class CompletionThread implements Executor {
  private final ExecutorService executor;
  /** The thread that runs {@link #executor} (remade if a callback killed the last one). */
  private volatile Thread thread;

  CompletionThread(ThreadFactory threads) {
    this.executor = Executors.newSingleThreadExecutor(task -> thread = threads.newThread(task));
  }

  @Override
  public void execute(Runnable completion) {
    executor.execute(completion);
  }

  /** Whether the calling thread is this one: a dependent stage of one of the pool's futures is running. */
  boolean isCurrent() {
    return Thread.currentThread() == thread;
  }

  /** Completions already queued still run; later ones run in place ({@link PoolJob#complete}). */
  void shutdown() {
    executor.shutdown();
  }

  /** A future this thread will complete. */
  <T> CompletableFuture<T> newFuture() {
    return new Completed<>(this);
  }

  /**
   * Refuses a blocking wait on this thread for a future it has yet to complete: one of the pool's own
   * futures, or a dependent stage that cannot complete before one of them does ({@code thenApply},
   * {@code thenCompose}, {@code thenCombine}... of an unfinished one; dependent stages are made by
   * {@link #newIncompleteFuture}, so they are of this class too). A stage that may complete through
   * another future as well ({@code applyToEither} and its kin) is not held back by this one.
   */
  private static final class Completed<T> extends CompletableFuture<T> {
    private final CompletionThread completer;
    /**
     * What this future cannot complete before: itself, for one of the pool's own futures; the future it
     * is a stage of; or null once nothing of the pool holds it back (set so by a wait that finds it so).
     */
    private volatile Completed<?> after;

    Completed(CompletionThread completer) {
      this.completer = completer;
      this.after = this;
    }

    private Completed(CompletionThread completer, Completed<?> source) {
      this.completer = completer;
      this.after = source;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
      return new Completed<>(completer, this);
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
      refuseSelfWait();
      return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
      refuseSelfWait();
      return super.get(timeout, unit);
    }

    @Override
    public T join() {
      refuseSelfWait();
      return super.join();
    }

    @Override
    public <U> CompletableFuture<U> applyToEither(CompletionStage<? extends T> other, Function<? super T, U> fn) {
      return untied(super.applyToEither(other, fn));
    }

    @Override
    public <U> CompletableFuture<U> applyToEitherAsync(CompletionStage<? extends T> other,
        Function<? super T, U> fn) {
      return untied(super.applyToEitherAsync(other, fn));
    }

    @Override
    public <U> CompletableFuture<U> applyToEitherAsync(CompletionStage<? extends T> other,
        Function<? super T, U> fn, Executor executor) {
      return untied(super.applyToEitherAsync(other, fn, executor));
    }

    @Override
    public CompletableFuture<Void> acceptEither(CompletionStage<? extends T> other, Consumer<? super T> action) {
      return untied(super.acceptEither(other, action));
    }

    @Override
    public CompletableFuture<Void> acceptEitherAsync(CompletionStage<? extends T> other,
        Consumer<? super T> action) {
      return untied(super.acceptEitherAsync(other, action));
    }

    @Override
    public CompletableFuture<Void> acceptEitherAsync(CompletionStage<? extends T> other,
        Consumer<? super T> action, Executor executor) {
      return untied(super.acceptEitherAsync(other, action, executor));
    }

    @Override
    public CompletableFuture<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
      return untied(super.runAfterEither(other, action));
    }

    @Override
    public CompletableFuture<Void> runAfterEitherAsync(CompletionStage<?> other, Runnable action) {
      return untied(super.runAfterEitherAsync(other, action));
    }

    @Override
    public CompletableFuture<Void> runAfterEitherAsync(CompletionStage<?> other, Runnable action,
        Executor executor) {
      return untied(super.runAfterEitherAsync(other, action, executor));
    }

    /** A stage that the other future may complete: no wait for it is refused. */
    private static <U> CompletableFuture<U> untied(CompletableFuture<U> stage) {
      ((Completed<U>) stage).after = null;
      return stage;
    }

    private void refuseSelfWait() {
      if (completer.isCurrent() && heldBackByThePool()) {
        throw new IllegalStateException("cannot wait for a result of this pool in a callback (a dependent stage "
            + "of one of its futures): the pool completes its futures on this thread, one at a time, so the "
            + "wait would never end; chain the work instead (thenCompose, thenCombine) or wait from another "
            + "thread");
      }
    }

    /** Whether this future, down its chain of sources, waits for one of the pool's own unfinished futures. */
    private boolean heldBackByThePool() {
      for (Completed<?> future = this; ; ) {
        Completed<?> source = future.after;
        if (future.isDone() || source == null) {
          after = null;
          return false;
        }
        if (source == future) {
          return true;
        }
        future = source;
      }
    }
  }
}
