package io.multiprocessing4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The remote JVM's side of {@link RemoteRelayFlowTest}, run by {@link RemotePeerMain}: traffic that
 * fills the relay's windows from several threads or handles at once.
 */
final class RemoteFlowScenarios {
  /** many-streams: this many queues, "q0".., each put this many small items by a thread of its own. */
  static final int STREAMS = 8;
  static final int ITEMS_PER_STREAM = 20_000;
  /** two-threads-one-end and getters-and-putter: this many items of {@link #BIG} bytes each way. */
  static final int BIG_ITEMS = 64;
  static final int BIG = 1 << 20;
  /** getters-and-putter: the threads that get from one queue handle at once. */
  static final int GETTERS = 16;

  private RemoteFlowScenarios() {}

  /** Several handles of this JVM streaming at once: their relays share one Artery send queue. */
  static void manyStreams(RemoteContext remote) throws Exception {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      Queue<Object> queue = remote.lookup("q" + i);
      threads.add(new Thread(() -> {
        try {
          for (int k = 0; k < ITEMS_PER_STREAM; k++) {
            queue.put(k);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    runAll(threads);
  }

  /**
   * One pipe end sending and receiving at once from two threads: a large frame from one thread that
   * waits for the window must not let the other thread's frame slip in between its chunks. Sends each
   * message received back on "out" as its first byte, so the test checks what arrived whole.
   */
  static void twoThreadsOneEnd(RemoteContext remote) throws Exception {
    Connection<Object> end = remote.lookup("end");
    Queue<Object> out = remote.lookup("out");
    Thread sender = new Thread(() -> {
      for (int k = 0; k < BIG_ITEMS; k++) {
        end.sendBytes(filled(k));
      }
    });
    sender.start();
    int whole = 0;
    for (int k = 0; k < BIG_ITEMS; k++) {
      byte[] received = end.recvBytes();
      if (received.length == BIG && received[0] == (byte) k && received[BIG - 1] == (byte) k) {
        whole++;
      }
    }
    sender.join();
    out.put("received whole: " + whole);
  }

  /**
   * Many threads waiting on gets of large items from one queue handle while another thread puts large
   * items on it: the broker writes answers to this handle's connection while the session writes puts to
   * the broker, both ways full. Puts "done" on "out" once every item was got.
   */
  static void gettersAndPutter(RemoteContext remote) throws Exception {
    Queue<Object> queue = remote.lookup("q");
    Queue<Object> out = remote.lookup("out");
    AtomicInteger taken = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < GETTERS; t++) {
      threads.add(new Thread(() -> {
        try {
          // The parent puts BIG_ITEMS, this JVM as many.
          while (taken.incrementAndGet() <= 2 * BIG_ITEMS) {
            queue.get();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    threads.add(new Thread(() -> {
      try {
        for (int k = 0; k < BIG_ITEMS; k++) {
          queue.put(new byte[BIG]);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    runAll(threads);
    out.put("done");
  }

  /** A message of {@link #BIG} bytes, each {@code (byte) k}. */
  static byte[] filled(int k) {
    byte[] bytes = new byte[BIG];
    java.util.Arrays.fill(bytes, (byte) k);
    return bytes;
  }

  private static void runAll(List<Thread> threads) throws InterruptedException {
    threads.forEach(Thread::start);
    for (Thread thread : threads) {
      thread.join();
    }
  }
}
