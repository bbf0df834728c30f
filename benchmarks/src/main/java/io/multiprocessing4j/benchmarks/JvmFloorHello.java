package io.multiprocessing4j.benchmarks;

import java.io.IOException;

/**
 * The JVM's floor: the {@code Hello} that {@code jvm_floor_*} launches with the children's JVM flags and
 * nothing else on its class path. Prints one line; with the argument {@code idle} it then stays up until
 * its stdin closes, so its memory can be read.
 */
public final class JvmFloorHello {
  private JvmFloorHello() {}

  public static void main(String[] args) throws IOException {
    System.out.println("hello");
    System.out.flush();
    if (args.length > 0 && args[0].equals("idle")) {
      while (System.in.read() >= 0) {
        // Wait for end-of-file.
      }
    }
  }
}
