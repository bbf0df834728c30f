package io.multiprocessing4j;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * A JVM standing in for another machine in {@link RemotePipeQueueTest}: started by the test, not by a
 * context (it is nobody's child), it reaches the context only through {@link Multiprocessing#connect}
 * over Pekko remoting. Reads the address, the authkey (hex) and a scenario name from stdin, so the key
 * is never on a command line.
 */
public final class RemotePeerMain {
  /** exit-after-traffic: small items on "small" and the end, then large ones on "big" and the end. */
  static final int EXIT_SMALL_ITEMS = 1000;
  static final int EXIT_BIG_ITEMS = 8;

  private RemotePeerMain() {}

  public static void main(String[] args) throws Exception {
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String address = stdin.readLine();
    byte[] authkey = HexFormat.of().parseHex(stdin.readLine());
    String scenario = stdin.readLine();
    RemoteContext remote = Multiprocessing.connect(address, authkey);
    switch (scenario) {
      case "trade" -> trade(remote);
      case "hold-an-item" -> holdAnItem(remote);
      case "exit-after-traffic" -> exitAfterTraffic(remote);
      case "many-streams" -> RemoteFlowScenarios.manyStreams(remote);
      case "two-threads-one-end" -> RemoteFlowScenarios.twoThreadsOneEnd(remote);
      case "getters-and-putter" -> RemoteFlowScenarios.gettersAndPutter(remote);
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    // Returns without closing the remote context: what was put last must reach the parent all the same.
  }

  /** Queue items, pipe messages, a pipe end that travelled in an item, back pressure, end of file. */
  @SuppressWarnings("unchecked")
  private static void trade(RemoteContext remote) throws Exception {
    Queue<Object> in = remote.lookup("in");
    Queue<Object> out = remote.lookup("out");
    Connection<Object> end = remote.lookup("end");
    for (Object item = in.get(); !"STOP".equals(item); item = in.get()) {
      out.put(item);
    }
    // The tutorial's exchange: a tuple one way, a string the other.
    Object greeting = end.recv();
    end.send(List.of("tuple", greeting, 42));
    Connection<Object> travelled = (Connection<Object>) in.get();
    travelled.send("sent on an end that travelled inside a queue item");
    travelled.close();

    Queue<Object> bounded = remote.lookup("bounded");
    int accepted = 0;
    try {
      while (true) {
        bounded.putNowait("held " + accepted);
        accepted++;
      }
    } catch (QueueFullException e) {
      out.put("full after " + accepted);
    }
    // Blocks until the parent takes an item: back pressure across machines.
    bounded.put("put once there was room", Duration.ofSeconds(30));
    out.put("put went through");

    try {
      Object unexpected = end.recv();
      out.put("expected end of file, received " + unexpected);
    } catch (PipeClosedException e) {
      out.put("end of file");
    }
    for (int i = 0; i < 1000; i++) {
      out.put(i);
    }
  }

  /**
   * Traffic on several handles, large items last, then main returns without closing anything: the
   * parent must receive all of it, and then see end of file on the pipe end this JVM held.
   */
  private static void exitAfterTraffic(RemoteContext remote) throws Exception {
    Queue<Object> in = remote.lookup("in");
    Queue<Object> big = remote.lookup("big");
    Queue<Object> small = remote.lookup("small");
    Connection<Object> end = remote.lookup("end");
    small.put("looked up");
    // The parent closes its own copy of the end meanwhile: from now on this JVM alone holds it open.
    in.get();
    for (int i = 0; i < EXIT_SMALL_ITEMS; i++) {
      end.send(i);
      small.put(i);
    }
    for (int i = 0; i < EXIT_BIG_ITEMS; i++) {
      big.put(RemoteFlowScenarios.filled(i));
      end.sendBytes(RemoteFlowScenarios.filled(i));
    }
  }

  /** Takes one task of a JoinableQueue and never marks it done: the test kills this JVM. */
  private static void holdAnItem(RemoteContext remote) throws Exception {
    JoinableQueue<Object> tasks = remote.lookup("tasks");
    Queue<Object> out = remote.lookup("out");
    Object task = tasks.get();
    out.put("holding " + task);
    new java.util.concurrent.CountDownLatch(1).await();
  }
}
