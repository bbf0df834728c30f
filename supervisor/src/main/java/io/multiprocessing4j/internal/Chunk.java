package io.multiprocessing4j.internal;

import io.multiprocessing4j.PicklingException;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.CompactArrays;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A run of consecutive items of one pool job, encoded once and sent to a worker as one
 * {@code RunTasks} frame. The items themselves are kept (by reference) while the chunk is queued or
 * running, so that a chunk whose worker died can be split and re-run item by item. A chunk may stand
 * for several consecutive chunks of its job's feed ({@link #parts}), joined when they go to one
 * worker together (see {@link #joined}), or carry the one task of each of several {@code apply} jobs
 * of one function (a {@link #batch}): they then cost one frame and one answer, as a chunk does.
 */
final class Chunk {
  final PoolJob job;
  /** The position of the first item in the job's input. */
  final int start;
  final Object[] items;
  final Payload payload;
  /**
   * How many feed chunks this one stands for (of its job, or one per task of a {@link #batch}): they
   * count as tasks, and time a worker.
   */
  final int parts;
  /**
   * The one-task chunks of separate {@code apply} jobs this chunk carries, item {@code i} being the
   * task of {@code batch.get(i)}; null for a chunk of one job. Its {@link #job} is then only the
   * first task's: the queue and the settlement deal with the tasks one by one ({@link #tasks}).
   */
  final List<Chunk> batch;
  /** How many times a worker died while this chunk was the one it was running. */
  int attempts;

  Chunk(PoolJob job, int start, Object[] items, Payload payload) {
    this(job, start, items, payload, 1, null);
  }

  private Chunk(PoolJob job, int start, Object[] items, Payload payload, int parts, List<Chunk> batch) {
    this.job = job;
    this.start = start;
    this.items = items;
    this.payload = payload;
    this.parts = parts;
    this.batch = batch;
  }

  /**
   * True if {@code next} may be joined after this chunk: it continues this chunk's items in the same
   * job, or both are the whole of an {@code apply} job of the same function (equal encodings), neither
   * was ever charged a worker's death (so a task that kills its worker is never joined to
   * its neighbours again), and both travel in the compact form, which is cheap to make again.
   */
  boolean canJoin(Chunk next) {
    return (next.job == job ? next.start == start + items.length : isOneTask() && next.isOneTask()
        && next.job.function.equals(job.function))
        && attempts == 0 && next.attempts == 0
        && payload.getSerializerId() == CompactArrays.SERIALIZER_ID
        && next.payload.getSerializerId() == CompactArrays.SERIALIZER_ID;
  }

  /** The whole of an {@code apply}: such chunks of one function may travel as a {@link #batch}. */
  private boolean isOneTask() {
    return batch == null && job.isOneTask();
  }

  /**
   * One chunk of the items of {@code run} (see {@link #canJoin}), encoded again as one: the consecutive
   * chunks of one job, or a {@link #batch} of one-task jobs.
   */
  static Chunk joined(List<Chunk> run) {
    Chunk first = run.get(0);
    if (run.size() == 1) {
      return first;
    }
    int size = 0;
    int parts = 0;
    for (Chunk chunk : run) {
      size += chunk.items.length;
      parts += chunk.parts;
    }
    Object[] items = new Object[size];
    int at = 0;
    for (Chunk chunk : run) {
      System.arraycopy(chunk.items, 0, items, at, chunk.items.length);
      at += chunk.items.length;
    }
    Payload encoded = CompactArrays.encode(items);
    if (encoded == null) {
      throw new IllegalStateException("items that were encoded compactly no longer are");
    }
    List<Chunk> batch = run.get(1).job == first.job ? null : List.copyOf(run);
    return new Chunk(first.job, first.start, items, encoded, parts, batch);
  }

  int size() {
    return items.length;
  }

  /** The job item {@code item} of this chunk belongs to. */
  PoolJob jobOf(int item) {
    return batch == null ? job : batch.get(item).job;
  }

  /** The position of item {@code item} of this chunk in its job's input. */
  long positionOf(int item) {
    return batch == null ? (long) start + item : batch.get(item).start;
  }

  /** What the queue holds of this chunk: the one-task chunks of a {@link #batch}, else the chunk itself. */
  List<Chunk> tasks() {
    return batch == null ? List.of(this) : batch;
  }

  /**
   * Items [{@code from}, {@code to}) of this chunk, for settling a part of its answer or taking back
   * what a worker had not answered: its attempts are this chunk's; it is not encoded, so it is sent
   * again only as {@link #split} pieces. This chunk itself for the whole range.
   */
  Chunk slice(int from, int to) {
    if (from == 0 && to == items.length) {
      return this;
    }
    Object[] part = Arrays.copyOfRange(items, from, to);
    Chunk slice = batch == null
        ? new Chunk(job, start + from, part, Payload.getDefaultInstance(), 1, null)
        : new Chunk(batch.get(from).job, batch.get(from).start, part, Payload.getDefaultInstance(), to - from,
            batch.subList(from, to));
    slice.attempts = attempts;
    return slice;
  }

  /**
   * One chunk per item, each with this chunk's attempt count, so that after a worker death an item
   * that kills its worker fails alone and its neighbours get their results. Each item is serialized
   * again; an item that no longer serializes (a mutable item changed since it was sent) is not among
   * the pieces but handed to {@code unsendable}, with why, so that it fails alone.
   */
  List<Chunk> split(BiConsumer<Chunk, PicklingException> unsendable) {
    if (batch != null) {
      for (Chunk task : batch) {
        task.attempts = attempts;
      }
      return batch;
    }
    List<Chunk> singles = new ArrayList<>(items.length);
    for (int i = 0; i < items.length; i++) {
      Object[] single = {items[i]};
      Payload encoded;
      try {
        encoded = ChunkFeed.encodeFor(job, single);
      } catch (IOException | RuntimeException e) {
        unsendable.accept(new Chunk(job, start + i, single, Payload.getDefaultInstance()),
            new PicklingException("item " + (start + i) + " of " + job.call + " was sent once, but no longer "
                + "serializes, so it cannot be sent again after its worker died (was it changed after the call?): "
                + PoolFailures.describe(e), e));
        continue;
      }
      Chunk piece = new Chunk(job, start + i, single, encoded);
      piece.attempts = attempts;
      singles.add(piece);
    }
    return singles;
  }
}
