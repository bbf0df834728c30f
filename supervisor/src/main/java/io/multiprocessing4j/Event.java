package io.multiprocessing4j;

import io.multiprocessing4j.internal.Backoff;
import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.Doorbell;
import io.multiprocessing4j.internal.SharedBlock;
import java.io.Serializable;
import java.time.Duration;

/**
 * A flag that processes can set, clear and wait for: Python's {@code multiprocessing.Event}, with
 * {@code wait} named {@link #await()} (Python's {@code wait} collides with {@link Object#wait()}).
 * Created by {@link Multiprocessing#event()}; {@link Serializable}, so capture it in a target.
 *
 * <p>The flag lives in one word of shared memory together with a generation counter that every
 * {@link #set()} advances in the same atomic update, so a waiter that was waiting when the flag was set
 * returns true even if someone cleared it again before the waiter looked (Python's documented "True if
 * the flag was set before or during the wait").
 */
public final class Event implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Bit 0: the flag; bits 1-31: how many times it has been set (wrapping). */
  private static final int WORD_AT = SharedBlock.HEADER_BYTES;
  private static final int FLAG = 1;

  private final BlockRef ref;

  private Event(BlockRef ref) {
    this.ref = ref;
  }

  static Event create(BlockStore store) {
    SharedBlock block = store.allocate(SharedBlock.Kind.SYNC, Integer.BYTES);
    return new Event(new BlockRef(block.path().toString(), SharedBlock.Kind.SYNC));
  }

  /** Whether the flag is set. Never blocks. Python's {@code is_set()}. */
  public boolean isSet() {
    return (block().getIntVolatile(WORD_AT) & FLAG) != 0;
  }

  /** Sets the flag, waking every waiter. Never blocks. Python's {@code set()}. */
  public void set() {
    SharedBlock mapped = block();
    while (true) {
      int word = mapped.getIntVolatile(WORD_AT);
      if ((word & FLAG) != 0) {
        return;
      }
      if (mapped.compareAndSetInt(WORD_AT, word, (word + 2) | FLAG)) {
        Doorbell.ring(mapped);
        return;
      }
    }
  }

  /** Clears the flag. Never blocks. Python's {@code clear()}. */
  public void clear() {
    SharedBlock mapped = block();
    while (true) {
      int word = mapped.getIntVolatile(WORD_AT);
      if ((word & FLAG) == 0 || mapped.compareAndSetInt(WORD_AT, word, word & ~FLAG)) {
        return;
      }
    }
  }

  /**
   * Waits until the flag is set (returns at once if it is). Python's {@code wait()}.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public void await() throws InterruptedException {
    await(Backoff.forever(block()));
  }

  /**
   * Waits at most {@code timeout} (null: no limit, Python's {@code None}) for the flag to be set.
   * Python's {@code wait(timeout)}.
   *
   * @return true if the flag was set before or during the wait, false if the timeout passed first
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public boolean await(Duration timeout) throws InterruptedException {
    return await(Backoff.within(block(), timeout));
  }

  private boolean await(Backoff backoff) throws InterruptedException {
    SharedBlock mapped = block();
    int before = mapped.getIntVolatile(WORD_AT);
    int word = before;
    try {
      while ((word & FLAG) == 0 && word == before) {
        if (!backoff.pause()) {
          return false;
        }
        word = mapped.getIntVolatile(WORD_AT);
      }
      return true;
    } finally {
      backoff.done();
    }
  }

  private SharedBlock block() {
    return ref.map();
  }

  /** Like Python's repr: {@code <Event(set)>} or {@code <Event(unset)>}. */
  @Override
  public String toString() {
    return "<Event(" + (isSet() ? "set" : "unset") + ")>";
  }
}
