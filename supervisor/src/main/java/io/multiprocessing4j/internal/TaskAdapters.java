package io.multiprocessing4j.internal;

import io.multiprocessing4j.SerializableBiFunction;
import io.multiprocessing4j.SerializableCallable;
import io.multiprocessing4j.SerializableFunction;
import io.multiprocessing4j.SerializableRunnable;
import io.multiprocessing4j.agent.TaskFunction;
import io.multiprocessing4j.agent.TaskWorker;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Adapts the user's task shapes to the one a worker calls ({@link TaskFunction}): a function of one
 * argument ({@code map}, {@code apply(f, x)}), of two ({@code starmap}, whose items travel as
 * two-element arrays) or of none ({@code apply(callable)}); and the worker loop to the shape of a
 * process target. They are records so they serialize as plain data around what they wrap.
 */
public final class TaskAdapters {
  private TaskAdapters() {}

  // Each adapter refuses null here, in the caller's thread: a null inside an adapter would
  // serialize fine and fail only later, in a worker, as that task's failure.

  /** @throws NullPointerException if {@code function} is null */
  @SuppressWarnings("unchecked")
  public static TaskFunction unary(SerializableFunction<?, ?> function) {
    return new Unary((SerializableFunction<Object, ?>) Objects.requireNonNull(function, "function"));
  }

  /** @throws NullPointerException if {@code function} is null */
  @SuppressWarnings("unchecked")
  public static TaskFunction binary(SerializableBiFunction<?, ?, ?> function) {
    return new Binary((SerializableBiFunction<Object, Object, ?>) Objects.requireNonNull(function, "function"));
  }

  /** @throws NullPointerException if {@code task} is null */
  public static TaskFunction nullary(SerializableCallable<?> task) {
    return new Nullary(Objects.requireNonNull(task, "task"));
  }

  /**
   * A key under which an adapter's encoding may be reused, or null if it may not: the encoding of a
   * non-capturing lambda or method reference (a hidden class without fields) depends on its class alone.
   */
  static Object reusableEncodingKey(TaskFunction adapter) {
    Object wrapped = adapter instanceof Unary unary ? unary.function
        : adapter instanceof Binary binary ? binary.function
        : adapter instanceof Nullary nullary ? nullary.task : null;
    if (wrapped == null || !STATELESS_HIDDEN.get(wrapped.getClass())) {
      return null;
    }
    return List.of(adapter.getClass(), wrapped.getClass());
  }

  /**
   * Whether a class is hidden and has no instance fields; asked once per class (an {@code applyAsync}
   * in a loop would otherwise copy the class's fields by reflection on every call).
   */
  private static final ClassValue<Boolean> STATELESS_HIDDEN = new ClassValue<>() {
    @Override
    protected Boolean computeValue(Class<?> lambda) {
      if (!lambda.isHidden()) {
        return false;
      }
      for (Class<?> type = lambda; type != null; type = type.getSuperclass()) {
        for (Field field : type.getDeclaredFields()) {
          if (!Modifier.isStatic(field.getModifiers())) {
            return false;
          }
        }
      }
      return true;
    }
  };

  /** The target of every pool worker process: the worker loop, typed as a process target. */
  public static SerializableRunnable workerTarget(TaskWorker loop) {
    return new WorkerTarget(loop);
  }

  /** How a {@code starmap} pair travels: a two-element array ({@code Map.entry} is not serializable). */
  public static Object[] pair(Map.Entry<?, ?> arguments) {
    return new Object[] {arguments.getKey(), arguments.getValue()};
  }

  // Plain classes, not records: a record's deserialization spins method handles, about 20 ms in
  // every fresh worker JVM, and these are decoded once per worker on its start-up path.

  private static final class WorkerTarget implements SerializableRunnable {
    private static final long serialVersionUID = 1L;
    private final TaskWorker loop;

    WorkerTarget(TaskWorker loop) {
      this.loop = loop;
    }

    @Override
    public void run() {
      loop.run();
    }
  }

  private static final class Unary implements TaskFunction {
    private static final long serialVersionUID = 1L;
    private final SerializableFunction<Object, ?> function;

    Unary(SerializableFunction<Object, ?> function) {
      this.function = function;
    }

    @Override
    public Object apply(Object argument) {
      return function.apply(argument);
    }
  }

  private static final class Binary implements TaskFunction {
    private static final long serialVersionUID = 1L;
    private final SerializableBiFunction<Object, Object, ?> function;

    Binary(SerializableBiFunction<Object, Object, ?> function) {
      this.function = function;
    }

    @Override
    public Object apply(Object argument) {
      Object[] pair = (Object[]) argument;
      return function.apply(pair[0], pair[1]);
    }
  }

  private static final class Nullary implements TaskFunction {
    private static final long serialVersionUID = 1L;
    private final SerializableCallable<?> task;

    Nullary(SerializableCallable<?> task) {
      this.task = task;
    }

    @Override
    public Object apply(Object ignored) throws Exception {
      return task.call();
    }
  }
}
