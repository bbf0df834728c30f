package io.multiprocessing4j.examples;

/** A short tour of the tutorial's examples, each across real child JVMs. */
public final class Tour {
  private Tour() {}

  public static void main(String[] args) throws Exception {
    section("Process: the tutorial's first example");
    ProcessExample.main(args);

    section("Pool: the tutorial's second example");
    PoolExample.main(args);

    section("Pool: CPU-bound work on every core");
    PoolCpuExample.main(args);

    section("Pipe: two children trade a tuple and a string");
    PipeExample.main(args);
    section("Queue: the same with queues");
    QueueExample.main(args);
    section("JoinableQueue: a producer, two consumers, back pressure and join");
    ProducerConsumerExample.main(args);
    section("Across machines: a worker JVM reaches the queues over Pekko remoting");
    RemoteQueueExample.main(args);
    section("Value: a shared counter, under its lock and atomically");
    ValueExample.main(args);
    section("Array: filled by a child, summed by the parent");
    ArrayExample.main(args);
    section("Manager: a dict and a list shared through a manager process");
    ManagerExample.main(args);
    section("Condition: producer and consumer in two processes");
    ConditionExample.main(args);
    section("Barrier: three processes meet after each phase");
    BarrierExample.main(args);
  }

  static void section(String title) {
    System.out.println();
    System.out.println("== " + title + " ==");
  }
}
