package io.multiprocessing4j.examples;

import io.multiprocessing4j.Connection;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pipe;
import io.multiprocessing4j.Process;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The tutorial's Pipe example: two children trade a tuple and a string over a duplex pipe.
 *
 * <pre>
 * def make_tuple(conn):
 *     num = random.randint(1, 9)
 *     conn.send(('Hi', num))
 *     print(conn.recv())
 *
 * def make_string(conn):
 *     substr, num = conn.recv()
 *     conn.send(substr * num)
 *
 * conn1, conn2 = Pipe(True)
 * Process(target=make_tuple, args=(conn1,)).start()
 * Process(target=make_string, args=(conn2,)).start()
 * </pre>
 */
public final class PipeExample {
  private PipeExample() {}

  static void makeTuple(Connection<Object> conn) throws InterruptedException {
    int num = ThreadLocalRandom.current().nextInt(1, 10);
    conn.send(List.of("Hi", num));
    System.out.println(conn.recv());
  }

  static void makeString(Connection<Object> conn) throws InterruptedException {
    List<?> tuple = (List<?>) conn.recv();
    String substr = (String) tuple.get(0);
    int num = (Integer) tuple.get(1);
    conn.send(substr.repeat(num));
  }

  public static void main(String[] args) throws InterruptedException {
    try (Multiprocessing mp = Multiprocessing.create()) {
      Pipe<Object> pipe = mp.pipe(true);
      Connection<Object> conn1 = pipe.conn1();
      Connection<Object> conn2 = pipe.conn2();
      Process p1 = mp.process(() -> Examples.unchecked(() -> makeTuple(conn1)));
      Process p2 = mp.process(() -> Examples.unchecked(() -> makeString(conn2)));
      p1.start();
      p2.start();
      p1.join();
      p2.join();
    }
  }
}
