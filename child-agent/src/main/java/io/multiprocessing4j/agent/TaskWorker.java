package io.multiprocessing4j.agent;

import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.proto.RunTasks;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Payloads;
import io.multiprocessing4j.wire.TaskFrames;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;

/**
 * INTERNAL API. The body of a pool worker: the target a pool gives each of its worker processes, so a
 * worker is an ordinary child (same launch, agent, terminate, kill, exit codes and orphan rules)
 * whose main thread runs this loop instead of a user target.
 *
 * <p>The loop opens the task channel, a second authenticated connection to the parent (its key
 * travels inside this object, over the already authenticated agent channel, never on a command line),
 * runs the initializer once, announces {@code WorkerReady}, then runs the chunks it is sent, in
 * order, on the main thread, answering each with {@code TaskResults} (in several parts when the answer
 * is larger than a frame). A reader thread keeps the inbox filled, so a prefetched chunk can be handed
 * back ({@code RevokeTasks}) while a long task runs.
 * The loop returns, and the worker exits with status 0, on {@code RetireWorker} or when the parent
 * closes the channel. An exception thrown by the initializer ends the worker with status 1 (the pool
 * counts that against its restart intensity); one thrown by a task fails only that task's result, and so
 * does an item the worker cannot decode (its class unknown here, its {@code readObject} throwing). An
 * {@link OutOfMemoryError} is not a task result: it ends the worker, which the pool replaces.
 */
public final class TaskWorker implements Runnable, Serializable {
  private static final long serialVersionUID = 1L;
  /** Marks the end of the inbox: the channel closed. */
  private static final Received CHANNEL_CLOSED = new Received(Frame.getDefaultInstance(), 0);

  /** A frame from the parent and when it arrived, so the worker can say how long it held a chunk. */
  private record Received(Frame frame, long arrivedNanos) {}

  private final Endpoint taskChannel;
  /** A serialized {@code Payload} holding the initializer, or empty for none. */
  private final byte[] initializer;
  /** The largest frame the parent reads from the task channel. */
  private final int maxFrameBytes;

  /**
   * @param taskChannel the endpoint the pool opened for this worker's task channel
   * @param initializer the Java-serialized {@code Runnable} to run once before the first task, or null
   * @param maxFrameBytes the largest frame the parent reads from the task channel: a chunk's results
   *     larger than that are sent in parts, each result in one (a larger frame would make the parent
   *     drop the channel)
   */
  public TaskWorker(Endpoint taskChannel, Payload initializer, int maxFrameBytes) {
    this.taskChannel = taskChannel;
    this.initializer = initializer == null ? new byte[0] : initializer.toByteArray();
    this.maxFrameBytes = maxFrameBytes;
  }

  @Override
  public void run() {
    FrameChannel<Frame> channel = connect();
    try {
      runInitializer();
      serve(channel);
    } finally {
      flushQuietly(channel);
      channel.close();
    }
  }

  private FrameChannel<Frame> connect() {
    try {
      FrameChannel<Frame> channel = taskChannel.connect();
      TaskFrames.enlargeSendBuffer(channel);
      return channel;
    } catch (IOException e) {
      throw new UncheckedIOException("pool worker cannot open its task channel " + taskChannel, e);
    }
  }

  private void runInitializer() {
    if (initializer.length == 0) {
      return;
    }
    Runnable body;
    try {
      body = (Runnable) Payloads.decode(Payload.parseFrom(initializer), ClassLoader.getSystemClassLoader());
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("cannot decode the pool's initializer in the worker: " + e, e);
    }
    body.run();
  }

  private void serve(FrameChannel<Frame> channel) {
    BlockingDeque<Received> inbox = new LinkedBlockingDeque<>();
    Map<Long, CachedFunction> functions = new ConcurrentHashMap<>();
    channel.startReader("multiprocessing4j-task-reader",
        frame -> receive(frame, inbox, functions, channel),
        cause -> inbox.add(CHANNEL_CLOSED));
    send(channel, TaskFrames.workerReady());
    while (true) {
      Received next;
      try {
        next = inbox.take();
      } catch (InterruptedException terminated) {
        // The agent is terminating this process; it exits with -15 as soon as the target returns.
        return;
      }
      if (!next.frame().hasRunTasks()) {
        return;
      }
      for (Frame answer : runChunk(next.frame().getRunTasks(), next.arrivedNanos(), functions)) {
        post(channel, answer);
      }
    }
  }

