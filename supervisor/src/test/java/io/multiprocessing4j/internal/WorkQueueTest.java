package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.proto.Payload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ids under which workers cache a pool's functions ({@link WorkQueue#functionId}). */
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
}
