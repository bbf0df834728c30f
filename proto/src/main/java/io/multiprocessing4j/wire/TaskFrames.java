package io.multiprocessing4j.wire;

import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.proto.RetireWorker;
import io.multiprocessing4j.proto.RevokeTasks;
import io.multiprocessing4j.proto.RunTasks;
import io.multiprocessing4j.proto.TaskFailure;
import io.multiprocessing4j.proto.TaskResults;
import io.multiprocessing4j.proto.TasksRevoked;
import io.multiprocessing4j.proto.WorkerReady;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.Collection;

/**
 * Builds and reads the frames of a pool's task channel (tasks.proto), for both ends: the pool in the
 * parent and the worker loop in the child. Arguments and results travel as one {@code Object[]} per
 * chunk, encoded compactly when every element is a simple value ({@link CompactArrays}) and with Java
 * serialization otherwise, element by element in one stream ({@link Payloads#JAVA_ELEMENTS}): class
 * descriptors are written once per chunk, not once per item, and a result the parent cannot decode
 * fails its own task, not its whole chunk.
 */
public final class TaskFrames {
  private static final Frame WORKER_READY = Frame.newBuilder().setWorkerReady(WorkerReady.getDefaultInstance()).build();
  private static final Frame RETIRE_WORKER = Frame.newBuilder().setRetireWorker(RetireWorker.getDefaultInstance()).build();

  /**
   * The send buffer each end of a task channel asks for: a pool refills a worker with several chunks
   * in one write, and with the default (~200 KiB) a refill of a few 12,500-int chunks waited in that
   * write for the worker's reader to wake and drain it, holding up the pool actor and the next
   * worker's refill.
   */
  static final int SEND_BUFFER_BYTES = 1 << 20;

  private TaskFrames() {}

  /**
   * Gives a task channel's end its {@link #SEND_BUFFER_BYTES} send buffer, or leaves it as it is if
   * the socket refuses: the channel works either way, with smaller writes.
   */
  public static void enlargeSendBuffer(FrameChannel<?> channel) {
    try {
      channel.setSendBufferBytes(SEND_BUFFER_BYTES);
    } catch (IOException e) {
      // Kept at the kernel's default size.
    }
  }

  /** Worker to parent: the initializer has returned; send chunks. */
  public static Frame workerReady() {
    return WORKER_READY;
  }

  /** Parent to worker: return from the worker loop (the worker then exits with status 0). */
  public static Frame retireWorker() {
    return RETIRE_WORKER;
  }

  /**
   * Parent to worker: run {@code items} (an encoded {@code Object[]}) through function
   * {@code functionId}.
   *
   * @param function the encoded function, or null when this worker already holds {@code functionId}
   * @param releasedFunctionIds functions the worker may forget
   */
  public static Frame runTasks(long chunkId, long functionId, Payload function, Payload items,
      Collection<Long> releasedFunctionIds) {
    RunTasks.Builder run = RunTasks.newBuilder()
        .setChunkId(chunkId)
        .setFunctionId(functionId)
        .setItems(items);
    if (!releasedFunctionIds.isEmpty()) {
      run.addAllReleaseFunctionIds(releasedFunctionIds);
    }
    if (function != null) {
      run.setFunction(function);
    }
    return Frame.newBuilder().setRunTasks(run.build()).build();
  }

  public static Frame revokeTasks(long chunkId) {
    return Frame.newBuilder().setRevokeTasks(RevokeTasks.newBuilder().setChunkId(chunkId)).build();
  }

  public static Frame tasksRevoked(long chunkId) {
    return Frame.newBuilder().setTasksRevoked(TasksRevoked.newBuilder().setChunkId(chunkId)).build();
  }

