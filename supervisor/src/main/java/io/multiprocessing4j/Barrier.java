package io.multiprocessing4j;

import io.multiprocessing4j.internal.Backoff;
import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.Doorbell;
import io.multiprocessing4j.internal.ProcessAttachments;
import io.multiprocessing4j.internal.SharedBlock;
import io.multiprocessing4j.internal.UserTable;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.time.Duration;
import java.util.concurrent.BrokenBarrierException;

/**
 * A rendezvous of a fixed number of parties, threads of any processes: Python's
 * {@code multiprocessing.Barrier}, with {@code wait} named {@link #await()} as in
 * {@link java.util.concurrent.CyclicBarrier}. Created by {@link Multiprocessing#barrier(int)};
 * {@link Serializable}: capture it in a target. Reusable: when the last party arrives, the optional
 * action runs in that party's thread, every party is released, and the next round begins.
 *
 * <p>As in Python, a barrier breaks (every waiter and every later {@code await} gets
 * {@link BrokenBarrierException}, until {@link #reset()}) when a waiter times out, when someone calls
 * {@link #abort()}, or when the action throws. <b>And when a party dies:</b> every process that holds
 * this barrier (it was created there or received it) is recorded in shared memory; one that exits
 * normally is struck off, one that dies (killed, crashed, terminated) is not, and a waiter that has
 * waited a few milliseconds checks each time it wakes (every 5 to 50 ms) for such a process. Finding
 * one, it breaks the barrier with a message naming the dead pid, instead of waiting forever for a
 * party that will never come. At most 128 processes are tracked per barrier.
 */
public final class Barrier implements Serializable {
  private static final long serialVersionUID = 1L;
  /** long: generation (high 32 bits, from 1) and parties arrived in it (low 32 bits). */
  private static final int ROUND_AT = SharedBlock.HEADER_BYTES;
  private static final int BROKEN_AT = ROUND_AT + 8;
  /** The generation that a reset or a break ended, so its waiters know they did not pass. */
  private static final int BROKEN_GENERATION_AT = ROUND_AT + 12;
  private static final int REASON_AT = ROUND_AT + 16;
  private static final int DEAD_PID_AT = ROUND_AT + 24;
  private static final int ABORTED = 1;
  private static final int TIMED_OUT = 2;
  private static final int PARTY_DIED = 3;
  private static final int ACTION_FAILED = 4;
  private static final int RESET = 5;
  private static final int INTERRUPTED = 6;

  private final BlockRef ref;
  private final int parties;
  private final SerializableRunnable action;
  private final Duration timeout;

  private Barrier(BlockRef ref, int parties, SerializableRunnable action, Duration timeout) {
    this.ref = ref;
    this.parties = parties;
    this.action = action;
    this.timeout = timeout;
  }

  static Barrier create(BlockStore store, int parties, SerializableRunnable action, Duration timeout) {
    if (parties < 1) {
      throw new IllegalArgumentException("a barrier needs at least one party, not " + parties);
    }
    SharedBlock block = store.allocate(SharedBlock.Kind.SYNC, 32);
    block.setLongVolatile(ROUND_AT, 1L << 32);
    BlockRef ref = new BlockRef(block.path().toString(), SharedBlock.Kind.SYNC);
    Barrier barrier = new Barrier(ref, parties, action, timeout);
    barrier.register();
    return barrier;
  }

  /**
   * Waits until all parties have called {@code await}, for at most the barrier's default timeout.
   * Python's {@code wait()}.
   *
   * @return this party's arrival index, 0 to parties - 1 (the last to arrive gets parties - 1 and runs
   *     the action)
   * @throws BrokenBarrierException if the barrier is or becomes broken (the message says why: aborted,
   *     timed out, reset, the action failed, or which party process died)
   * @throws InterruptedException if the thread is interrupted while waiting; the barrier breaks, unless
   *     this party was still waiting for the previous round's action to end and so had joined no round
   */
  public int await() throws InterruptedException, BrokenBarrierException {
    return await(timeout);
  }

