package io.multiprocessing4j.examples;

import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Process;

/**
 * The tutorial's first example: one child process that prints, then is joined.
 *
 * <pre>
 * def do_some_work(val):
 *     print('doing some work in process')
 *     print('echo: {}'.format(val))
 *
 * p = multiprocessing.Process(target=do_some_work, args=(val,))
 * p.start(); p.join()
 * </pre>
 */
public final class ProcessExample {
  private ProcessExample() {}

  static void doSomeWork(String val) {
    System.out.println("doing some work in process " + Multiprocessing.currentProcess().name()
        + " (pid " + Multiprocessing.currentProcess().pid() + ")");
    System.out.println("echo: " + val);
  }

  public static void main(String[] args) throws InterruptedException {
    try (Multiprocessing mp = Multiprocessing.create()) {
      String val = "text";
      Process p = mp.process(() -> doSomeWork(val));
      p.start();
      p.join();
      System.out.println(p + " exited with code " + p.exitCode().getAsInt());
    }
  }
}
