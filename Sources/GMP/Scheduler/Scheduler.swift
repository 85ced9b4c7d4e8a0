import CContext
import Foundation
import Synchronization

// The scheduler object: Go's `schedt` and the runtime's globals as stored properties (each
// says what protects it), the `run` entry point and shutdown, the failure path, the clock,
// and the hooks and statistics a layer above sees. The behaviour lives in extensions beside
// this file: goroutine creation (Scheduler+Goroutines), P/M hand-off (Scheduler+Handoff),
// deadlock detection (Scheduler+Checkdead), finding work, stopping the world, syscalls,
// sysmon and deterministic mode; timers are in Time/, the netpoller in Net/.

/// A GMP scheduler instance: goroutines (G) multiplexed onto OS threads (M) through a fixed
/// set of processors (P), as in Go's runtime (proc.go). Go's `schedt` plus the runtime's
/// globals live here, so several schedulers can coexist in one process (tests do this).
///
/// ```swift
/// try Scheduler.run(SchedulerConfig()) {
///     let ch = Channel<Int>()
///     go { ch.send(42) }
///     print(ch.receive()!)
/// }
/// ```
///
/// `run` blocks the calling thread until the main goroutine returns; like Go, other
/// goroutines still alive then are abandoned (their stacks are released without unwinding,
/// so Swift objects their frames hold are leaked).
public final class Scheduler: @unchecked Sendable {
    public let config: SchedulerConfig
    /// GOMAXPROCS.
    public let procs: Int

    /// Go's sched.lock. Protects the fields marked "lock".
    let lock = RuntimeLock()

    // MARK: Global run queue (lock; RunQueue.swift)
    /// Head and tail of the global queue, linked through `Goroutine.schedlink` (nil: empty);
    /// lock.
    var globrunqHead: GoroutineRef?
    var globrunqTail: GoroutineRef?
    private let runqsizeAtomic = Atomic<Int>(0)
    /// Length of the global queue (Go's sched.runqsize). Written under `lock`; read racily as
    /// a hint (relaxed), then re-checked under `lock` before anything depends on it.
    var runqsize: Int {
        get { runqsizeAtomic.load(ordering: .relaxed) }
        set { runqsizeAtomic.store(newValue, ordering: .relaxed) }
    }

    // MARK: Idle Ps and Ms (Scheduler+Handoff.swift)
    /// Idle Ps, linked through `Processor.link`; lock.
    unowned(unsafe) var pidle: Processor?
    /// Count of idle Ps; written under lock, read racily. Sequentially consistent, like
    /// Go's, for the submit/spin handshake (Scheduler+Handoff.swift).
    let npidle = Atomic<Int>(0)
    /// Parked Ms waiting for startm to hand them a P; lock.
    var midle: [Machine] = []
    /// Ms created (threads, excluding sysmon); lock.
    var mcount = 0
    /// Every M ever created, holding the +1 on each (GoroutineRef.swift); lock.
    var allm: [Machine] = []
    /// Spinning Ms (Go's nmspinning); sequentially consistent, like Go's.
    let nmspinning = Atomic<Int>(0)
    /// All processors, holding the +1 on each; immutable after init.
    public let allp: [Processor]

    // MARK: Goroutines (Scheduler+Goroutines.swift)
    /// Protects `allgs` and `gFreeGlobal`.
    let allgLock = RuntimeLock()
    /// Every goroutine ever created: the +1 that keeps each alive (GoroutineRef.swift);
    /// allgLock.
    var allgs: [Goroutine] = []
    /// Dead goroutines for reuse, with their stacks; allgLock.
    var gFreeGlobal: [GoroutineRef] = []
    /// `gFreeGlobal.count`: written under allgLock, read racily (relaxed) so that creating
    /// a goroutine skips the lock when the global free list is empty.
    let gFreeGlobalCount = Atomic<Int>(0)
    /// Goroutine id generator (Go's sched.goidgen); relaxed (ids need only be unique).
    let goidGen = Atomic<Int64>(0)
    /// Two counts in one word, so that a user goroutine's spawn and exit pay one atomic
    /// each and a reader sees both counts at one instant: the low 32 bits (`liveMask`)
    /// count goroutines created and not yet exited (`goroutineCount`, the limit check);
    /// the bits above (`systemUnit` each) count the published `isSystem` ones among them
    /// (Go's sched.ngsys), added by `publish`, after `go(prepare:)` set the flag, and
    /// removed with the live count by `goexit0`. `numGoroutine` is the difference, as Go's
    /// NumGoroutine is gcount() - ngsys. Relaxed: a limit check and statistics.
    let goroutineCounts = Atomic<Int>(0)
    static let liveMask = (1 << 32) - 1
    static let systemUnit = 1 << 32
    /// The main goroutine (+0, GoroutineRef.swift): written by `run` before any M starts,
    /// then read-only. A ref, not an `unowned(unsafe)` reference: every exit compares it,
    /// and loading the reference retained and released the main goroutine each time.
    var mainG: GoroutineRef?
    /// Goroutine stacks (StackPool has its own lock).
    let stacks: StackPool

