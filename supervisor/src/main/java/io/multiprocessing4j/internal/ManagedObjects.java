package io.multiprocessing4j.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The objects a manager process holds for its proxies, one class per kind, each answering calls by
 * method name. Every call runs on the thread of the connection it came on, so blocking calls (a queue
 * get, a lock acquire, an event wait) block only their caller. Timeouts travel as milliseconds, -1
 * meaning none.
 */
final class ManagedObjects {
  private ManagedObjects() {}

  /** One object held by the manager. */
  interface ManagedObject {
    Object call(String method, List<Object> args, ManagerServer.Connection caller) throws Exception;
  }

  static ManagedObject create(String kind, List<Object> args) {
    return switch (kind) {
      case "dict" -> new Dict();
      case "list" -> new ListObject();
      case "namespace" -> new Namespace();
      case "queue" -> new QueueObject((Integer) args.get(0));
      case "lock" -> new LockObject();
      case "event" -> new EventObject();
      default -> throw new IllegalArgumentException("a manager holds no objects of kind " + kind);
    };
  }

  static UnsupportedOperationException unknown(String kind, String method) {
    return new UnsupportedOperationException(kind + " has no method " + method);
  }

  /** Python's dict: insertion-ordered, null keys and values allowed. */
  static final class Dict implements ManagedObject {
    private final Map<Object, Object> map = new LinkedHashMap<>();

    @Override
    public synchronized Object call(String method, List<Object> args, ManagerServer.Connection caller) {
      return switch (method) {
        case "get" -> map.get(args.get(0));
        case "getOrDefault" -> map.getOrDefault(args.get(0), args.get(1));
        case "put" -> map.put(args.get(0), args.get(1));
        case "putIfAbsent" -> map.putIfAbsent(args.get(0), args.get(1));
        case "remove" -> map.remove(args.get(0));
        case "containsKey" -> map.containsKey(args.get(0));
        case "size" -> map.size();
        case "clear" -> {
          map.clear();
          yield null;
        }
        case "putAll" -> {
          map.putAll((Map<?, ?>) args.get(0));
          yield null;
        }
        case "keys" -> new ArrayList<>(map.keySet());
        case "values" -> new ArrayList<>(map.values());
        case "copy" -> new LinkedHashMap<>(map);
        default -> throw unknown("dict", method);
      };
    }
  }

  /** Python's list. */
  static final class ListObject implements ManagedObject {
    private final List<Object> list = new ArrayList<>();

    @Override
    public synchronized Object call(String method, List<Object> args, ManagerServer.Connection caller) {
      return switch (method) {
        case "append" -> list.add(args.get(0));
        case "extend" -> list.addAll((Collection<?>) args.get(0));
        case "insert" -> {
          list.add(insertionPoint((Integer) args.get(0)), args.get(1));
          yield null;
        }
        case "get" -> list.get(position((Integer) args.get(0)));
        case "set" -> list.set(position((Integer) args.get(0)), args.get(1));
        case "pop" -> list.remove(position((Integer) args.get(0)));
        case "remove" -> list.remove(args.get(0));
        case "indexOf" -> list.indexOf(args.get(0));
        case "size" -> list.size();
        case "clear" -> {
          list.clear();
          yield null;
        }
        case "copy" -> new ArrayList<>(list);
        default -> throw unknown("list", method);
      };
    }

    /** Python's index: a negative one counts from the end; out of range is {@code IndexError}. */
    private int position(int index) {
      int at = index < 0 ? index + list.size() : index;
      if (at < 0 || at >= list.size()) {
        throw new IndexOutOfBoundsException("list index " + index + " out of range for length " + list.size());
      }
      return at;
    }

    /** Python's {@code insert}: a negative index counts from the end, and any index is clamped to the list. */
    private int insertionPoint(int index) {
      int at = index < 0 ? index + list.size() : index;
      return Math.max(0, Math.min(at, list.size()));
    }
  }

  /** Python's Namespace: named attributes. */
  static final class Namespace implements ManagedObject {
    private final Map<String, Object> attributes = new LinkedHashMap<>();

    @Override
    public synchronized Object call(String method, List<Object> args, ManagerServer.Connection caller) {
      return switch (method) {
        case "get" -> {
          String name = (String) args.get(0);
          if (!attributes.containsKey(name)) {
            throw new NoSuchElementException("'Namespace' object has no attribute '" + name + "'");
          }
          yield attributes.get(name);
        }
        case "set" -> attributes.put((String) args.get(0), args.get(1));
        case "delete" -> {
          String name = (String) args.get(0);
          if (!attributes.containsKey(name)) {
            throw new NoSuchElementException("'Namespace' object has no attribute '" + name + "'");
          }
          yield attributes.remove(name);
        }
        case "has" -> attributes.containsKey((String) args.get(0));
        case "copy" -> new LinkedHashMap<>(attributes);
        default -> throw unknown("namespace", method);
      };
    }
  }

  /** Python's queue.Queue: FIFO, optionally bounded; proxies refuse null items. */
  static final class QueueObject implements ManagedObject {
    private final int capacity;
    private final LinkedList<Object> items = new LinkedList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();

