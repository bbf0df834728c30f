package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.WorkerDiedException;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.TaskFrames;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ids under which workers cache a pool's functions ({@link WorkQueue#functionId}), and what is
 * taken back from a worker that died.
 */
@Timeout(10)
class WorkQueueTest {
  private static Payload function(int size, int seed) {
    byte[] bytes = new byte[size];
    bytes[0] = (byte) seed;
    return Payload.newBuilder().setSerializerId(1).setData(ByteString.copyFrom(bytes)).build();
  }

  private static MapJob job(Payload function) {
    return new MapJob("Pool.map", function, 1, false, Runnable::run);
  }

  @Test
  void aFunctionKeepsItsIdAcrossJobsThatFollowEachOther() {
    WorkQueue work = new WorkQueue();
    MapJob first = job(function(100, 1));
    work.add(first);
    long id = work.functionId(first);
    work.remove(first);
    MapJob next = job(function(100, 1));
    work.add(next);
    assertEquals(id, work.functionId(next));
  }

  @Test
  void aLargeFunctionGetsANewIdForEachJob() {
    WorkQueue work = new WorkQueue();
    MapJob first = job(function(100_000, 1));
    work.add(first);
    long id = work.functionId(first);
    work.remove(first);
    MapJob next = job(function(100_000, 1));
    work.add(next);
    assertNotEquals(id, work.functionId(next));
  }

  @Test
  void onlyTheMostRecentlyUsedIdleFunctionsKeepTheirIds() {
    WorkQueue work = new WorkQueue();
    MapJob oldest = job(function(100, 0));
    work.add(oldest);
    long oldestId = work.functionId(oldest);
    work.remove(oldest);
    for (int seed = 1; seed <= 100; seed++) {
      MapJob other = job(function(100, seed));
      work.add(other);
      work.remove(other);
    }
    MapJob again = job(function(100, 0));
    work.add(again);
    assertNotEquals(oldestId, work.functionId(again));
    MapJob recent = job(function(100, 100));
    work.add(recent);
    long recentId = work.functionId(recent);
    work.remove(recent);
    MapJob recentAgain = job(function(100, 100));
    work.add(recentAgain);
    assertEquals(recentId, work.functionId(recentAgain));
  }

  /** {@code count} submitted {@code apply} jobs of one function, and their tasks (item i for job i). */
  private static List<Chunk> applyTasks(WorkQueue work, Payload function, int count) throws Exception {
    List<Chunk> tasks = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      MapJob job = new MapJob("Pool.applyAsync", function, 1, true, Runnable::run);
      work.add(job);
      job.inputEnded(1);
      tasks.add(new Chunk(job, 0, new Object[] {i}, TaskFrames.encodeArray(new Object[] {i})));
    }
    return tasks;
  }

  private static PoolWorker.Dispatched held(long chunkId, Chunk chunk) {
    return new PoolWorker.Dispatched(chunkId, chunk, 1);
  }

  @Test
  void batchesHeldByAWorkerThatDiedGoBackAsTheirTasksAndOnlyTheRunningOneIsCharged() throws Exception {
    WorkQueue work = new WorkQueue();
    List<Chunk> tasks = applyTasks(work, function(100, 1), 5);
    ((MapJob) tasks.get(1).job).future().cancel(false);
    Chunk running = Chunk.joined(tasks.subList(0, 3));
    Chunk queued = Chunk.joined(tasks.subList(3, 5));
    PoolWorker died = new PoolWorker(1, "SpawnPoolWorker-1", null);
    work.takeBack(List.of(held(1, running), held(2, queued)), died, -9, Optional.empty(), 3);
    assertSame(tasks.get(0), work.next());
    assertSame(tasks.get(2), work.next(), "the task of a cancelled job is dropped");
    assertSame(tasks.get(3), work.next());
    assertSame(tasks.get(4), work.next());
    assertEquals(1, tasks.get(0).attempts);
    assertEquals(1, tasks.get(2).attempts);
    assertEquals(0, tasks.get(3).attempts, "a batch its worker had not started is not charged");
  }

  @Test
  void eachTaskOfABatchPastItsRetriesFailsItsOwnJob() throws Exception {
    WorkQueue work = new WorkQueue();
    List<Chunk> tasks = applyTasks(work, function(100, 1), 3);
    ((MapJob) tasks.get(1).job).future().cancel(false);
    PoolWorker died = new PoolWorker(1, "SpawnPoolWorker-1", null);
    work.takeBack(List.of(held(1, Chunk.joined(tasks))), died, -9, Optional.empty(), 0);
    for (int i : new int[] {0, 2}) {
      ExecutionException failed = assertThrows(ExecutionException.class, ((MapJob) tasks.get(i).job).future()::get);
      WorkerDiedException cause = assertInstanceOf(WorkerDiedException.class, failed.getCause());
      assertTrue(cause.getMessage().startsWith("the task of Pool.applyAsync was lost"), cause.getMessage());
      assertEquals(1, cause.attempts());
    }
    assertThrows(CancellationException.class, ((MapJob) tasks.get(1).job).future()::get);
  }

  @Test
  void aChunkWhoseAnswerArrivedInPartOnlyRunsItsUnansweredItemsAgainWhenItsWorkerDies() throws Exception {
    WorkQueue work = new WorkQueue();
    MapJob job = new MapJob("Pool.map", function(100, 1), 4, false, Runnable::run);
    work.add(job);
    job.inputEnded(4);
    Object[] items = {10, 11, 12, 13};
    Chunk chunk = new Chunk(job, 0, items, TaskFrames.encodeArray(items));
    PoolWorker.Dispatched running = held(1, chunk);
    // The first part of its answer settled items 0 and 1 (as PoolDispatch does).
    job.settle(chunk.slice(0, 2), new Object[] {"a", "b"}, null);
    running.answeredItems = 2;
    work.takeBack(List.of(running), new PoolWorker(1, "SpawnPoolWorker-1", null), -9, Optional.empty(), 3);
    Chunk third = work.next();
    Chunk fourth = work.next();
    assertEquals(2, third.start, "items 0 and 1 are not run again");
    assertEquals(3, fourth.start);
    assertEquals(1, third.attempts, "the items its worker died running are charged");
    assertEquals(List.of(12), List.of(TaskFrames.decodeEach(third.payload, getClass().getClassLoader()).values()));
    job.settle(third, new Object[] {"c"}, null);
    job.settle(fourth, new Object[] {"d"}, null);
    assertEquals(List.of("a", "b", "c", "d"), job.future().get());
  }
}
