package io.multiprocessing4j;

import io.multiprocessing4j.internal.ManagerAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A list held by a manager process: Python's {@code ListProxy} ({@code manager.list()}). Elements
 * must be {@link java.io.Serializable}; null is allowed. Each call is one round trip to the manager
 * and blocks until it answers. Every method throws {@link ManagerDiedException} at once if the manager
 * is gone, and {@link PicklingException} if an argument cannot travel; an index out of range throws
 * {@link IndexOutOfBoundsException}, as Python raises {@code IndexError}; indices follow Python's
 * rules (negative ones count from the end).
 *
 * <p>As in Python, an element comes back as a copy: changing a mutable element got from {@link #get}
 * changes nothing in the manager until it is stored again with {@link #set}.
 *
 * @param <E> element type
 */
public final class ListProxy<E> extends BaseProxy {
  private static final long serialVersionUID = 1L;

  ListProxy(ManagerAddress manager, long id) {
    super(manager, id, "list");
  }

  /** Appends {@code element}. Python's {@code l.append(element)}. */
  public void add(E element) {
    call("append", element);
  }

  /** Appends every element of {@code elements} (one round trip). Python's {@code l.extend(elements)}. */
  public void addAll(Collection<? extends E> elements) {
    call("extend", new ArrayList<>(elements));
  }

  /**
   * Inserts {@code element} before {@code index}. Python's {@code l.insert(index, element)}: a negative
   * index counts from the end, and an index past either end inserts at that end.
   */
  public void add(int index, E element) {
    call("insert", index, element);
  }

  /** Element {@code index}; a negative index counts from the end ({@code -1}: the last). Python's {@code l[index]}. */
  @SuppressWarnings("unchecked")
  public E get(int index) {
    return (E) call("get", index);
  }

  /** Replaces element {@code index} (negative: from the end); returns the previous one. Python's {@code l[index] = element}. */
  @SuppressWarnings("unchecked")
  public E set(int index, E element) {
    return (E) call("set", index, element);
  }

  /** Removes and returns element {@code index} (negative: from the end). Python's {@code l.pop(index)}. */
  @SuppressWarnings("unchecked")
  public E remove(int index) {
    return (E) call("pop", index);
  }

  /** Removes the first element equal to {@code element}; returns whether there was one. Python's {@code remove(x)}. */
  public boolean removeFirst(E element) {
    return (Boolean) call("remove", element);
  }

  /** The index of the first element equal to {@code element}, or -1. Python's {@code l.index(x)}. */
  public int indexOf(E element) {
    return (Integer) call("indexOf", element);
  }

  /** The number of elements. Python's {@code len(l)}. */
  public int size() {
    return (Integer) call("size");
  }

  /** Whether the list is empty. */
  public boolean isEmpty() {
    return size() == 0;
  }

  /** Removes every element. Python's {@code l.clear()}. */
  public void clear() {
    call("clear");
  }

  /** A snapshot of the whole list. Python's {@code l[:]} / {@code list(l)}. */
  @SuppressWarnings("unchecked")
  public List<E> copy() {
    return (List<E>) call("copy");
  }
}
