/**
 * INTERNAL API: the parent side of the process tree.
 *
 * <p>The process tree of one {@code Multiprocessing} context looks like this:
 * <pre>
 *   parent JVM
 *     ProcessSupervisor actor ─── owns ── ChannelServer (Unix socket in a private 0700 directory)
 *       ChildProcess actor, one per child ── owns ── JvmLauncher.LaunchedJvm (the OS process)
 *                    ▲  authenticated FrameChannel (Protobuf frames)
 *   child JVM        │
 *     AgentActor ────┘   runs the target on the child's main thread
 * </pre>
 *
 * <p>A pool adds one {@code PoolActor} per {@code Pool}: it starts its workers through the
 * ProcessSupervisor (each worker is an ordinary daemon child whose target is the worker loop,
 * {@code agent.TaskWorker}) and exchanges tasks with each over a second authenticated connection to
 * the same ChannelServer, the task channel; {@code WorkQueue}, {@code WorkerRoster} and the job
 * classes ({@code MapJob}, {@code IteratorJob}, {@code ChunkFeed}) are its parts.
 *
 * <p>Pipes and queues live in the same tree: each is a broker in the parent ({@code QueueBroker},
 * {@code PipeBroker}) holding its items behind one lock; the parent's own handles call it directly,
 * and a handle used in any child connects to it through an {@code Endpoint} of the same
 * {@code ChannelServer}, one connection per handle per process ({@code HandleTable},
 * {@code RemoteCalls}):
 * <pre>
 *   parent JVM: QueueBroker ◀── direct calls ── Queue handle in the parent
 *                  ▲ ▲
 *                  │ └── FrameChannel + PostRing pair ── Queue handle in child A
 *                  └──── FrameChannel + PostRing pair ── Queue handle in child B
 * </pre>
 * The data path, on one host: a handle in a child opens two shared-memory rings ({@code PostRing},
 * files in {@code /dev/shm} deleted as soon as the broker mapped them) on its first put or get. Its
 * puts, pipe sends and gets travel through the first ring, and the items that answer its gets come
 * back through the second; everything else (bounded puts, polls, joins, sizes, cancels, attach and
 * copy of pipe ends, the answers that are not items) stays frames on the connection, which also tells
 * either side that the other has gone. The broker keeps the two in order by draining a client's ring
 * before it handles any frame of that client and before its end ({@code RingIntake}). Whoever waits
 * takes from the ring itself (a parent's get drains the clients' rings, a child's get drains its
 * replies ring): spin, yield, then sleep on the ring's {@code Doorbell}, which the writer rings; so a
 * ping-pong or a stream costs no thread hand-off and, while both sides are running, no system call.
 * The rings cost {@code /dev/shm} memory per handle per child process: 1 MiB for posts and gets, 256
 * KiB for replies, as pages are first touched, released when the connection ends. Across hosts, or
 * with {@code -Dmultiprocessing4j.channelRings=false}, the connection carries all.
 * Child-to-child traffic still goes through the parent's broker (one ring each way per child).
 *
 * <p>Shared state does not go through the parent at all: {@code Value}, {@code Array},
 * {@code SharedMemory} and the synchronization primitives are blocks in {@code /dev/shm}
 * ({@code SharedBlock}, {@code BlockStore}, {@code BlockLifecycle}) that every process maps; locks are
 * words taken by compare-and-set with the owner's pid in them ({@code RobustMutex}), waiters sleep until
 * a per-process {@code Doorbell} rings. A {@code Manager} is a daemon child ({@code ManagerServer})
 * that proxies reach directly over their own authenticated socket ({@code ManagerClient}).
 *
 * <p>Liveness comes first from the OS process handle ({@code onExit()}, reaped by the JDK within
 * milliseconds), then from the agent's channel closing; a child whose parent vanishes sees end-of-file
 * on its stdin. Classes here are public only because Java has no friend packages; they may change
 * without notice.
 */
package io.multiprocessing4j.internal;
