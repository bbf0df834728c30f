package io.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;

/**
 * A value whose deserialization is observable: its {@code readObject} raises a flag in the JVM that
 * decodes it. Strangers send it to the parent's channel; the flag must stay down.
 */
final class DeserializationCanary implements Serializable {
  private static final long serialVersionUID = 1L;
  static volatile boolean deserialized;

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    deserialized = true;
    in.defaultReadObject();
  }
}