    // MARK: Stop the world (StopTheWorld.swift)
    /// Set while a stop-the-world is in progress (Go's sched.gcwaiting); stored release
    /// under lock, loaded acquire (relaxed where only a hint to stop looking for work).
    let gcwaiting = Atomic<Bool>(false)
    /// Ps still to stop (lock).
    var stopwait = 0
    /// Wakes the world-stopper when `stopwait` reaches zero.
    let stopNote = Note()
    /// Serialises world stops (Go's worldsema); parks the goroutine, not the thread.
    let worldSema = GoMutex()
    /// The goroutine that stopped the world (nil: none): it alone ignores the preemption
    /// requests of its own stop. Written by the stopper under lock; read relaxed at safe
    /// points and by `preemptone`.
    let stwOwner = Atomic<GoroutineRef?>(nil)

    // MARK: Lifecycle
    /// Set once at shutdown, with release (`beginShutdown`'s exchange, or `checkdead` under
    /// lock); loaded acquire where the reader then leaves, relaxed where it is a hint that a
    /// later acquire load re-checks.
    @usableFromInline let shuttingDown = Atomic<Bool>(false)
    /// Set by the first `run` (exchange, acquire-release), so a second `run` fails.
    private let started = Atomic<Bool>(false)
    /// Wakes the thread blocked in `run`.
    let exitNote = Note()
    /// Threads (Ms and sysmon) still running; run() waits for zero (acquire-release).
    let liveThreads = Atomic<Int>(0)
    /// Threads without a P between taking a goroutine out of a wait structure and putting it
    /// on a run queue (`Parker.unpark` from a plain thread or sysmon); `checkdead` counts
    /// them as running Ms. Sequentially consistent.
    let wakesInFlight = Atomic<Int>(0)
    /// The first failure (lock).
    var failure: SchedulerError?
    let startTime = nanotime()

    // MARK: Sysmon, determinism, stats (timers live on each P: Processor.timers)
    /// Deterministic-mode state; touched only by the single M (Deterministic.swift).
    let det: DeterministicState?
    /// `det != nil`, as a plain flag the hot paths test without touching the reference.
    @usableFromInline let deterministic: Bool
    /// The lab's record of decisions, when `SchedulerLab` steps this scheduler by hand
    /// (SchedulerLab.swift): then no M is a thread (`startm` creates Ms without starting one,
    /// `stopm` parks an M on `midle` and returns to the lab) and `run` is refused. Set once
    /// at init, then read-only; the record itself is touched by the lab's one thread only.
    let lab: LabRecord?
    public let stats = SchedulerStats()
    /// The netpoller, created on first network use (Net/Netpoller.swift); its own locks.
    let net = NetpollState()
    /// Hooks a layer above (the collector) installs before `run`; read-only after.
    /// `@exclusivity(unchecked)`: that rule keeps the writes apart from the reads, and g0
    /// reads `tracing` on every switch and `onSpawn` on every spawn.
    @exclusivity(unchecked) public var hooks = SchedulerHooks()
    /// Whether `hooks.onRunSlice` is set (read on every switch).
    var tracing: Bool { hooks.tracingFlag }

    public convenience init(_ config: SchedulerConfig = .fromEnvironment()) {
        self.init(config, lab: nil)
    }

    /// A scheduler whose Ms the caller steps with `lab` (SchedulerLab), or a normal one.
    init(_ config: SchedulerConfig, lab: LabRecord?) {
        self.lab = lab
        var config = config
        if config.deterministic != nil { config.procs = 1 }
        precondition(config.procs >= 1, "SchedulerConfig.procs must be at least 1, got \(config.procs)")
        self.config = config
        procs = config.procs
        allp = (0..<config.procs).map { Processor(id: $0) }
        stacks = StackPool(usable: config.stackSize, guardSize: config.guardSize)
        if let d = config.deterministic { det = DeterministicState(d) } else { det = nil }
        deterministic = det != nil
        for p in allp.reversed() { pidleput(p) }
    }

    /// Runs `main` as the main goroutine on a fresh scheduler and returns when it returns.
    public static func run(_ config: SchedulerConfig = .fromEnvironment(),
                           _ main: @Sendable @escaping () throws -> Void) throws(SchedulerError) {
        try Scheduler(config).run(main)
    }

    /// The least stack a calling thread needs to run a deterministic scheduler's M itself
    /// (its g0, where system-stack work runs): what `Machine.startThread` gives an M.
    static let callingThreadStack = 1 << 20

