package io.multiprocessing4j.examples;

/** A short tour of the tutorial's examples, each across real child JVMs. */
public final class Tour {
  private Tour() {}

  public static void main(String[] args) throws Exception {
    section("Process: the tutorial's first example");
    ProcessExample.main(args);
  }

  static void section(String title) {
    System.out.println();
    System.out.println("== " + title + " ==");
  }
}