  /**
   * As {@link #await()}, waiting at most {@code timeout} (null = no limit); when it passes, the
   * barrier breaks, as in Python. Python's {@code wait(timeout)}.
   *
   * <p>The timeout counts from when this party joins a round. A party that arrives while the previous
   * round's action still runs first waits, without a limit, for that round to end, as Python's
   * {@code wait} blocks in {@code _enter} while the barrier drains: the action's run time is not held
   * against it. Such a wait still ends with {@link BrokenBarrierException} if the barrier breaks
   * meanwhile (the action fails, a party process dies, {@link #abort()}).
   */
  public int await(Duration timeout) throws InterruptedException, BrokenBarrierException {
    SharedBlock mapped = block();
    long round = joinRound(mapped);
    Backoff backoff = Backoff.within(mapped, timeout);
    try {
      return waitForRound(mapped, (int) (round >>> 32), (int) round, backoff, timeout);
    } finally {
      backoff.done();
    }
  }

  /**
   * Counts this party into the current round, first waiting (without a limit) for the previous round's
   * action to end if the round is full.
   *
   * @return the round as it was before this party joined: generation and this party's index
   */
  private long joinRound(SharedBlock mapped) throws InterruptedException, BrokenBarrierException {
    Backoff draining = null;
    try {
      while (true) {
        if (mapped.getIntVolatile(BROKEN_AT) != 0) {
          throw broken(mapped);
        }
        long round = mapped.getLongVolatile(ROUND_AT);
        if ((int) round >= parties) {
          // The round is full and its last party is running the action: join the next round.
          if (draining == null) {
            draining = Backoff.forever(mapped);
          }
          if (draining.checkDue()) {
            breakIfAPartyDied(mapped, (int) (round >>> 32));
          }
          draining.pause();
          continue;
        }
        if (mapped.compareAndSetLong(ROUND_AT, round, round + 1)) {
          return round;
        }
      }
    } finally {
      if (draining != null) {
        draining.done();
      }
    }
  }

  private int waitForRound(SharedBlock mapped, int generation, int index, Backoff backoff, Duration timeout)
      throws InterruptedException, BrokenBarrierException {
    if (index == parties - 1) {
      return releaseRound(mapped, generation, index);
    }
    try {
      while (true) {
        long round = mapped.getLongVolatile(ROUND_AT);
        if ((int) (round >>> 32) != generation) {
          if (mapped.getIntVolatile(BROKEN_GENERATION_AT) == generation) {
            throw broken(mapped);
          }
          return index;
        }
        if (mapped.getIntVolatile(BROKEN_AT) != 0) {
          throw broken(mapped);
        }
        if (backoff.checkDue()) {
          breakIfAPartyDied(mapped, generation);
        }
        if (!backoff.pause()) {
          breakRound(mapped, generation, TIMED_OUT, 0);
          throw new BrokenBarrierException("the barrier timed out after " + timeout + " waiting for "
              + (parties - (int) mapped.getLongVolatile(ROUND_AT)) + " more part(ies), and is now broken");
        }
      }
    } catch (InterruptedException e) {
      breakRound(mapped, generation, INTERRUPTED, 0);
      throw e;
    }
  }

  private int releaseRound(SharedBlock mapped, int generation, int index) throws BrokenBarrierException {
    if (action != null) {
      try {
        action.run();
      } catch (RuntimeException | Error e) {
        breakRound(mapped, generation, ACTION_FAILED, 0);
        BrokenBarrierException error = new BrokenBarrierException("the barrier action failed: " + e);
        error.initCause(e);
        throw error;
      }
    }
    long full = ((long) generation << 32) | parties;
    if (mapped.getIntVolatile(BROKEN_AT) != 0
        || !mapped.compareAndSetLong(ROUND_AT, full, (long) (generation + 1) << 32)) {
      // Aborted or reset while the action ran.
      throw broken(mapped);
    }
    Doorbell.ring(mapped);
    return index;
  }

  private void breakIfAPartyDied(SharedBlock mapped, int generation) {
    parties(mapped).reclaimDead((pid, count) -> {
      breakRound(mapped, generation, PARTY_DIED, pid);
      return 0;
    });
  }