    /** @param capacity the most items held, 0 for no limit (Manager.queue has applied Python's maxsize rule) */
    QueueObject(int capacity) {
      this.capacity = capacity == 0 ? Integer.MAX_VALUE : capacity;
    }

    @Override
    public Object call(String method, List<Object> args, ManagerServer.Connection caller) throws InterruptedException {
      return switch (method) {
        case "put" -> put(args.get(0), (Long) args.get(1));
        case "get" -> get((Long) args.get(0));
        case "size" -> locked(items::size);
        default -> throw unknown("queue", method);
      };
    }

    private boolean put(Object item, long timeoutMillis) throws InterruptedException {
      lock.lock();
      try {
        long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (items.size() >= capacity) {
          if (timeoutMillis < 0) {
            notFull.await();
          } else if ((nanos = notFull.awaitNanos(nanos)) <= 0) {
            return false;
          }
        }
        items.addLast(item);
        notEmpty.signal();
        return true;
      } finally {
        lock.unlock();
      }
    }

    /** The head item, or null when the timeout passes first (proxies never put null). */
    private Object get(long timeoutMillis) throws InterruptedException {
      lock.lock();
      try {
        long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (items.isEmpty()) {
          if (timeoutMillis < 0) {
            notEmpty.await();
          } else if ((nanos = notEmpty.awaitNanos(nanos)) <= 0) {
            return null;
          }
        }
        Object item = items.removeFirst();
        notFull.signal();
        return item;
      } finally {
        lock.unlock();
      }
    }

    /** Puts back an item whose delivery failed (its caller went away), at the head where it was. */
    void giveBack(Object item) {
      lock.lock();
      try {
        items.addFirst(item);
        notEmpty.signal();
      } finally {
        lock.unlock();
      }
    }

    private <T> T locked(Supplier<T> read) {
      lock.lock();
      try {
        return read.get();
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Python's manager Lock (not re-entrant; any caller may release it), made robust: a lock held by a
   * process that dies (its connection closes and its pid is gone) is taken over by the next acquirer,
   * who is told. While the holding connection is closed but its process lives, waiters check that
   * process every {@value #OWNER_CHECK_MILLIS} ms.
   */
  static final class LockObject implements ManagedObject {
    static final int TIMED_OUT = 0;
    static final int ACQUIRED = 1;
    static final int ACQUIRED_OWNER_DIED = 2;
    private static final long OWNER_CHECK_MILLIS = 50;

    private ManagerServer.Connection owner;
    private boolean ownerDied;

    @Override
    public synchronized Object call(String method, List<Object> args, ManagerServer.Connection caller)
        throws InterruptedException {
      return switch (method) {
        case "acquire" -> acquire(caller, (Long) args.get(0));
        case "release" -> {
          if (owner == null) {
            throw new IllegalStateException("release unlocked lock");
          }
          owner.forget(this);
          owner = null;
          ownerDied = false;
          notifyAll();
          yield null;
        }
        case "locked" -> {
          releaseIfOwnerDied();
          yield owner != null;
        }
        default -> throw unknown("lock", method);
      };
    }

    private int acquire(ManagerServer.Connection caller, long timeoutMillis) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      while (owner != null && !releaseIfOwnerDied()) {
        long left = timeoutMillis < 0 ? Long.MAX_VALUE : deadline - System.nanoTime();
        if (left <= 0) {
          return TIMED_OUT;
        }
        if (owner.isClosed()) {
          TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(OWNER_CHECK_MILLIS)));
        } else if (timeoutMillis < 0) {
          wait();
        } else {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        }
      }
      owner = caller;
      caller.holds(this);
      return ownerDied ? ACQUIRED_OWNER_DIED : ACQUIRED;
    }

    private boolean releaseIfOwnerDied() {
      if (owner == null || !owner.goneWithItsProcess()) {
        return false;
      }
      owner.forget(this);
      owner = null;
      ownerDied = true;
      notifyAll();
      return true;
    }

    /** The connection {@code gone} closed: waiters start checking whether its process died. */
    synchronized void ownerGone(ManagerServer.Connection gone) {
      if (owner == gone && !releaseIfOwnerDied()) {
        notifyAll();
      }
    }

    /** Undoes a grant to {@code caller} that it may never have read: the lock is free again, as before it. */
    synchronized void giveBack(ManagerServer.Connection caller) {
      if (owner == caller) {
        caller.forget(this);
        owner = null;
        notifyAll();
      }
    }
  }

  /** Python's manager Event. */
  static final class EventObject implements ManagedObject {
    private boolean flag;
    private long generation;

    @Override
    public synchronized Object call(String method, List<Object> args, ManagerServer.Connection caller)
        throws InterruptedException {
      return switch (method) {
        case "set" -> {
          if (!flag) {
            flag = true;
            generation++;
            notifyAll();
          }
          yield null;
        }
        case "clear" -> {
          flag = false;
          yield null;
        }
        case "isSet" -> flag;
        case "await" -> await((Long) args.get(0));
        default -> throw unknown("event", method);
      };
    }

    private boolean await(long timeoutMillis) throws InterruptedException {
      long seen = generation;
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      while (!flag && generation == seen) {
        if (timeoutMillis < 0) {
          wait();
        } else {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          TimeUnit.NANOSECONDS.timedWait(this, left);
        }
      }
      return true;
    }
  }
}
