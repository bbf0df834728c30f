package io.multiprocessing4j.benchmarks;

import static io.multiprocessing4j.benchmarks.Probes.detail;
import static io.multiprocessing4j.benchmarks.Probes.exc;
import static io.multiprocessing4j.benchmarks.Probes.out;

import io.multiprocessing4j.Connection;
import io.multiprocessing4j.Lock;
import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.Pipe;
import io.multiprocessing4j.PipeClosedException;
import io.multiprocessing4j.Process;
import io.multiprocessing4j.Queue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The probes of pipes and queues: {@code queue_join_deadlock}, {@code pipe_concurrent_writers}; the
 * channel server's handshake ({@code listener_authkey}) is in {@link StrangerProbe}.
 */
final class ChannelProbes {
  private ChannelProbes() {}

  /** Python's documented pitfall: join the producer before draining the queue it filled. */
  static void queueJoinDeadlock() throws InterruptedException {
    Multiprocessing mp = Multiprocessing.create();
    try {
      for (int size : new int[] {100, 65_000, 70_000, 10 * 1024 * 1024}) {
        Queue<byte[]> q = mp.queue();
        Process p = mp.process(ProbeTargets.putBig(q, size));
        p.start();
        p.join(Duration.ofSeconds(5));
        boolean deadlocked = p.isAlive();
        long t0 = System.nanoTime();
        Object got = Probes.attempt(() -> q.get(Duration.ofSeconds(10)).length);
        p.join(Duration.ofSeconds(10));
        out("queue_join_deadlock", deadlocked ? "deadlock" : "no_deadlock", detail("item_bytes", size,
            "child_alive_after_join_timeout_5s", deadlocked,
            "after_get", detail("got_bytes", got, "child_exited", !p.isAlive(),
                "exitcode", p.exitCode().isPresent() ? p.exitCode().getAsInt() : null,
                "join_after_get_s", Probes.secondsSince(t0)),
            "start_method", "spawn"), size + "B");
        p.kill();
        q.close();
      }
    } finally {
      Probes.closeBounded(mp);
    }
  }

  /** Two writer processes on one pipe end, with and without a shared Lock. */
  static void pipeConcurrentWriters() throws InterruptedException {
    Multiprocessing mp = Multiprocessing.create();
    try {
      writers(mp, 1 << 20, 40, false);
      writers(mp, 100, 20_000, false);
      writers(mp, 1 << 20, 40, true);
    } finally {
      Probes.closeBounded(mp);
    }
  }

  private static void writers(Multiprocessing mp, int size, int count, boolean locked) throws InterruptedException {
    Pipe<Object> pipe = mp.pipe(false);
    Connection<Object> r = pipe.conn1();
    Connection<Object> w = pipe.conn2();
    Lock lock = locked ? mp.lock() : null;
    List<Process> ps = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      ps.add(mp.process(ProbeTargets.pipeWriter(w, (byte) ('A' + i), size, count, lock)));
    }
    ps.forEach(Process::start);
    w.close();
    int good = 0;
    int bad = 0;
    Object err = null;
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() < deadline) {
      byte[] m;
      try {
        if (!r.poll(Duration.ofSeconds(5))) {
          err = "no data for 5 s";
          break;
        }
        m = r.recvBytes();
      } catch (PipeClosedException eof) {
        break;
      } catch (RuntimeException e) {
        err = exc(e);
        break;
      }
      if (m.length == size && (m[0] == 'A' || m[0] == 'B') && allEqual(m)) {
        good++;
      } else if (++bad >= 1000) {
        err = "stopped after 1000 corrupt messages";
        break;
      }
    }
    if (err == null && System.nanoTime() >= deadline) {
      err = "still receiving after 30 s";
    }
    for (Process p : ps) {
      p.join(Duration.ofSeconds(2));
      if (p.isAlive()) {
        p.kill();
        p.join(Duration.ofSeconds(5));
      }
    }
    r.close();
    int expected = 2 * count;
    Map<String, Object> det = detail("message_bytes", size, "messages_per_writer", count, "writers", 2,
        "writers_share_a_Lock", locked, "intact_messages", good, "expected", expected, "corrupt_messages", bad,
        "receiver_error", err, "api", "sendBytes/recvBytes", "start_method", "spawn");
    out("pipe_concurrent_writers", bad == 0 && err == null && good == expected ? "intact" : "corrupted", det,
        size + "B" + (locked ? " +Lock" : ""));
  }

  private static boolean allEqual(byte[] m) {
    for (byte b : m) {
      if (b != m[0]) {
        return false;
      }
    }
    return true;
  }
}
