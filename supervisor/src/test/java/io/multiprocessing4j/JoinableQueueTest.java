package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** JoinableQueue: join waits for every task, task_done is checked, a dead consumer's items come back. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JoinableQueueTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side: squares numbers onto {@code results}, marking each done, until a negative one. */
  static void work(JoinableQueue<Integer> tasks, Queue<Integer> results) throws InterruptedException {
    while (true) {
      int task = tasks.get();
      if (task >= 0) {
        results.put(task * task);
      }
      tasks.taskDone();
      if (task < 0) {
        return;
      }
    }
  }

  @Test
  void joinReturnsOnceEveryTaskIsDone() throws Exception {
    JoinableQueue<Integer> tasks = mp.joinableQueue(5);
    Queue<Integer> results = mp.queue();
    List<Process> workers = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      workers.add(mp.process(ChildBody.target(() -> work(tasks, results))));
    }
    workers.forEach(Process::start);
    int count = 200;
    long expected = 0;
    for (int i = 0; i < count; i++) {
      tasks.put(i);
      expected += (long) i * i;
    }
    tasks.join();
    long sum = 0;
    for (int i = 0; i < count; i++) {
      sum += results.get();
    }
    assertEquals(expected, sum);
    for (int i = 0; i < workers.size(); i++) {
      tasks.put(-1);
    }
    tasks.join();
    for (Process worker : workers) {
      worker.join();
      assertEquals(OptionalInt.of(0), worker.exitCode());
    }
  }

  @Test
  void joinWaitsForTheLastTaskDone() throws Exception {
    JoinableQueue<String> q = mp.joinableQueue();
    q.put("a");
    q.put("b");
    CountDownLatch joined = new CountDownLatch(1);
    Thread joiner = new Thread(ChildBody.target(() -> {
      q.join();
      joined.countDown();
    }));
    joiner.start();
    q.get();
    q.taskDone();
    assertFalse(joined.await(200, TimeUnit.MILLISECONDS), "one task is still unfinished");
    q.get();
    q.taskDone();
    assertTrue(joined.await(10, TimeUnit.SECONDS));
    joiner.join();
  }

  @Test
  void taskDoneCalledTooOftenIsAnError() throws Exception {
    JoinableQueue<String> q = mp.joinableQueue();
    q.put("only");
    q.get();
    q.taskDone();
    IllegalStateException failure = assertThrows(IllegalStateException.class, q::taskDone);
    assertTrue(failure.getMessage().contains("too many times"), failure.getMessage());
  }

  /**
   * Child side: takes the one task, says so, waits until another process has marked it done, then calls
   * taskDone() once more and reports what that call did; then puts again, which must still work.
   */
  static void markDoneTooLate(JoinableQueue<String> tasks, Queue<String> reports, Event markedElsewhere)
      throws InterruptedException {
    reports.put("took " + tasks.get());
    if (!markedElsewhere.await(PATIENCE)) {
      throw new IllegalStateException("the parent never marked the task done");
    }
    try {
      tasks.taskDone();
      reports.put("the surplus taskDone() passed silently");
    } catch (IllegalStateException expected) {
      reports.put("refused: " + expected.getMessage());
    }
    tasks.put("after");
    reports.put("put after it");
  }

  /**
   * A taskDone() from a child that took an item, after another process already marked that item done,
   * is one too many, as in Python (ValueError in the caller): it fails in the child's call. It used to
   * be posted without waiting, so the broker's refusal was lost to the caller, and then failed the
   * child's next, unrelated put instead.
   */
  @Test
  void aSurplusTaskDoneFromAChildFailsInThatChild() throws Exception {
    JoinableQueue<String> tasks = mp.joinableQueue();
    Queue<String> reports = mp.queue();
    Event markedElsewhere = mp.event();
    tasks.put("only");
    Process consumer = mp.process(ChildBody.target(() -> markDoneTooLate(tasks, reports, markedElsewhere)));
    consumer.start();
    assertEquals("took only", reports.get(PATIENCE));
    tasks.taskDone();
    markedElsewhere.set();
    String surplus = reports.get(PATIENCE);
    assertTrue(surplus.startsWith("refused: ") && surplus.contains("too many times"), surplus);
    assertEquals("put after it", reports.get(PATIENCE), "the refusal does not poison the child's later calls");
    consumer.join(PATIENCE);
    assertEquals(OptionalInt.of(0), consumer.exitCode(), consumer.remoteTraceback().orElse(""));
    assertEquals("after", tasks.get(PATIENCE));
    tasks.taskDone();
    tasks.join();
    assertThrows(IllegalStateException.class, tasks::taskDone, "and from the parent");
  }

  /** Child side: takes one task, says so, and never marks it done (it is killed mid-task). */
  static void takeAndHang(JoinableQueue<String> tasks, Queue<String> taken) throws InterruptedException {
    taken.put(tasks.get());
    new CountDownLatch(1).await();
  }

  @Test
  void itemsOfAConsumerThatDiesGoBackSoJoinCompletes() throws Exception {
    JoinableQueue<String> tasks = mp.joinableQueue();
    Queue<String> taken = mp.queue();
    tasks.put("job");
    Process consumer = mp.process(ChildBody.target(() -> takeAndHang(tasks, taken)));
    consumer.start();
    assertEquals("job", taken.get(PATIENCE));
    assertThrows(QueueEmptyException.class, tasks::getNowait, "the job is held by the consumer");
    consumer.kill();
    consumer.join();
    assertEquals("job", tasks.get(PATIENCE), "the dead consumer's job came back");
    tasks.taskDone();
    tasks.join();
  }

  private static long heapAfterCollection() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * The parent's own takes are counted until marked done, but their items are not kept: the parent never
   * disconnects from its own broker, so they can never go back. Before, every item the parent took stayed
   * in the broker's heap until its taskDone(), for ever when it never came (a JoinableQueue used as a
   * plain queue kept every item that ever passed through it).
   */
  @Test
  void itemsTheParentTookAreNotKeptUntilMarkedDone() throws Exception {
    JoinableQueue<byte[]> tasks = mp.joinableQueue();
    int items = 32;
    int size = 4 << 20;
    long before = heapAfterCollection();
    for (int i = 0; i < items; i++) {
      tasks.put(new byte[size]);
      assertEquals(size, tasks.get(PATIENCE).length);
    }
    long kept = heapAfterCollection() - before;
    assertTrue(kept < (long) items * size / 4, "the broker kept " + (kept >> 20) + " MiB of taken items");
    for (int i = 0; i < items; i++) {
      tasks.taskDone();
    }
    tasks.join();
    assertThrows(IllegalStateException.class, tasks::taskDone);
  }
}
