package io.multiprocessing4j.examples;

import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.Queue;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The tutorial's Pipe example rewritten with queues.
 *
 * <pre>
 * def make_tuple(queue):
 *     num = random.randint(1, 9)
 *     queue.put(('Hi', num))
 *     print(queue.get())
 *
 * def make_string(queue):
 *     substr, num = queue.get()
 *     queue.put(substr * num)
 * </pre>
 *
 * The tutorial shares one queue both ways, so {@code make_tuple} may take its own tuple back (and
 * {@code make_string} then waits for ever); here each direction has its own queue.
 */
public final class QueueExample {
  private QueueExample() {}

  static void makeTuple(Queue<Object> requests, Queue<Object> replies) throws InterruptedException {
    int num = ThreadLocalRandom.current().nextInt(1, 10);
    requests.put(List.of("Hi", num));
    System.out.println(replies.get());
  }

  static void makeString(Queue<Object> requests, Queue<Object> replies) throws InterruptedException {
    List<?> tuple = (List<?>) requests.get();
    replies.put(((String) tuple.get(0)).repeat((Integer) tuple.get(1)));
  }

  public static void main(String[] args) throws InterruptedException {
    try (Multiprocessing mp = Multiprocessing.create()) {
      Queue<Object> requests = mp.queue();
      Queue<Object> replies = mp.queue();
      Process p1 = mp.process(() -> Examples.unchecked(() -> makeTuple(requests, replies)));
      Process p2 = mp.process(() -> Examples.unchecked(() -> makeString(requests, replies)));
      p1.start();
      p2.start();
      p1.join();
      p2.join();
    }
  }
}
