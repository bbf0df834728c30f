package io.multiprocessing4j.examples;

import io.multiprocessing4j.Array;
import io.multiprocessing4j.Condition;
import io.multiprocessing4j.Guard;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.Value;

/**
 * Producer and consumer in two processes sharing a ring buffer, guarded by a {@link Condition}:
 * Python's {@code with cond: cond.wait_for(...); ...; cond.notify_all()}, written
 * {@code try (Guard held = cond.guard()) { cond.awaitFor(...); ...; cond.signalAll(); }}.
 */
public final class ConditionExample {
  private static final int ITEMS = 20;

  private ConditionExample() {}

  static void produce(Condition cond, Array.OfInt ring, Value.OfInt count, Value.OfInt head) {
    for (int item = 1; item <= ITEMS; item++) {
      try (Guard held = cond.guard()) {
        cond.awaitFor(() -> count.get() < ring.length());   // wait for room
        ring.set((head.get() + count.get()) % ring.length(), item * item);
        count.set(count.get() + 1);
        cond.signalAll();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  public static void main(String[] args) throws InterruptedException {
    try (Multiprocessing mp = Multiprocessing.create()) {
      Condition cond = mp.condition();
      Array.OfInt ring = mp.rawArray(Array.INT, 4);
      Value.OfInt count = mp.rawValue(0);
      Value.OfInt head = mp.rawValue(0);
      Process producer = mp.process(() -> produce(cond, ring, count, head));
      producer.start();
      long total = 0;
      for (int i = 0; i < ITEMS; i++) {
        try (Guard held = cond.guard()) {
          cond.awaitFor(() -> count.get() > 0);                // wait for an item
          total += ring.get(head.get());
          head.set((head.get() + 1) % ring.length());
          count.set(count.get() - 1);
          cond.signalAll();
        }
      }
      producer.join();
      System.out.println("consumed " + ITEMS + " squares through a 4-slot ring, total " + total);
    }
  }
}
