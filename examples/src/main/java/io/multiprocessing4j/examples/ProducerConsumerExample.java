package io.multiprocessing4j.examples;

import io.multiprocessing4j.JoinableQueue;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.ProcessOptions;
import io.multiprocessing4j.Queue;
import java.util.ArrayList;
import java.util.List;

/**
 * A producer and two consumers on a bounded JoinableQueue: the producer blocks whenever four tasks
 * wait (back pressure across processes); the parent waits with {@code join()} until every task is done.
 */
public final class ProducerConsumerExample {
  private ProducerConsumerExample() {}

  static void produce(JoinableQueue<Integer> tasks, int count) throws InterruptedException {
    for (int i = 1; i <= count; i++) {
      tasks.put(i);
    }
  }

  static void consume(JoinableQueue<Integer> tasks, Queue<Integer> results) throws InterruptedException {
    String me = Multiprocessing.currentProcess().name();
    while (true) {
      int task = tasks.get();
      System.out.println(me + " squares " + task);
      results.put(task * task);
      tasks.taskDone();
    }
  }

  public static void main(String[] args) throws InterruptedException {
    try (Multiprocessing mp = Multiprocessing.create()) {
      JoinableQueue<Integer> tasks = mp.joinableQueue(4);
      Queue<Integer> results = mp.queue();
      List<Process> consumers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        // Daemon consumers loop for ever; closing the context terminates them, as Python's exit does.
        consumers.add(mp.process(() -> Examples.unchecked(() -> consume(tasks, results)),
            ProcessOptions.defaults().withDaemon(true)));
      }
      consumers.forEach(Process::start);
      Process producer = mp.process(() -> Examples.unchecked(() -> produce(tasks, 10)));
      producer.start();
      producer.join();
      tasks.join();
      int sum = 0;
      for (int i = 0; i < 10; i++) {
        sum += results.get();
      }
      System.out.println("every task done; sum of squares 1..10 = " + sum);
    }
  }
}
