package io.multiprocessing4j;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * A parent program for {@link RemoteSideTest}, run in its own JVM so that the test can kill it:
 * creates a context that serves other machines, publishes a queue ("q") and a pipe end ("end"), and
 * prints {@code SERVING <address> <authkey hex>}. Then it follows stdin: {@code close} closes the
 * context (and prints {@code CLOSED}); end of file (the test is gone) halts this JVM, so it never lingers.
 */
public final class RemoteParentMain {
  private RemoteParentMain() {}

  public static void main(String[] args) throws Exception {
    Multiprocessing mp = Multiprocessing.create(RemoteOptions.listen("127.0.0.1", 0));
    mp.publish("q", mp.queue());
    mp.publish("end", mp.pipe().conn2());
    System.out.println("SERVING " + mp.remoteAddress() + " " + HexFormat.of().formatHex(mp.authkey()));
    System.out.flush();
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = stdin.readLine(); line != null; line = stdin.readLine()) {
      if (line.equals("close")) {
        mp.close();
        System.out.println("CLOSED");
        System.out.flush();
      }
    }
    Runtime.getRuntime().halt(0);
  }
}
