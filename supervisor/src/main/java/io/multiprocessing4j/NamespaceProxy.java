package io.multiprocessing4j;

import io.multiprocessing4j.internal.ManagerAddress;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A bag of named attributes held by a manager process: Python's {@code Namespace}
 * ({@code manager.Namespace()}), with {@code ns.x = 1} written {@code ns.set("x", 1)} and {@code ns.x}
 * written {@code ns.get("x")}. Values must be {@link java.io.Serializable}. Each call is one round trip
 * to the manager; every method throws {@link ManagerDiedException} at once if the manager is gone.
 */
public final class NamespaceProxy extends BaseProxy {
  private static final long serialVersionUID = 1L;

  NamespaceProxy(ManagerAddress manager, long id) {
    super(manager, id, "Namespace");
  }

  /**
   * The value of attribute {@code name}. Python's {@code ns.name}.
   *
   * @throws NoSuchElementException if there is no such attribute (Python: {@code AttributeError})
   * @throws ClassCastException if the value is not a {@code T}
   */
  @SuppressWarnings("unchecked")
  public <T> T get(String name) {
    return (T) call("get", name);
  }

  /** Sets attribute {@code name}; returns its previous value or null. Python's {@code ns.name = value}. */
  public Object set(String name, Object value) {
    return call("set", name, value);
  }

  /**
   * Removes attribute {@code name}; returns its value. Python's {@code del ns.name}.
   *
   * @throws NoSuchElementException if there is no such attribute
   */
  public Object delete(String name) {
    return call("delete", name);
  }

  /** Whether attribute {@code name} exists. Python's {@code hasattr(ns, name)}. */
  public boolean has(String name) {
    return (Boolean) call("has", name);
  }

  /** A snapshot of all attributes. Python's {@code vars(ns)}. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> copy() {
    return (Map<String, Object>) call("copy");
  }
}
