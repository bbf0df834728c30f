package io.multiprocessing4j.examples;

import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pool;
import io.multiprocessing4j.PoolOptions;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The tutorial's pool example: twice as many workers as cores, each announcing itself from its
 * initializer, squaring the numbers 0 to 9.
 *
 * <pre>
 * def do_work(data):
 *     return data**2
 *
 * def start_process():
 *     print('Starting', multiprocessing.current_process().name)
 *
 * pool_size = multiprocessing.cpu_count() * 2
 * pool = multiprocessing.Pool(processes=pool_size, initializer=start_process)
 * outputs = pool.map(do_work, list(range(10)))
 * print('Outputs', outputs)
 * pool.close(); pool.join()
 * </pre>
 */
public final class PoolExample {
  private PoolExample() {}

  static int doWork(int data) {
    return data * data;
  }

  static void startProcess() {
    System.out.println("Starting " + Multiprocessing.currentProcess().name());
  }

  public static void main(String[] args) throws InterruptedException {
    try (Multiprocessing mp = Multiprocessing.create()) {
      int poolSize = Multiprocessing.cpuCount() * 2;
      Pool pool = mp.pool(PoolOptions.defaults().withProcesses(poolSize).withInitializer(PoolExample::startProcess));
      List<Integer> inputs = IntStream.range(0, 10).boxed().toList();
      List<Integer> outputs = pool.map(PoolExample::doWork, inputs);
      System.out.println("Outputs " + outputs);

      pool.shutdown(); // no more tasks (Python's close())
      pool.join(); // wait for the worker processes to exit
    }
  }
}
