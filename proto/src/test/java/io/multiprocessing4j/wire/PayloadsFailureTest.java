package io.multiprocessing4j.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.proto.RemoteFailure;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Payloads#failure} describes any exception, even one whose own description throws. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PayloadsFailureTest {
  static final class NoMessage extends RuntimeException {
    private static final long serialVersionUID = 1L;

    @Override
    public String getMessage() {
      throw new IllegalStateException("no message");
    }
  }

  static final class NoText extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NoText() {
      super("has a message");
    }

    @Override
    public String toString() {
      throw new UnsupportedOperationException("no text");
    }
  }

  static final class NoTrace extends RuntimeException {
    private static final long serialVersionUID = 1L;

    @Override
    public void printStackTrace(PrintWriter out) {
      throw new UnsupportedOperationException("no trace");
    }
  }

  /** Stands for an object graph too deep to serialize on this thread's stack (a long cause chain). */
  static final class TooDeepToSerialize extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooDeepToSerialize() {
      super("deep");
    }

    private void writeObject(ObjectOutputStream out) {
      throw new StackOverflowError();
    }
  }

  @Test
  void anExceptionTooDeepToSerializeIsDescribedWithoutItsObject() {
    RemoteFailure failure = Payloads.failure(new TooDeepToSerialize());
    assertEquals(TooDeepToSerialize.class.getName(), failure.getExceptionClass());
    assertEquals("deep", failure.getMessage());
    assertTrue(failure.getStackTrace().startsWith(TooDeepToSerialize.class.getName() + ": deep"),
        failure.getStackTrace());
    assertFalse(failure.hasException(), "an object that cannot be serialized is not sent");
  }

  @Test
  void anExceptionWhoseMessageTextOrTraceThrowsIsReportedAsOneThatCouldNotBeDescribed() {
    for (RuntimeException speechless : new RuntimeException[] {new NoMessage(), new NoText(), new NoTrace()}) {
      RemoteFailure failure = Payloads.failure(speechless);
      String name = speechless.getClass().getName();
      assertEquals(name, failure.getExceptionClass());
      assertTrue(failure.getMessage().startsWith("its exception could not be described"), failure.getMessage());
      assertTrue(failure.getStackTrace().startsWith(name + ": its exception could not be described"),
          failure.getStackTrace());
      assertTrue(failure.getStackTrace().contains("\tat " + PayloadsFailureTest.class.getName()),
          "its frames are kept: " + failure.getStackTrace());
      assertFalse(failure.hasException(), "an object that cannot describe itself is not sent: " + name);
    }
  }

  @Test
  void anOrdinaryExceptionKeepsItsMessageTraceAndObject() {
    RemoteFailure failure = Payloads.failure(new IllegalArgumentException("bad", new ArithmeticException("zero")));
    assertEquals("java.lang.IllegalArgumentException", failure.getExceptionClass());
    assertEquals("bad", failure.getMessage());
    assertTrue(failure.getStackTrace().contains("Caused by: java.lang.ArithmeticException: zero"),
        failure.getStackTrace());
    assertTrue(failure.hasException());
  }
}
