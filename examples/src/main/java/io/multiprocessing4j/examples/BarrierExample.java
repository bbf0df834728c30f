package io.multiprocessing4j.examples;

import io.multiprocessing4j.Barrier;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Process;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;

/**
 * Three processes meet at a {@link Barrier} after each phase of work; the action runs once per phase,
 * in the last to arrive: Python's {@code Barrier(3, action=...)} and {@code barrier.wait()}, written
 * {@code mp.barrier(3, action, timeout)} and {@code barrier.await()}.
 */
public final class BarrierExample {
  private BarrierExample() {}

  static void phaseDone() {
    String last = Multiprocessing.currentProcess().name();
    System.out.println("-- every party finished the phase (the action ran in " + last + ", the last to arrive)");
  }

  static void work(Barrier barrier) {
    String me = Multiprocessing.currentProcess().name();
    try {
      for (int phase = 1; phase <= 2; phase++) {
        System.out.println(me + " finished phase " + phase);
        int arrival = barrier.await();
        if (arrival == 0) {
          System.out.println(me + " was the first to arrive at the end of phase " + phase);
        }
      }
    } catch (InterruptedException | BrokenBarrierException e) {
      System.out.println(me + " gave up: " + e.getMessage());
    }
  }

  public static void main(String[] args) throws InterruptedException {
    try (Multiprocessing mp = Multiprocessing.create()) {
      Barrier barrier = mp.barrier(3, BarrierExample::phaseDone, Duration.ofSeconds(60));
      List<Process> processes = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Process p = mp.process(() -> work(barrier));
        p.start();
        processes.add(p);
      }
      for (Process p : processes) {
        p.join();
      }
    }
  }
}
