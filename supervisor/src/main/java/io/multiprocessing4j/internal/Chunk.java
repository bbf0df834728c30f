package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.TaskFrames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A run of consecutive items of one pool job, encoded once and sent to a worker as one
 * {@code RunTasks} frame. The items themselves are kept (by reference) while the chunk is queued or
 * running, so that a chunk whose worker died can be split and re-run item by item.
 */
final class Chunk {
  final PoolJob job;
  /** The position of the first item in the job's input. */
  final int start;
  final Object[] items;
  final Payload payload;
  /** How many times a worker died while this chunk was the one it was running. */
  int attempts;

  Chunk(PoolJob job, int start, Object[] items, Payload payload) {
    this.job = job;
    this.start = start;
    this.items = items;
    this.payload = payload;
  }

  int size() {
    return items.length;
  }

  /**
   * One chunk per item, each with this chunk's attempt count, so that after a worker death an item
   * that kills its worker fails alone and its neighbours get their results.
   */
  List<Chunk> split() {
    List<Chunk> singles = new ArrayList<>(items.length);
    for (int i = 0; i < items.length; i++) {
      Object[] single = {items[i]};
      Payload encoded;
      try {
        encoded = TaskFrames.encodeArray(single);
      } catch (IOException e) {
        throw new UncheckedIOException("an item that was serialized once no longer serializes", e);
      }
      Chunk piece = new Chunk(job, start + i, single, encoded);
      piece.attempts = attempts;
      singles.add(piece);
    }
    return singles;
  }
}
