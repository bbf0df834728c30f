package io.multiprocessing4j.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Who this JVM is in shared memory, and whether another process recorded there is still alive.
 *
 * <p>Every robust primitive (a lock's owner, a semaphore's holders, a barrier's parties, a block's
 * users) records a process as its pid plus its <em>start time</em>, because pids are small numbers that
 * the kernel reuses (this machine's {@code pid_max} is 32768, and every JVM thread takes one from the
 * same space). A recorded process is dead when its pid is gone, is a zombie, or now belongs to a
 * process that started at another time. On Linux the start time is the exact {@code starttime} field
 * of {@code /proc/PID/stat} (clock ticks since boot); elsewhere it is {@link ProcessHandle.Info#startInstant()}.
 */
public final class ProcessIdentity {
  private static final Path PROC = Path.of("/proc");
  /** This JVM's pid. */
  public static final long PID = ProcessHandle.current().pid();
  /** This JVM's start time, as {@link #startTime(long)} reports it (never 0). */
  public static final long START = Math.max(1, startTime(PID));

  private ProcessIdentity() {}

  /**
   * The calling thread as a lock owner: pid in the high 32 bits, the thread's id in the low 32 bits.
   * Never 0, so 0 can mean "free".
   */
  public static long currentOwner() {
    return (PID << 32) | (Thread.currentThread().getId() & 0xffff_ffffL);
  }

  /** The pid part of an owner word made by {@link #currentOwner()}. */
  public static long pidOf(long owner) {
    return owner >>> 32;
  }

  /**
   * The start time of process {@code pid}, or -1 if there is no such live process (gone or a zombie).
   * Costs one small file read on Linux; not for hot paths.
   */
  public static long startTime(long pid) {
    Path stat = PROC.resolve(Long.toString(pid)).resolve("stat");
    if (Files.isDirectory(PROC)) {
      try {
        return parseStartTicks(new String(Files.readAllBytes(stat), StandardCharsets.US_ASCII));
      } catch (NoSuchFileException gone) {
        return -1;
      } catch (IOException | RuntimeException unreadable) {
        // Fall through to the portable answer.
      }
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive()) {
      return -1;
    }
    return handle.get().info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }

  /**
   * Whether the process recorded as ({@code pid}, {@code recordedStart}) has died. A
   * {@code recordedStart} of 0 means "not recorded yet": then only the pid's presence counts.
   */
  public static boolean isDead(long pid, long recordedStart) {
    if (pid == PID) {
      return recordedStart != 0 && recordedStart != START;
    }
    long now = startTime(pid);
    return now < 0 || (recordedStart != 0 && now != 0 && now != recordedStart);
  }

  /** Field 22 of /proc/PID/stat; -1 for a zombie. The command name (field 2) may hold spaces and parentheses. */
  static long parseStartTicks(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    char state = fields[0].charAt(0);
    if (state == 'Z' || state == 'X' || state == 'x') {
      return -1;
    }
    return Long.parseLong(fields[19]);
  }
}
