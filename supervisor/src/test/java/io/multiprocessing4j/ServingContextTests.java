package io.multiprocessing4j;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tests with a JVM standing in for another machine share: a context serving on the loopback
 * interface per test, a folder for the peer's log, and the peer ({@link RemotePeers}) killed after the
 * test, pass or fail, before the context closes.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
abstract class ServingContextTests {
  @TempDir
  Path dir;
  Multiprocessing mp;
  /** The test's peer JVM, if it started one. */
  java.lang.Process peer;

  @BeforeEach
  void serve() {
    mp = Multiprocessing.create(RemoteOptions.listen("127.0.0.1", 0));
  }

  @AfterEach
  void stop() throws Exception {
    RemotePeers.kill(peer);
    mp.close();
  }
}
