/**
 * INTERNAL API: the wire protocol shared by the parent and its child agents.
 *
 * <p>Everything that crosses a process boundary is a generated Protobuf message (schema in
 * {@code src/main/proto/multiprocessing4j}); the classes here are the only ones that build or parse
 * them on the transport level: {@link io.multiprocessing4j.wire.FrameChannel} carries length-prefixed
 * frames over a Unix-domain socket, {@link io.multiprocessing4j.wire.Handshake} authenticates a
 * connection before any frame is read, and {@link io.multiprocessing4j.wire.Payloads} turns user values
 * into {@code Payload} messages and back behind an {@link java.io.ObjectInputFilter}.
 *
 * <p>Not for use outside multiprocessing4j; it may change without notice.
 */
package io.multiprocessing4j.wire;