    /// Runs `main` as the main goroutine and blocks the calling thread until it returns.
    /// Throws on deadlock, on a goroutine panic, or on a resource limit. A scheduler runs
    /// once.
    public func run(_ main: @Sendable @escaping () throws -> Void) throws(SchedulerError) {
        precondition(!started.exchange(true, ordering: .acquiringAndReleasing),
                     "Scheduler.run called twice: a scheduler runs once; create a new one")
        precondition(lab == nil, "Scheduler.run on a SchedulerLab's scheduler: the lab steps it by hand")
        tc_signals_install()
        let g = try newGoroutine(main, parent: nil)
        publish(g, parent: nil)
        mainG = g
        if let det { det.makeRunnable(g.goroutine) } else { lock.withLock { globrunqput(g) } }
        if det == nil { startSysmon() }
        if det != nil && Machine.current == nil && tc_thread_stack_size() >= Self.callingThreadStack {
            // Deterministic mode's one M runs on this thread: no thread to start, and no
            // hand-off between threads when main ends (a property-test campaign runs
            // thousands of schedulers one after another). The note is already woken then.
            startm(nil, spinning: false, onCallingThread: true)
        } else {
            startm(nil, spinning: false)
        }
        exitNote.sleep()
        shutdown()
        if let f = lock.withLock({ failure }) { throw f }
    }

    /// Records the first failure and begins shutdown.
    func fail(_ f: SchedulerError) {
        lock.withLock { if failure == nil { failure = f } }
        beginShutdown()
    }

    /// Fails the run with a goroutine panic, printing it first if `config.reportPanics`.
    func reportPanic(_ g: Goroutine, _ message: String) {
        if config.reportPanics { tc_write_stderr("panic: \(message)\n\ngoroutine \(g.id) [running]\n") }
        fail(.panic(goroutine: g.id, message: message))
    }

    func beginShutdown() {
        if shuttingDown.exchange(true, ordering: .acquiringAndReleasing) { return }
        exitNote.wakeup()
    }

    /// Waits for every thread to leave, then releases goroutine resources.
    private func shutdown() {
        beginShutdown()
        while liveThreads.load(ordering: .acquiring) > 0 {
            lock.withLock { for m in midle { m.park.wakeup() } }
            net.poller?.breakPoll()  // an M blocked in epoll_wait
            tc_usleep(200)
        }
        for p in allp { p.timers.removeAll() }
        net.poller?.closeAll()
        allgLock.withLock {
            for g in allgs {
                if let s = g.stack { stacks.put(s) }
                g.stack = nil
                g.body = nil
                g.collectorData = nil
            }
        }
    }

    /// Called by an M or sysmon as its thread leaves.
    func mExited() {
        liveThreads.subtract(1, ordering: .acquiringAndReleasing)
    }

    /// The scheduler clock: real monotonic time, or virtual time in deterministic mode.
    public func now() -> Int64 {
        if let det { return det.virtualNow }
        return nanotime()
    }

    /// Milliseconds since this scheduler was created.
    var uptimeMS: Int64 { (nanotime() - startTime) / 1_000_000 }
}

/// Callbacks a layer above the scheduler installs before `run` (GMP itself knows nothing
/// of garbage collection).
public struct SchedulerHooks: @unchecked Sendable {
    /// Called when `child` is created, before it can run: on the parent goroutine for
    /// `go`; with no parent (nil) for the main goroutine and for goroutines a timer starts
    /// (`afterFunc`), on whichever thread fires the timer.
    public var onSpawn: ((_ parent: Goroutine?, _ child: Goroutine) -> Void)?
    /// Called by sysmon on every tick with the current `nanotime()` (no P held: must not
    /// touch goroutine-only APIs).
    public var sysmonTick: ((Int64) -> Void)?
    /// Called on g0 after every run slice of a goroutine: (goroutine id, P id, start, end)
    /// in nanotime. Costs two clock reads per switch while set; for execution traces.
    public var onRunSlice: ((_ goroutine: Int64, _ p: Int, _ start: Int64, _ end: Int64) -> Void)? {
        didSet { tracingFlag = onRunSlice != nil }
    }
    var tracingFlag = false
    /// Called on g0 when a P finds nothing to run, just before it would go idle. May return
    /// a goroutine parked in a `ParkingSpot` (claimed with `ParkingSpot.claim()`) to run on
    /// this otherwise idle P. Must be quick and must not block.
    public var onIdle: ((Processor) -> Goroutine?)?
    public init() {}
}

/// Running totals, updated with relaxed atomics.
public final class SchedulerStats: @unchecked Sendable {
    public let goroutinesCreated = Atomic<Int>(0)
    /// Goroutine switches to g0; each M adds its count in batches of 256 and on exit, so
    /// while running it lags by up to 255 per M.
    public let contextSwitches = Atomic<Int>(0)
    public let preemptions = Atomic<Int>(0)
    public let steals = Atomic<Int>(0)
    /// Threads that slept for work and were woken for it: parked Ms that `startm` handed a
    /// P, and Ms that blocked in the netpoller (each a futex or epoll_wait sleep and a
    /// wake-up, two context switches). An IO ping-pong in which one M polls without
    /// blocking needs none per round trip (NetTests.pingPongDoesNotWakeAThreadPerRoundTrip).
    public let threadWakeups = Atomic<Int>(0)
    public let syscallRetakes = Atomic<Int>(0)
    public let worldStops = Atomic<Int>(0)
    /// Total and maximum stop-the-world pause, nanoseconds.
    public let stwTotalNS = Atomic<Int64>(0)
    public let stwMaxNS = Atomic<Int64>(0)
    init() {}
}
