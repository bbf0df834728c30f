package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Handles travel: pipe ends and queues made in one process work wherever they are captured or sent —
 * through a pipe, in pool tasks (and in the worker after its task), in two children at once, in a
 * grandchild, back in the parent — and one whose context is gone fails clearly when it arrives.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandlesTravelTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  private static <T> T recvWithin(Connection<T> end) throws InterruptedException {
    assertTrue(end.poll(WAIT), "nothing arrived on " + end + " in " + WAIT);
    return end.recv();
  }

  private static void assertEndOfFile(Connection<?> end) throws InterruptedException {
    assertTrue(end.poll(WAIT), "no end of file on " + end + " in " + WAIT);
    assertThrows(PipeClosedException.class, end::recv);
  }

  @Test
  void aQueueTravelsThroughAPipe() throws Exception {
    Pipe<Queue<String>> pipe = mp.pipe(false);
    Connection<Queue<String>> in = pipe.conn1();
    Queue<String> queue = mp.queue();
    Process child = mp.process(ChildBody.target(() -> in.recv().put("put on a queue that came through a pipe")));
    child.start();
    in.close();
    pipe.conn2().send(queue);
    assertEquals("put on a queue that came through a pipe", queue.get(WAIT));
    child.join(WAIT);
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  @Test
  void anEndWorksInPoolTasksAndStaysWithTheWorkerUntilItExits() throws Exception {
    Pipe<String> pipe = mp.pipe(false);
    Connection<String> sender = pipe.conn2();
    Pipe<String> toWorker = mp.pipe(false);
    Connection<String> workerReads = toWorker.conn1();
    try (Pool pool = mp.pool(1)) {
      assertEquals(1, pool.apply(() -> {
        sender.send("apply");
        return 1;
      }));
      assertEquals(List.of(0, 1), pool.map(i -> {
        sender.send("map " + i);
        return i;
      }, List.of(0, 1)));
      toWorker.conn2().send("to the worker");
      assertEquals("to the worker", pool.apply(() -> workerReads.recv()));
      sender.close();
      assertEquals("apply", recvWithin(pipe.conn1()));
      assertEquals(Set.of("map 0", "map 1"), Set.of(recvWithin(pipe.conn1()), recvWithin(pipe.conn1())));
      pool.close();
      pool.join();
    }
    assertEndOfFile(pipe.conn1());
  }

  /**
   * A pool call whose function or items carried an end that no worker ever read (nothing to map, an
   * item that cannot travel, a task cancelled before it ran) does not hold that end open: the other
   * end still sees end of file once its real holders close it.
   */
  @Test
  void anEndSentToAPoolCallNoWorkerReadDoesNotHoldItOpen() throws Exception {
    try (Pool pool = mp.pool(1)) {
      Pipe<String> empty = mp.pipe(false);
      Connection<String> unused = empty.conn2();
      assertEquals(List.of(), pool.map(i -> {
        unused.send("never");
        return i;
      }, List.<Integer>of()));
      unused.close();
      assertEndOfFile(empty.conn1());

      Pipe<String> refused = mp.pipe(false);
      Connection<String> carried = refused.conn2();
      assertThrows(PicklingException.class, () -> pool.map(i -> {
        carried.send("never");
        return i;
      }, List.of(1, new Object())));
      carried.close();
      assertEndOfFile(refused.conn1());

      // An end among the items, in one chunk with one that cannot travel (encoded again to name that one).
      Pipe<String> besideRefused = mp.pipe(false);
      assertThrows(PicklingException.class,
          () -> pool.map(item -> item.toString(), List.of(besideRefused.conn2(), new Object()), 2));
      besideRefused.conn2().close();
      assertEndOfFile(besideRefused.conn1());

      Pipe<String> asItem = mp.pipe(false);
      Event blocking = mp.event();
      CompletableFuture<Boolean> busy = pool.applyAsync(() -> blocking.await(WAIT));
      CompletableFuture<List<Boolean>> queued = pool.mapAsync(Connection::isClosed, List.of(asItem.conn2()));
      assertTrue(queued.cancel(false));
      blocking.set();
      assertTrue(busy.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      asItem.conn2().close();
      assertEndOfFile(asItem.conn1());
    }
  }

  @Test
  void twoChildrenHoldingOneEndShareItAndItClosesWhenBothExit() throws Exception {
    Pipe<String> pipe = mp.pipe(false);
    Connection<String> sender = pipe.conn2();
    Process first = mp.process(() -> sender.send("first"));
    Process second = mp.process(() -> sender.send("second"));
    first.start();
    second.start();
    sender.close();
    assertEquals(Set.of("first", "second"), Set.of(recvWithin(pipe.conn1()), recvWithin(pipe.conn1())));
    assertEndOfFile(pipe.conn1());
    first.join(WAIT);
    second.join(WAIT);
    assertEquals(OptionalInt.of(0), first.exitCode());
    assertEquals(OptionalInt.of(0), second.exitCode());
  }

  /** Child side: hands the end to a grandchild of its own context, which sends on it. */
  static void sendFromAGrandchild(Connection<String> end) throws Exception {
    try (Multiprocessing inner = Multiprocessing.create()) {
      Process grandchild = inner.process(() -> end.send("from a grandchild"));
      grandchild.start();
      grandchild.join(WAIT);
      if (grandchild.exitCode().orElse(-1) != 0) {
        throw new AssertionError("grandchild failed: " + grandchild);
      }
    }
  }

  @Test
  void anEndWorksInAGrandchild() throws Exception {
    Pipe<String> pipe = mp.pipe(false);
    Connection<String> sender = pipe.conn2();
    Process child = mp.process(ChildBody.target(() -> sendFromAGrandchild(sender)));
    child.start();
    sender.close();
    assertEquals("from a grandchild", recvWithin(pipe.conn1()));
    child.join(WAIT);
    assertEquals(OptionalInt.of(0), child.exitCode());
    assertEndOfFile(pipe.conn1());
  }

  @Test
  void aManagerQueueWorksInAChildAndInPoolTasks() throws Exception {
    try (Manager manager = mp.manager(); Pool pool = mp.pool(1)) {
      QueueProxy<String> queue = manager.queue();
      Process child = mp.process(ChildBody.target(() -> queue.put("child")));
      child.start();
      assertEquals("child", queue.poll(WAIT));
      child.join(WAIT);
      assertEquals(OptionalInt.of(0), child.exitCode());
      for (String task : List.of("task 1", "task 2")) {
        pool.apply(() -> {
          queue.put(task);
          return task;
        });
        assertEquals(task, queue.poll(WAIT));
      }
      pool.terminate();
    }
  }

  @Test
  void aDirectReaderHandsItsEndBackToTheParentWithWhatItHadNotReceivedInOrder() throws Exception {
    Pipe<Integer> pipe = mp.pipe(false);
    Connection<Integer> reader = pipe.conn1();
    Connection<Integer> writer = pipe.conn2();
    Queue<Object> channel = mp.queue();
    Event allSent = mp.event();
    Process readsTen = mp.process(ChildBody.target(() -> {
      for (int i = 0; i < 10; i++) {
        channel.put(reader.recv());
      }
      if (!allSent.await(WAIT)) {
        throw new AssertionError("the writer did not finish");
      }
      channel.put(reader);
    }));
    Process writes = mp.process(ChildBody.target(() -> {
      for (int i = 0; i < 1000; i++) {
        writer.send(i);
      }
      allSent.set();
    }));
    readsTen.start();
    writes.start();
    reader.close();
    writer.close();
    for (int i = 0; i < 10; i++) {
      assertEquals(i, channel.get(WAIT));
    }
    @SuppressWarnings("unchecked")
    Connection<Integer> back = (Connection<Integer>) channel.get(WAIT);
    for (int i = 10; i < 1000; i++) {
      assertEquals(i, recvWithin(back));
    }
    readsTen.join(WAIT);
    writes.join(WAIT);
    assertEndOfFile(back);
    assertEquals(OptionalInt.of(0), readsTen.exitCode());
    assertEquals(OptionalInt.of(0), writes.exitCode());
  }

  /** Child side: offers an end of a pipe of its own context, then closes that context and exits. */
  static void offerAnEndThenCloseItsContext(Queue<Object> channel) throws Exception {
    try (Multiprocessing inner = Multiprocessing.create()) {
      channel.put(inner.pipe().conn2());
    }
  }

  @Test
  void anEndArrivingAfterItsContextClosedFailsClearlyAndTheQueueGoesOn() throws Exception {
    Queue<Object> channel = mp.queue();
    Process child = mp.process(ChildBody.target(() -> offerAnEndThenCloseItsContext(channel)));
    child.start();
    child.join(WAIT);
    assertEquals(OptionalInt.of(0), child.exitCode());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> channel.get(WAIT));
    assertTrue(e.getMessage().contains("cannot reach the parent process that holds Pipe-1/2"), e.getMessage());
    channel.put("still works");
    assertEquals("still works", channel.get(WAIT));
  }
}