  /** On the reader thread, in arrival order, so the function cache mirrors what the parent sent. */
  private static void receive(Frame frame, BlockingDeque<Received> inbox, Map<Long, CachedFunction> functions,
      FrameChannel<Frame> channel) {
    switch (frame.getBodyCase()) {
      case RUN_TASKS -> {
        RunTasks run = frame.getRunTasks();
        for (int i = 0; i < run.getReleaseFunctionIdsCount(); i++) {
          functions.remove(run.getReleaseFunctionIds(i));
        }
        if (run.hasFunction()) {
          functions.put(run.getFunctionId(), new CachedFunction(run.getFunction()));
        }
        inbox.add(new Received(frame, System.nanoTime()));
      }
      case REVOKE_TASKS -> {
        long chunkId = frame.getRevokeTasks().getChunkId();
        if (inbox.removeIf(queued -> queued.frame().hasRunTasks() && queued.frame().getRunTasks().getChunkId() == chunkId)) {
          send(channel, TaskFrames.tasksRevoked(chunkId));
        }
      }
      case RETIRE_WORKER -> inbox.add(new Received(frame, System.nanoTime()));
      default -> {
        // Lifecycle frames never travel on the task channel; anything else is from a newer parent.
      }
    }
  }

  /** The chunk's answer: one frame, or several parts when it is larger than a frame (see {@link #answer}). */
  private List<Frame> runChunk(RunTasks run, long arrivedNanos, Map<Long, CachedFunction> functions) {
    Payloads.Elements items;
    try {
      items = TaskFrames.decodeEach(run.getItems(), ClassLoader.getSystemClassLoader());
    } catch (Exception | LinkageError e) {
      Throwable failure = new IllegalStateException("cannot read the items of this chunk in the worker: " + e, e);
      return List.of(TaskFrames.allFailed(run.getChunkId(), failure));
    }
    int count = items.values().length;
    TaskFunction function;
    try {
      CachedFunction cached = functions.get(run.getFunctionId());
      if (cached == null) {
        throw new IllegalStateException("the parent sent no function " + run.getFunctionId());
      }
      function = cached.decoded();
    } catch (Exception | LinkageError e) {
      Throwable failure = new IllegalStateException("cannot decode the task's function in the worker: " + e, e);
      return List.of(TaskFrames.allFailed(run.getChunkId(), failure));
    }
    Object[] values = new Object[count];
    Throwable[] failures = undecodedItems(items);
    long started = System.nanoTime();
    for (int i = 0; i < count; i++) {
      if (failures != null && failures[i] != null) {
        continue;
      }
      try {
        values[i] = function.apply(items.values()[i]);
      } catch (OutOfMemoryError fatal) {
        throw fatal;
      } catch (Throwable failed) {
        if (failures == null) {
          failures = new Throwable[count];
        }
        failures[i] = failed;
      }
      // An interrupt a task left behind must not end the loop; a terminate ends the process anyway.
      Thread.interrupted();
    }
    long finished = System.nanoTime();
    List<Frame> answer = new ArrayList<>(1);
    answer(new Answer(run.getChunkId(), values, failures, finished - started, finished - arrivedNanos), 0, count,
        true, answer);
    return answer;
  }

  /** A chunk's outcomes, to be sent as one frame or in parts. */
  private record Answer(long chunkId, Object[] values, Throwable[] failures, long runNanos, long heldNanos) {}

  /**
   * Adds to {@code parts} the answer for items [{@code from}, {@code to}): one frame if it fits in one
   * the parent reads, else the answers for each half, in order (Python sends each chunk's results in one
   * pickle of any size; our frames are bounded). A single result larger than a frame fails alone, saying
   * so. Only the last part ({@code last}) has no end item: the parent then knows the chunk is answered.
   */
  private void answer(Answer answer, int from, int to, boolean last, List<Frame> parts) {
    int count = answer.values().length;
    boolean whole = from == 0 && to == count;
    Object[] values = whole ? answer.values() : Arrays.copyOfRange(answer.values(), from, to);
    Throwable[] failures = answer.failures() == null ? null
        : whole ? answer.failures() : Arrays.copyOfRange(answer.failures(), from, to);
    int endItem = last ? 0 : to;
    Frame part = results(answer.chunkId(), from, endItem, values, failures, answer.runNanos(), answer.heldNanos());
    if (part.getSerializedSize() <= maxFrameBytes) {
      parts.add(part);
      return;
    }
    if (to - from == 1) {
      parts.add(TaskFrames.taskResults(answer.chunkId(), from, endItem, new Object[1],
          new Throwable[] {new IllegalStateException("the result of this task takes " + part.getSerializedSize()
              + " bytes, more than one frame may carry (" + maxFrameBytes + "); return smaller results, or pass "
              + "large data through shared memory")}, answer.runNanos(), answer.heldNanos()));
      return;
    }
    int middle = (from + to) >>> 1;
    answer(answer, from, middle, false, parts);
    answer(answer, middle, to, last, parts);
  }

