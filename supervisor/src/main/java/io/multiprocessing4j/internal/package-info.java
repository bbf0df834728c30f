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
 *                  │ └── FrameChannel ── Queue handle in child A (put: frames batched by a flusher)
 *                  └──── FrameChannel ── Queue handle in child B (get: request, answer)
 * </pre>
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
