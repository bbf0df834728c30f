package io.multiprocessing4j.internal;

import io.multiprocessing4j.PicklingException;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.Payloads;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Serializes targets and arguments in the caller's thread, and when that fails says exactly which
 * captured value could not travel and where it was captured, e.g.
 * {@code target = lambda in app.Main.lambda$main$0 → captured argument #1 → .socket (java.net.Socket)}.
 */
public final class TargetEncoder {
  private static final int MAX_DEPTH = 64;

  private TargetEncoder() {}

  /**
   * Encodes {@code value} with Java serialization.
   *
   * @param what what the value is, for the message (e.g. "the target of Process-1")
   * @param root how the path to a value that cannot travel starts (e.g. "target", "item")
   * @throws PicklingException naming the class that cannot travel and the path to it
   */
  public static Payload encode(Object value, String what, String root) {
    try {
      return Payloads.javaSerialized(value);
    } catch (NotSerializableException e) {
      String path = locate(value, root, new IdentityHashMap<>(), 0);
      throw new PicklingException("cannot send " + what + " to a child process: " + e.getMessage()
          + " is not Serializable" + (path == null ? "" : " (at: " + path + ")")
          + ". Everything sent to a child process (a target and what it captures, a pool's functions and"
          + " items, queue and pipe messages) must be Serializable, as Python's must be picklable.", e);
    } catch (IOException | RuntimeException e) {
      throw new PicklingException("cannot send " + what + " to a child process: " + e, e);
    }
  }

  /** Finds the first non-serializable object reachable from {@code value}; null if none is found. */
  static String locate(Object value, String path, Map<Object, Boolean> seen, int depth) {
    if (value == null || depth > MAX_DEPTH || seen.put(value, Boolean.TRUE) != null) {
      return null;
    }
    Class<?> type = value.getClass();
    if (value instanceof String || value instanceof Number || value instanceof Enum<?> || value instanceof Boolean
        || value instanceof Character || value instanceof Class<?>) {
      return null;
    }
    if (!(value instanceof Serializable)) {
      return path + " (" + type.getName() + ")";
    }
    SerializedLambda lambda = serializedLambda(value);
    if (lambda != null) {
      String at = path + " = lambda in " + lambda.getImplClass().replace('/', '.') + "." + lambda.getImplMethodName();
      for (int i = 0; i < lambda.getCapturedArgCount(); i++) {
        String found = locate(lambda.getCapturedArg(i), at + " → captured argument #" + i, seen, depth + 1);
        if (found != null) {
          return found;
        }
      }
      return null;
    }
    if (type.isArray()) {
      if (type.getComponentType().isPrimitive()) {
        return null;
      }
      Object[] elements = (Object[]) value;
      for (int i = 0; i < elements.length; i++) {
        String found = locate(elements[i], path + "[" + i + "]", seen, depth + 1);
        if (found != null) {
          return found;
        }
      }
      return null;
    }
    if (value instanceof Collection<?> collection) {
      int i = 0;
      for (Object element : collection) {
        String found = locate(element, path + "[" + i++ + "]", seen, depth + 1);
        if (found != null) {
          return found;
        }
      }
      return null;
    }
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        String found = locate(entry.getKey(), path + ".key(" + entry.getKey() + ")", seen, depth + 1);
        if (found == null) {
          found = locate(entry.getValue(), path + "[" + entry.getKey() + "]", seen, depth + 1);
        }
        if (found != null) {
          return found;
        }
      }
      return null;
    }
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        int modifiers = field.getModifiers();
        if (Modifier.isStatic(modifiers) || Modifier.isTransient(modifiers) || field.getType().isPrimitive()) {
          continue;
        }
        Object fieldValue;
        try {
          field.setAccessible(true);
          fieldValue = field.get(value);
        } catch (RuntimeException | IllegalAccessException inaccessible) {
          continue;
        }
        String found = locate(fieldValue, path + "." + field.getName(), seen, depth + 1);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static SerializedLambda serializedLambda(Object value) {
    try {
      Method writeReplace = value.getClass().getDeclaredMethod("writeReplace");
      writeReplace.setAccessible(true);
      return writeReplace.invoke(value) instanceof SerializedLambda lambda ? lambda : null;
    } catch (ReflectiveOperationException | RuntimeException notALambda) {
      return null;
    }
  }
}