  /**
   * The answer to a chunk. Java serialization recurses once per nested object, so a result nested too
   * deeply overflows this thread's stack: that result fails alone (as Python's pickle raises
   * {@code RecursionError} for it), instead of the error ending the worker and the chunk's other
   * tasks running again elsewhere.
   */
  private static Frame results(long chunkId, int firstItem, int endItem, Object[] values, Throwable[] failures,
      long runNanos, long heldNanos) {
    try {
      return TaskFrames.taskResults(chunkId, firstItem, endItem, values, failures, runNanos, heldNanos);
    } catch (StackOverflowError tooDeep) {
      Object[] sendable = values.clone();
      Throwable[] withDepth = failures == null ? new Throwable[values.length] : failures.clone();
      for (int i = 0; i < values.length; i++) {
        if (withDepth[i] != null || !overflowsWhenSerialized(values[i])) {
          continue;
        }
        sendable[i] = null;
        withDepth[i] = new NotSerializableException("cannot send the result of this task back to the parent: "
            + values[i].getClass().getName() + " is nested too deeply to serialize (StackOverflowError)");
      }
      return TaskFrames.taskResults(chunkId, firstItem, endItem, sendable, withDepth, runNanos, heldNanos);
    }
  }

  private static boolean overflowsWhenSerialized(Object value) {
    try {
      TaskFrames.encodeArray(new Object[] {value});
      return false;
    } catch (StackOverflowError tooDeep) {
      return true;
    } catch (IOException | RuntimeException reportedByTaskResults) {
      return false;
    }
  }

  /**
   * The failures of the items that could not be decoded here, each naming its position in the chunk,
   * or null when every item was decoded: only those tasks fail, the others run.
   */
  private static Throwable[] undecodedItems(Payloads.Elements items) {
    Throwable[] undecoded = items.failures();
    if (undecoded == null) {
      return null;
    }
    Throwable[] failures = new Throwable[undecoded.length];
    for (int i = 0; i < undecoded.length; i++) {
      if (undecoded[i] != null) {
        failures[i] = new IllegalStateException("cannot decode the item of this task (element " + i
            + " of its chunk) in the worker: " + undecoded[i], undecoded[i]);
      }
    }
    return failures;
  }

  /**
   * Results are posted: when tiny chunks finish back to back, the channel's flusher thread writes
   * them in batches (one system call, one wake-up of the parent's reader per batch), even while this
   * thread runs a long chunk; the result of a chunk that follows a pause is written at once.
   */
  private static void post(FrameChannel<Frame> channel, Frame frame) {
    try {
      channel.post(frame);
    } catch (IOException e) {
      channel.close();
    }
  }

  private static void flushQuietly(FrameChannel<Frame> channel) {
    try {
      channel.flush();
    } catch (IOException e) {
      // The parent is gone: nothing left to deliver to.
    }
  }

  private static void send(FrameChannel<Frame> channel, Frame frame) {
    try {
      channel.send(frame);
    } catch (IOException e) {
      // The parent closed the channel (pool terminated, or the parent died): the reader ends the loop.
      channel.close();
    }
  }

  /** A function as received, decoded on first use by the main thread. */
  private static final class CachedFunction {
    private final Payload payload;
    private TaskFunction decoded;

    CachedFunction(Payload payload) {
      this.payload = payload;
    }

    TaskFunction decoded() throws IOException, ClassNotFoundException {
      if (decoded == null) {
        decoded = (TaskFunction) Payloads.decode(payload, ClassLoader.getSystemClassLoader());
      }
      return decoded;
    }
  }
}
