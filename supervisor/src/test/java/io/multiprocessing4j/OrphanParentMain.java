package io.multiprocessing4j;

/**
 * A parent program for {@link ParentSigkillTest}, run in its own JVM: starts one daemon and one
 * non-daemon child, each of which checks in on the test's socket and then waits for
 * {@code <dir>/release}; prints their pids as {@code PIDS <daemon> <worker>}, then waits to be
 * SIGKILLed. If the test JVM vanishes instead (end of file on stdin), it halts too, so it can never
 * linger.
 *
 * <p>Arguments: the test's temporary directory and the path of the test's check-in socket.
 */
public final class OrphanParentMain {
  private OrphanParentMain() {}

  public static void main(String[] args) throws Exception {
    String dir = args[0];
    String checkIn = args[1];
    String release = dir + "/release";
    String finished = dir + "/worker-finished";
    Multiprocessing mp = Multiprocessing.create();
    Process daemon = mp.process(() -> daemonBody(checkIn, release),
        ProcessOptions.defaults().withName("orphan-daemon").withDaemon(true));
    Process worker = mp.process(() -> workerBody(checkIn, release, finished),
        ProcessOptions.defaults().withName("orphan-worker"));
    daemon.start();
    worker.start();
    System.out.println("PIDS " + daemon.pid().getAsLong() + " " + worker.pid().getAsLong());
    System.out.flush();
    while (System.in.read() >= 0) {
      // The test never writes; end-of-file means it is gone.
    }
    Runtime.getRuntime().halt(1);
  }

  /** Child side: a daemon busy with a target that would outlive the parent. */
  static void daemonBody(String checkIn, String release) {
    ChildSide.checkIn(checkIn, "daemon");
    ChildSide.awaitFile(release);
  }

  /** Child side: a non-daemon child whose target must be allowed to finish after the parent died. */
  static void workerBody(String checkIn, String release, String finished) {
    ChildSide.checkIn(checkIn, "worker");
    ChildSide.awaitFile(release);
    ChildSide.touch(finished);
  }
}
