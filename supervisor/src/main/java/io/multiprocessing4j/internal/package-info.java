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
 * The rings cost {@code /dev/shm} memory per handle per child process: 4 MiB for posts and gets, 256
 * KiB for replies, as pages are first touched, released when the connection ends. Across hosts, or
 * with {@code -Dmultiprocessing4j.channelRings=false}, the connection carries all.
 *
 * <p>Back pressure on pipes: an end holds at most its pipe's {@code maxBufferedBytes} of messages not
 * yet received (16 MiB by default; a message is let in while it holds less). Past that the broker takes
 * nothing more in for it: the parent's own sends wait, a writer's ring is left undrained (the writer
 * waits for ring space, as it already did), a writer without a ring has its connection's frames wait
 * (its socket fills up), until the reader has taken the end down to half the limit; an end that closes
 * releases them all (their sends are refused). While a ring's posts are held back the broker says so
 * in the ring, and its process sends its gets as frames, so a process still receives on a duplex end
 * while its own sends on it wait. A direct reader bounds what it takes from its writers' rings and its
 * reply ring the same way. Queues are bounded by their maxsize instead.
 *
 * <p>A pipe between two children on the parent's host skips the broker for its messages: the end's
 * reading process reads its writers' rings itself, while the broker keeps every decision that is not
 * per message:
 * <pre>
 *   child A (sends) ── DirectRoute: its own PostRing ─────────────────▶ child B (reads: DirectInbox)
 *        │ offer the ring (in order after A's earlier sends)               ▲ pushes, in order: messages
 *        ▼                                                                 │ still sent through the broker,
 *   parent: PipeBroker ── DirectPush ──────────── B's reply ring ──────────┘ "ring of A at path", EOF
 * </pre>
 * When B holds its end alone (no other process, no copy in flight, the parent's copy closed) and the
 * parent no longer holds the sending end (its sends are one hop from B's reply ring anyway, and a
 * parent-child ping-pong runs about three times faster on B's fetches than on pushes), it asks with
 * each get ({@code direct_ok}) until it is granted; the broker then stops holding that end's messages: it hands
 * what it holds to B, pushes whatever is still sent through it (by the parent, from another host,
 * before a writer's ring is set up), and tells every sending process on this host to offer a ring of
 * its own, which A does on its next send. B reads A's ring only after the broker's record announcing
 * it, which follows everything A sent before through the broker, so each writer's messages stay in
 * order; every writing process has its own ring (its threads take turns), so two writers never
 * interleave a message, and a message larger than a ring travels in chunks as on the broker's rings.
 * A daemon thread in B drains the rings while no receiver does (asleep on their doorbells when idle),
 * so a sender never waits for a receiver. What stays the broker's: end of file (pushed once the
 * sending end is closed, whether its holders closed it or died: B drains the rings once more before it
 * reports it, so a killed writer's complete messages arrive and a half-written one is dropped); a
 * closed or dead reader (the broker tells the writers, whose next send is refused); and an end handed
 * on: before B serializes its end it asks the broker to stop pushing, closes each ring's gate (a word
 * a writer holds while it writes a message; a writer that finds it closed sends through the broker
 * again), drains everything and gives back what it has not received to the head of the broker's inbox,
 * in order, before the copy is registered; from then on the end is brokered, until a process holds it
 * alone again and asks. Writers handing their end on need nothing of the kind: the new holder offers a
 * ring of its own. A writer's ring (4 MiB of {@code /dev/shm}, as pages are touched) stays mapped by B
 * until B hands its end on or closes it. Ends on other hosts, and the parent's own ends, use the
 * brokered path unchanged, and so do queues (many consumers share one queue, so no one process can
 * own its items).
 *
 * <p>Across machines ({@code Multiprocessing.create(RemoteOptions)}, {@code Multiprocessing.connect}),
 * the same frames travel as Pekko messages over Artery, and the broker does not know:
 * <pre>
 *   serving JVM: QueueBroker ◀── ordinary connection ── RelaySession actor ◀─┐ RelayMessage chunks,
 *                RemoteGateway actor (authkey / endpoint-key HMAC, lookups)   │ windowed, DeathWatch
 *   remote JVM:  RemotePeer (its own actor system) ── RelayLink (inbox actor) ─┘ both ways
 *                   └─ RemoteCalls over the RelayLink, exactly as over a socket (no rings, no direct path)
 * </pre>
 * A handle decoded in a JVM that holds a {@code RemotePeer} for its context connects through it,
 * however it arrived (looked up, or inside an item).
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
