package io.multiprocessing4j.examples;

import io.multiprocessing4j.JoinableQueue;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Queue;
import io.multiprocessing4j.RemoteContext;
import io.multiprocessing4j.RemoteOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * Queues across machines, as Python serves them with {@code BaseManager(address, authkey)}:
 *
 * <pre>
 * # server                                          # worker, on any machine that reaches the server
 * jobs = JoinableQueue(); results = Queue()         m = BaseManager(address=(host, 50000), authkey=key)
 * BaseManager.register('jobs', lambda: jobs) ...    m.register('jobs'); m.register('results'); m.connect()
 * m = BaseManager(address=('', 50000), authkey=key) jobs, results = m.jobs(), m.results()
 * m.get_server().serve_forever()                    n = jobs.get(); results.put(n * n); jobs.task_done()
 * </pre>
 *
 * This JVM serves a JoinableQueue of jobs and a queue of results over Pekko remoting; a worker JVM
 * connects, takes the jobs and puts the results. The worker here is started on this host, as a plain
 * JVM that is nobody's child, to stand in for another machine; elsewhere run
 * {@code java -cp <class path> io.multiprocessing4j.examples.RemoteQueueExample worker <host:port>}
 * with the authkey, in hex, on its stdin.
 */
public final class RemoteQueueExample {
  private static final int JOBS = 5;
  private static final int STOP = -1;

  private RemoteQueueExample() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("worker")) {
      byte[] authkey = HexFormat.of().parseHex(
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine());
      work(args[1], authkey);
      return;
    }
    try (Multiprocessing mp = Multiprocessing.create(RemoteOptions.listen("127.0.0.1", 0))) {
      JoinableQueue<Integer> jobs = mp.joinableQueue();
      Queue<String> results = mp.queue();
      mp.publish("jobs", jobs);
      mp.publish("results", results);
      for (int n = 1; n <= JOBS; n++) {
        jobs.put(n);
      }
      jobs.put(STOP);
      java.lang.Process worker = startWorker(mp.remoteAddress(), mp.authkey());
      jobs.join();
      for (int n = 1; n <= JOBS; n++) {
        System.out.println(results.get(Duration.ofSeconds(30)));
      }
      if (!worker.waitFor(30, TimeUnit.SECONDS)) {
        worker.destroyForcibly();
      }
      System.out.println("served " + mp.remoteAddress() + "; the worker exited with " + worker.exitValue());
    }
  }

  /** The worker: takes jobs until told to stop, squaring each. */
  static void work(String address, byte[] authkey) throws InterruptedException {
    try (RemoteContext remote = Multiprocessing.connect(address, authkey)) {
      JoinableQueue<Integer> jobs = remote.lookup("jobs");
      Queue<String> results = remote.lookup("results");
      for (int n = jobs.get(); n != STOP; n = jobs.get()) {
        results.put(n + " squared is " + n * n + ", by worker pid " + ProcessHandle.current().pid());
        jobs.taskDone();
      }
      jobs.taskDone();
    }
  }

  private static java.lang.Process startWorker(String address, byte[] authkey) throws Exception {
    java.lang.Process worker = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        RemoteQueueExample.class.getName(), "worker", address)
        .redirectOutput(ProcessBuilder.Redirect.INHERIT)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    try (Writer stdin = new OutputStreamWriter(worker.getOutputStream(), StandardCharsets.UTF_8)) {
      stdin.write(HexFormat.of().formatHex(authkey) + "\n");
    }
    return worker;
  }
}