  /** Breaks the barrier, if the round has not already moved on; the first reason is kept. */
  private static void breakRound(SharedBlock mapped, int generation, int reason, long deadPid) {
    if ((int) (mapped.getLongVolatile(ROUND_AT) >>> 32) != generation || mapped.getIntVolatile(BROKEN_AT) != 0) {
      return;
    }
    mapped.setIntVolatile(REASON_AT, reason);
    mapped.setLongVolatile(DEAD_PID_AT, deadPid);
    mapped.setIntVolatile(BROKEN_GENERATION_AT, generation);
    mapped.setIntVolatile(BROKEN_AT, 1);
    Doorbell.ring(mapped);
  }

  private static BrokenBarrierException broken(SharedBlock mapped) {
    String why = switch (mapped.getIntVolatile(REASON_AT)) {
      case ABORTED -> "it was aborted";
      case TIMED_OUT -> "a party timed out waiting";
      case PARTY_DIED -> "party process pid " + mapped.getLongVolatile(DEAD_PID_AT) + " died";
      case ACTION_FAILED -> "the barrier action failed";
      case RESET -> "it was reset while this party waited";
      case INTERRUPTED -> "a waiting party was interrupted";
      default -> "it is broken";
    };
    return new BrokenBarrierException("the barrier is broken: " + why);
  }

  /**
   * Puts the barrier into the broken state: waiters and later callers get
   * {@link BrokenBarrierException} until {@link #reset()}. Never blocks. Python's {@code abort()}.
   */
  public void abort() {
    SharedBlock mapped = block();
    breakRound(mapped, (int) (mapped.getLongVolatile(ROUND_AT) >>> 32), ABORTED, 0);
  }

  /**
   * Returns the barrier to its empty, unbroken state; parties waiting now get
   * {@link BrokenBarrierException}. Never blocks. Python's {@code reset()}.
   */
  public void reset() {
    SharedBlock mapped = block();
    while (true) {
      long round = mapped.getLongVolatile(ROUND_AT);
      int generation = (int) (round >>> 32);
      if ((int) round > 0 && mapped.getIntVolatile(BROKEN_AT) == 0) {
        mapped.setIntVolatile(REASON_AT, RESET);
      }
      mapped.setIntVolatile(BROKEN_GENERATION_AT, generation);
      if (mapped.compareAndSetLong(ROUND_AT, round, (long) (generation + 1) << 32)) {
        break;
      }
    }
    mapped.setIntVolatile(BROKEN_AT, 0);
    Doorbell.ring(mapped);
  }

  /** The number of parties needed to pass. Python's {@code parties}. */
  public int parties() {
    return parties;
  }

  /** The number of parties waiting now (0 while broken). Never blocks. Python's {@code n_waiting}. */
  public int numberWaiting() {
    SharedBlock mapped = block();
    return mapped.getIntVolatile(BROKEN_AT) != 0 ? 0 : (int) mapped.getLongVolatile(ROUND_AT);
  }

  /** Whether the barrier is broken. Never blocks. Python's {@code broken}. */
  public boolean isBroken() {
    return block().getIntVolatile(BROKEN_AT) != 0;
  }

  private static UserTable parties(SharedBlock mapped) {
    return mapped.users();
  }

  /** Records this process as one that holds the barrier, until it exits normally. */
  private void register() {
    SharedBlock mapped = block();
    if (parties(mapped).mine() == 0) {
      parties(mapped).add(-1, 1);
    }
    ProcessAttachments.onExit(ref.path(), () -> parties(mapped).remove(-1, Integer.MAX_VALUE));
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    try {
      register();
    } catch (IllegalStateException gone) {
      InvalidObjectException error = new InvalidObjectException(gone.getMessage());
      error.initCause(gone);
      throw error;
    }
  }

  private SharedBlock block() {
    return ref.map();
  }

  /** Like Python's repr: {@code <Barrier(parties=3, waiting=1, broken=False)>}. */
  @Override
  public String toString() {
    return "<Barrier(parties=" + parties + ", waiting=" + numberWaiting() + ", broken="
        + (isBroken() ? "True" : "False") + ")>";
  }
}