  /**
   * Worker to parent: the outcome of every item of a chunk. {@code failures[i]} non-null means item
   * {@code i} threw; {@code failures} may be null when no item did. A value that cannot be serialized becomes that item's failure (a
   * {@link NotSerializableException} naming its class), so one bad result never costs the others.
   *
   * @param runNanos how long running the items took
   * @param heldNanos how long the worker held the chunk, from its arrival to now
   */
  public static Frame taskResults(long chunkId, Object[] values, Throwable[] failures, long runNanos, long heldNanos) {
    return taskResults(chunkId, 0, 0, values, failures, runNanos, heldNanos);
  }

  /**
   * One part of a chunk's answer: the results of its items [{@code firstItem}, {@code endItem}), or to
   * the chunk's end (the last part) if {@code endItem} is 0; {@code values} and {@code failures} hold
   * just those items.
   */
  public static Frame taskResults(long chunkId, int firstItem, int endItem, Object[] values, Throwable[] failures,
      long runNanos, long heldNanos) {
    Payload encoded;
    try {
      encoded = encodeArray(values);
    } catch (IOException | RuntimeException e) {
      if (failures == null) {
        failures = new Throwable[values.length];
      }
      encoded = encodeSendable(values, failures);
    }
    TaskResults.Builder results = TaskResults.newBuilder()
        .setChunkId(chunkId)
        .setValues(encoded)
        .setRunNanos(runNanos)
        .setHeldNanos(heldNanos)
        .setFirstItem(firstItem)
        .setEndItem(endItem);
    for (int i = 0; failures != null && i < failures.length; i++) {
      if (failures[i] != null) {
        results.addFailures(TaskFailure.newBuilder().setIndex(i).setFailure(Payloads.failure(failures[i])));
      }
    }
    return Frame.newBuilder().setTaskResults(results.build()).build();
  }

  /**
   * Every item of a chunk failed the same way (e.g. its function could not be decoded): one failure
   * that stands for all of them, whatever the chunk's size, which the parent gives to each item (an
   * answer it cannot match item by item fails every item with its first failure). Described and
   * serialized once, not once per item: a chunk of 12 500 items took seconds to answer that way.
   */
  public static Frame allFailed(long chunkId, Throwable failure) {
    return taskResults(chunkId, new Object[1], new Throwable[] {failure}, 0, 0);
  }

  /**
   * Encodes a chunk's arguments or results: compactly when they are all simple values
   * ({@link CompactArrays}), with Java serialization otherwise.
   *
   * @throws java.io.NotSerializableException if a value cannot be serialized
   */
  public static Payload encodeArray(Object[] values) throws IOException {
    Payload compact = CompactArrays.encode(values);
    return compact != null ? compact : Payloads.javaSerializedElements(values);
  }

  /**
   * Decodes a chunk's arguments or results element by element: one that cannot be decoded here is reported in
   * {@code failures()} at its index, and the others are kept (see {@link Payloads#decodeElements}).
   *
   * @throws IOException if the payload as a whole cannot be read
   */
  public static Payloads.Elements decodeEach(Payload payload, ClassLoader loader) throws IOException {
    if (payload.getSerializerId() == CompactArrays.SERIALIZER_ID) {
      return new Payloads.Elements(CompactArrays.decode(payload), null);
    }
    return Payloads.decodeElements(payload, loader);
  }

  private static Payload encodeSendable(Object[] values, Throwable[] failures) {
    Object[] sendable = values.clone();
    for (int i = 0; i < sendable.length; i++) {
      try {
        Payloads.javaSerialized(sendable[i]);
      } catch (IOException | RuntimeException e) {
        sendable[i] = null;
        NotSerializableException unsendable = new NotSerializableException("cannot send the result of this task back "
            + "to the parent: " + (values[i] == null ? "null" : values[i].getClass().getName())
            + " cannot be serialized (" + e + ")");
        unsendable.initCause(e);
        failures[i] = unsendable;
      }
    }
    try {
      return encodeArray(sendable);
    } catch (IOException e) {
      throw new IllegalStateException("every unsendable result was removed, yet the chunk does not serialize", e);
    }
  }
}
