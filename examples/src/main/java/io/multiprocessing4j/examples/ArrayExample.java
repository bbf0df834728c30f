package io.multiprocessing4j.examples;

import io.multiprocessing4j.Array;
import io.multiprocessing4j.Guard;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Process;
import java.nio.DoubleBuffer;

/**
 * An array in shared memory, filled by a child and summed by the parent: Python's
 *
 * <pre>
 * def fill(arr):
 *     with arr.get_lock():
 *         for i in range(len(arr)):
 *             arr[i] = i * 0.5
 * arr = Array('d', 1000000)
 * p = Process(target=fill, args=(arr,)); p.start(); p.join()
 * print(sum(arr.get_obj()))
 * </pre>
 */
public final class ArrayExample {
  private ArrayExample() {}

  static void fill(Array.OfDouble array) {
    try (Guard held = array.getLock().guard()) {
      DoubleBuffer elements = array.asBuffer();   // the shared memory itself: Python's get_obj()
      for (int i = 0; i < array.length(); i++) {
        elements.put(i, i * 0.5);
      }
    }
  }

  public static void main(String[] args) throws InterruptedException {
    try (Multiprocessing mp = Multiprocessing.create()) {
      Array.OfDouble array = mp.array(Array.DOUBLE, 1_000_000);
      Process p = mp.process(() -> fill(array));
      p.start();
      p.join();
      double sum = 0;
      try (Guard held = array.getLock().guard()) {
        DoubleBuffer elements = array.asBuffer();
        for (int i = 0; i < array.length(); i++) {
          sum += elements.get(i);
        }
      }
      System.out.println("the child filled " + array + "; element 10 = " + array.get(10) + ", sum = " + sum);
    }
  }
}
