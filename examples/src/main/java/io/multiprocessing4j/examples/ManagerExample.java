package io.multiprocessing4j.examples;

import io.multiprocessing4j.DictProxy;
import io.multiprocessing4j.ListProxy;
import io.multiprocessing4j.Manager;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Process;
import java.util.ArrayList;
import java.util.List;

/**
 * A dict and a list held by a manager process, written by several children: Python's
 *
 * <pre>
 * def work(d, l, i):
 *     d[i] = i * i
 *     l.append(i)
 * with Manager() as manager:
 *     d = manager.dict(); l = manager.list()
 *     ps = [Process(target=work, args=(d, l, i)) for i in range(4)]
 * </pre>
 */
public final class ManagerExample {
  private ManagerExample() {}

  static void work(DictProxy<Integer, Integer> squares, ListProxy<String> log, int i) {
    squares.put(i, i * i);
    log.add("child " + i + " was here");
  }

  public static void main(String[] args) throws InterruptedException {
    try (Multiprocessing mp = Multiprocessing.create(); Manager manager = mp.manager()) {
      DictProxy<Integer, Integer> squares = manager.dict();
      ListProxy<String> log = manager.list();
      List<Process> processes = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        int n = i;
        Process p = mp.process(() -> work(squares, log, n));
        p.start();
        processes.add(p);
      }
      for (Process p : processes) {
        p.join();
      }
      System.out.println("squares: " + squares.copy());
      System.out.println("log: " + log.size() + " entries, e.g. '" + log.get(0) + "'");
    }
  }
}
