/**
 * The child side of the process tree: {@link io.multiprocessing4j.agent.ChildMain} is the main class
 * of every child JVM the supervisor launches.
 *
 * <p>A child reads its {@code Bootstrap} on stdin, boots a minimal local Pekko actor system (no
 * remoting: the parent channel is a Unix-domain socket), and its agent actor connects back to the
 * parent, authenticates, receives its target and reports the outcome. The target itself runs on the
 * JVM's main thread, as a Python child's target runs on its main thread. Only
 * {@link io.multiprocessing4j.agent.ChildRuntime} (the library's own {@code currentProcess()}) and
 * {@link io.multiprocessing4j.agent.ExitWork} (what the library gives back when a child exits) are
 * meant for code outside this package; everything else is INTERNAL API.
 */
package io.multiprocessing4j.agent;
