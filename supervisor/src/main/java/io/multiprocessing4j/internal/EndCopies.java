package io.multiprocessing4j.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The copies of pipe ends registered while one value was serialized ({@link PipeHandle}). A copy holds
 * its end open until a process deserializes it, as a descriptor in flight does; when the value will
 * never be deserialized — its serialization failed, the put or send that carried it was refused, or the
 * child it was the target of died before reading it — its copies are released here, as the OS closes
 * the descriptors of a message never sent or of a process that died. Without this the other end waited
 * for ever instead of seeing end of file. Releasing a copy that a process did claim changes nothing.
 *
 * <p>Threads: recording is per thread (serialization runs on the caller's); {@link #release} may run on
 * any thread, once or more.
 */
public final class EndCopies {
  private static final ThreadLocal<EndCopies> RECORDING = new ThreadLocal<>();

  /** Guarded by this; null until a copy is recorded. */
  private List<Runnable> releases;
  /** Guarded by this: {@link #release} ran, so a copy recorded later is released at once. */
  private boolean released;

  /**
   * Runs {@code encode}, recording into {@code into} the copies it registers; releases them if it
   * throws.
   */
  public static <T> T record(EndCopies into, Supplier<T> encode) {
    EndCopies outer = RECORDING.get();
    RECORDING.set(into);
    try {
      return encode.get();
    } catch (RuntimeException | Error e) {
      into.release();
      throw e;
    } finally {
      if (outer == null) {
        RECORDING.remove();
      } else {
        RECORDING.set(outer);
      }
    }
  }

  /** A copy was registered on this thread: recorded, with what releases it, if a recording is under way. */
  static void registered(Runnable release) {
    EndCopies recording = RECORDING.get();
    if (recording != null) {
      recording.add(release);
    }
  }

  private void add(Runnable release) {
    synchronized (this) {
      if (!released) {
        if (releases == null) {
          releases = new ArrayList<>(2);
        }
        releases.add(release);
        return;
      }
    }
    // Recorded after the release (a pool job's input read on after the job settled): never read either.
    release.run();
  }

  /**
   * Hands the copies recorded here to {@code into}, which releases them with its own (at once if it
   * has released already): for a recording of one encoding whose copies a longer-lived owner keeps.
   */
  void moveTo(EndCopies into) {
    List<Runnable> recorded;
    synchronized (this) {
      recorded = releases;
      releases = null;
    }
    if (recorded != null) {
      recorded.forEach(into::add);
    }
  }

  /**
   * Releases every recorded copy that a process has not claimed, and any recorded from now on.
   * Idempotent.
   */
  public void release() {
    List<Runnable> recorded;
    synchronized (this) {
      released = true;
      recorded = releases;
      releases = null;
    }
    if (recorded != null) {
      recorded.forEach(Runnable::run);
    }
  }
}
