package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.CompactArrays;
import io.multiprocessing4j.wire.TaskFrames;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Joining consecutive chunks of tiny tasks into one ({@link Chunk#joined}), and splitting after a death. */
@Timeout(10)
class ChunkTest {
  private static final Payload FUNCTION = Payload.newBuilder().setSerializerId(1).build();

  private static MapJob job() {
    return new MapJob("Pool.map", FUNCTION, 100, false, Runnable::run);
  }

  private static MapJob apply(Payload function) {
    return new MapJob("Pool.applyAsync", function, 1, true, Runnable::run);
  }

  private static Chunk chunk(PoolJob job, int start, Object... items) throws Exception {
    return new Chunk(job, start, items, TaskFrames.encodeArray(items));
  }

  @Test
  void consecutiveChunksOfOneJobJoinIntoOneThatStandsForAllOfThem() throws Exception {
    MapJob job = job();
    Chunk joined = Chunk.joined(List.of(chunk(job, 4, 4), chunk(job, 5, 5, 6), chunk(job, 7, 7)));
    assertEquals(4, joined.start);
    assertEquals(3, joined.parts);
    assertArrayEquals(new Object[] {4, 5, 6, 7}, joined.items);
    assertArrayEquals(joined.items, CompactArrays.decode(joined.payload));
    Chunk twice = Chunk.joined(List.of(joined, chunk(job, 8, 8)));
    assertEquals(4, twice.parts, "a joined chunk counts the feed chunks it stands for");
  }

  @Test
  void onlyTheNextItemsOfTheSameJobNeverChargedAndCompactJoin() throws Exception {
    MapJob job = job();
    Chunk first = chunk(job, 0, 0, 1);
    assertTrue(first.canJoin(chunk(job, 2, 2)));
    assertFalse(first.canJoin(chunk(job, 3, 3)), "not the next items");
    assertFalse(first.canJoin(chunk(job(), 2, 2)), "another job");
    assertFalse(first.canJoin(chunk(job, 2, new StringBuilder("java-serialized"))), "not compact");
    Chunk charged = chunk(job, 2, 2);
    charged.attempts = 1;
    assertFalse(first.canJoin(charged), "a chunk charged a worker's death runs alone");
    assertSame(first, Chunk.joined(List.of(first)));
  }

  @Test
  void aJoinedChunkSplitsIntoItsItemsAtTheirInputPositions() throws Exception {
    MapJob job = job();
    Chunk joined = Chunk.joined(List.of(chunk(job, 10, 10), chunk(job, 11, 11)));
    joined.attempts = 1;
    List<Chunk> singles = joined.split((task, why) -> fail("every item serializes: " + why));
    assertEquals(2, singles.size());
    assertEquals(10, singles.get(0).start);
    assertEquals(11, singles.get(1).start);
    assertEquals(1, singles.get(1).attempts);
    assertArrayEquals(new Object[] {11}, CompactArrays.decode(singles.get(1).payload));
  }

  @Test
  void theTasksOfApplyJobsOfOneFunctionJoinIntoABatchThatKnowsWhoseEachItemIs() throws Exception {
    MapJob a = apply(FUNCTION);
    MapJob b = apply(FUNCTION);
    Chunk first = chunk(a, 0, 7);
    Chunk second = chunk(b, 0, 8);
    assertTrue(first.canJoin(second));
    Chunk batch = Chunk.joined(List.of(first, second));
    assertEquals(List.of(first, second), batch.batch);
    assertEquals(2, batch.parts, "each task counts, for the depth and for maxTasksPerChild");
    assertArrayEquals(new Object[] {7, 8}, CompactArrays.decode(batch.payload));
    assertSame(b, batch.jobOf(1));
    assertEquals(0, batch.positionOf(1));
    assertEquals(List.of(first, second), batch.tasks());
    assertEquals(List.of(first), first.tasks());
  }

  @Test
  void onlyOneTaskJobsOfTheSameFunctionNeverChargedAndCompactJoinAsABatch() throws Exception {
    Chunk first = chunk(apply(FUNCTION), 0, 1);
    Payload other = Payload.newBuilder().setSerializerId(2).build();
    assertFalse(first.canJoin(chunk(apply(other), 0, 2)), "another function");
    assertFalse(first.canJoin(chunk(job(), 0, 2)), "a job of several tasks");
    assertFalse(chunk(job(), 0, 2).canJoin(first), "a job of several tasks");
    assertFalse(first.canJoin(chunk(apply(FUNCTION), 0, new StringBuilder("java-serialized"))), "not compact");
    Chunk charged = chunk(apply(FUNCTION), 0, 2);
    charged.attempts = 1;
    assertFalse(first.canJoin(charged), "a task charged a worker's death runs alone");
    assertTrue(first.canJoin(chunk(apply(Payload.newBuilder().setSerializerId(1).build()), 0, 2)),
        "a function that serializes the same is the same function");
  }

  @Test
  void aBatchSplitsIntoItsTasksEachChargedAsItWas() throws Exception {
    Chunk first = chunk(apply(FUNCTION), 0, 1);
    Chunk second = chunk(apply(FUNCTION), 0, 2);
    Chunk batch = Chunk.joined(List.of(first, second));
    batch.attempts = 1;
    assertEquals(List.of(first, second), batch.split((task, why) -> fail("a batch is not encoded again")));
    assertEquals(1, first.attempts);
    assertEquals(1, second.attempts);
  }
}
