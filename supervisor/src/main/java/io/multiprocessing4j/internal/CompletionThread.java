package io.multiprocessing4j.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A pool's completion thread: it completes the pool's asynchronous futures, so their dependent stages
 * (Python's callbacks) run on it, one at a time, never on the pool actor. A stage that waited here for
 * another unfinished future of the same pool would wait for itself, since that future's completion is
 * queued behind the stage (Python's result-handler thread hangs the same way); the futures made by
 * {@link #newFuture} refuse such a wait with an {@link IllegalStateException} instead.
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

  /** Refuses a blocking wait on this thread for a future it has yet to complete. */
  private static final class Completed<T> extends CompletableFuture<T> {
    private final CompletionThread completer;

    Completed(CompletionThread completer) {
      this.completer = completer;
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

    private void refuseSelfWait() {
      if (!isDone() && completer.isCurrent()) {
        throw new IllegalStateException("cannot wait for a result of this pool in a callback (a dependent stage "
            + "of one of its futures): the pool completes its futures on this thread, one at a time, so the "
            + "wait would never end; chain the work instead (thenCompose, thenCombine) or wait from another "
            + "thread");
      }
    }
  }
}
