package io.multiprocessing4j;

import io.multiprocessing4j.internal.ManagerAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A dict held by a manager process: Python's {@code DictProxy} ({@code manager.dict()}). Insertion
 * ordered; null keys and values allowed; keys and values must be {@link java.io.Serializable}. Method
 * names follow {@link Map}; each call is one round trip to the manager and blocks until it answers.
 * Every method throws {@link ManagerDiedException} at once if the manager is gone, and
 * {@link PicklingException} if an argument cannot travel.
 *
 * <p>As in Python, a value comes back as a copy: changing a mutable value got from {@link #get} (a
 * list, a map) changes nothing in the manager until it is stored again with {@link #put}.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class DictProxy<K, V> extends BaseProxy {
  private static final long serialVersionUID = 1L;

  DictProxy(ManagerAddress manager, long id) {
    super(manager, id, "dict");
  }

  /** The value of {@code key}, or null if absent. Python's {@code d.get(key)}. */
  @SuppressWarnings("unchecked")
  public V get(K key) {
    return (V) call("get", key);
  }

  /** The value of {@code key}, or {@code fallback} if absent. Python's {@code d.get(key, default)}. */
  @SuppressWarnings("unchecked")
  public V getOrDefault(K key, V fallback) {
    return (V) call("getOrDefault", key, fallback);
  }

  /** Sets {@code key} to {@code value}; returns the previous value or null. Python's {@code d[key] = value}. */
  @SuppressWarnings("unchecked")
  public V put(K key, V value) {
    return (V) call("put", key, value);
  }

  /** Sets {@code key} only if absent; returns the current value or null. Python's {@code d.setdefault}. */
  @SuppressWarnings("unchecked")
  public V putIfAbsent(K key, V value) {
    return (V) call("putIfAbsent", key, value);
  }

  /** Removes {@code key}; returns its value or null. Python's {@code d.pop(key, None)}. */
  @SuppressWarnings("unchecked")
  public V remove(K key) {
    return (V) call("remove", key);
  }

  /** Whether {@code key} is present. Python's {@code key in d}. */
  public boolean containsKey(K key) {
    return (Boolean) call("containsKey", key);
  }

  /** The number of entries. Python's {@code len(d)}. */
  public int size() {
    return (Integer) call("size");
  }

  /** Whether there are no entries. */
  public boolean isEmpty() {
    return size() == 0;
  }

  /** Removes every entry. Python's {@code d.clear()}. */
  public void clear() {
    call("clear");
  }

  /** Copies every entry of {@code entries} in (one round trip). Python's {@code d.update(entries)}. */
  public void putAll(Map<? extends K, ? extends V> entries) {
    call("putAll", new LinkedHashMap<>(entries));
  }

  /** A snapshot of the keys, in insertion order. Python's {@code list(d.keys())}. */
  @SuppressWarnings("unchecked")
  public List<K> keys() {
    return (List<K>) call("keys");
  }

  /** A snapshot of the values, in insertion order. Python's {@code list(d.values())}. */
  @SuppressWarnings("unchecked")
  public List<V> values() {
    return (List<V>) call("values");
  }

  /** A snapshot of the whole dict, insertion ordered. Python's {@code d.copy()}. */
  @SuppressWarnings("unchecked")
  public Map<K, V> copy() {
    return (Map<K, V>) call("copy");
  }
}
