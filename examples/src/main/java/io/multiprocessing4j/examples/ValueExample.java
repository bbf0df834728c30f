package io.multiprocessing4j.examples;

import io.multiprocessing4j.Guard;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * A counter in shared memory, incremented by four processes: Python's
 *
 * <pre>
 * def work(counter):
 *     for _ in range(10000):
 *         with counter.get_lock():
 *             counter.value += 1
 * counter = Value('i', 0)
 * </pre>
 *
 * and the lock-free way Python does not have: {@code getAndAdd}, one atomic instruction.
 */
public final class ValueExample {
  private ValueExample() {}

  static void work(Value.OfInt locked, Value.OfInt atomic) {
    for (int i = 0; i < 10_000; i++) {
      try (Guard held = locked.getLock().guard()) {
        locked.set(locked.get() + 1);
      }
      atomic.getAndAdd(1);
    }
  }

  public static void main(String[] args) throws InterruptedException {
    try (Multiprocessing mp = Multiprocessing.create()) {
      Value.OfInt locked = mp.value(0);
      Value.OfInt atomic = mp.rawValue(0);
      List<Process> processes = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Process p = mp.process(() -> work(locked, atomic));
        p.start();
        processes.add(p);
      }
      for (Process p : processes) {
        p.join();
      }
      System.out.println("under the lock: " + locked.get() + ", atomically: " + atomic.get() + " (expected 40000)");
    }
  }
}
