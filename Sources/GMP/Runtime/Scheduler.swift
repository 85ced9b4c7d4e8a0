import CContext
import Foundation
import Synchronization

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

    // MARK: Global run queue (lock)
    /// Head and tail of the global queue as unretained goroutine bits (0: empty), linked
    /// through `Goroutine.schedlink`; lock.
    var runqHeadBits: UInt = 0
    var runqTailBits: UInt = 0
    private let runqsizeAtomic = Atomic<Int>(0)
    /// Written under `lock`; read racily as a hint (relaxed).
    var runqsize: Int {
        get { runqsizeAtomic.load(ordering: .relaxed) }
        set { runqsizeAtomic.store(newValue, ordering: .relaxed) }
    }

    // MARK: Idle Ps and Ms (lock)
    unowned(unsafe) var pidle: Processor?
    /// Count of idle Ps; written under lock, read racily (relaxed).
    let npidle = Atomic<Int>(0)
    var midle: [Machine] = []
    /// Ms created (threads, excluding sysmon); lock.
    var mcount = 0
    /// Every M ever created; lock.
    var allm: [Machine] = []
    /// Spinning Ms (Go's nmspinning); atomic, sequentially consistent like Go's.
    let nmspinning = Atomic<Int>(0)
    /// All processors; immutable after init.
    public let allp: [Processor]

    // MARK: Goroutines
    /// Protects `allgs` and `gFreeGlobal`.
    let allgLock = RuntimeLock()
    /// Every goroutine ever created: the references that keep goroutines alive (allgLock).
    var allgs: [Goroutine] = []
    /// Dead goroutines for reuse, as unretained bits (`allgs` keeps them alive); allgLock.
    var gFreeGlobal: [UInt] = []
    /// `gFreeGlobal.count`: written under allgLock, read racily (relaxed) so that creating
    /// a goroutine skips the lock when the global free list is empty.
    let gFreeGlobalCount = Atomic<Int>(0)
    let goidGen = Atomic<Int64>(0)
    /// Goroutines created and not yet exited.
    let liveGoroutines = Atomic<Int>(0)
    unowned(unsafe) var mainG: Goroutine?
    let stacks: StackPool

    // MARK: Stop the world
    /// Set while a stop-the-world is in progress (Go's sched.gcwaiting); acquire/release.
    let gcwaiting = Atomic<Bool>(false)
    /// Ps still to stop (lock).
    var stopwait = 0
    let stopNote = Note()
    /// Serialises world stops (Go's worldsema); parks the goroutine, not the thread.
    let worldSema = GoMutex()
    /// Bits of the goroutine that stopped the world (0: none); relaxed.
    let stwOwner = Atomic<UInt>(0)

    // MARK: Lifecycle
    @usableFromInline let shuttingDown = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    /// Wakes the thread blocked in `run`.
    let exitNote = Note()
    /// Threads (Ms and sysmon) still running; run() waits for zero.
    let liveThreads = Atomic<Int>(0)
    /// Threads without a P between taking a goroutine out of a wait structure and putting it
    /// on a run queue (`Parker.unpark` from a plain thread or sysmon); `checkdead` counts
    /// them as running Ms. Sequentially consistent.
    let wakesInFlight = Atomic<Int>(0)
    /// The first failure (lock).
    var failure: SchedulerError?
    let startTime = nanotime()

    // MARK: Timers, sysmon, determinism, stats
    let timers: TimerQueue
    let det: DeterministicState?
    /// `det != nil`, as a plain flag the hot paths test without touching the reference.
    @usableFromInline let deterministic: Bool
    public let stats = SchedulerStats()
    /// Hooks a layer above (the collector) installs before `run`.
    public var hooks = SchedulerHooks()
    /// Whether `hooks.onRunSlice` is set (read on every switch).
    var tracing: Bool { hooks.tracingFlag }

    public init(_ config: SchedulerConfig = .fromEnvironment()) {
        var config = config
        if config.deterministic != nil { config.procs = 1 }
        precondition(config.procs >= 1, "SchedulerConfig.procs must be at least 1, got \(config.procs)")
        self.config = config
        procs = config.procs
        allp = (0..<config.procs).map { Processor(id: $0) }
        stacks = StackPool(usable: config.stackSize, guardSize: config.guardSize)
        timers = TimerQueue()
        if let d = config.deterministic { det = DeterministicState(d) } else { det = nil }
        deterministic = det != nil
        for p in allp.reversed() { pidleput(p) }
    }

    deinit {
        lock.deallocate()
        allgLock.deallocate()
        stopNote.deallocate()
        exitNote.deallocate()
    }

    /// Runs `main` as the main goroutine on a fresh scheduler and returns when it returns.
    public static func run(_ config: SchedulerConfig = .fromEnvironment(),
                           _ main: @Sendable @escaping () throws -> Void) throws(SchedulerError) {
        try Scheduler(config).run(main)
    }

    /// Runs `main` as the main goroutine and blocks the calling thread until it returns.
    /// Throws on deadlock, on a goroutine panic, or on a resource limit. A scheduler runs
    /// once.
    public func run(_ main: @Sendable @escaping () throws -> Void) throws(SchedulerError) {
        precondition(!started.exchange(true, ordering: .acquiringAndReleasing),
                     "Scheduler.run called twice: a scheduler runs once; create a new one")
        tc_signals_install()
        let g: Goroutine
        do { g = try newGoroutine(main, parent: nil) } catch { throw error }
        mainG = g
        if let det { det.makeRunnable(g) } else { lock.withLock { globrunqput(g) } }
        if det == nil { startSysmon() }
        startm(nil, spinning: false)
        exitNote.sleep()
        shutdown()
        if let f = lock.withLock({ failure }) { throw f }
    }

    /// Records the first failure and begins shutdown.
    func fail(_ f: SchedulerError) {
        lock.withLock { if failure == nil { failure = f } }
        beginShutdown()
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
            tc_usleep(200)
        }
        allgLock.withLock {
            for g in allgs {
                if let s = g.stack { stacks.put(s) }
                g.stack = nil
                g.body = nil
                g.collectorData = nil
            }
        }
    }

    func mExited() {
        liveThreads.subtract(1, ordering: .acquiringAndReleasing)
    }

    // MARK: - Goroutine creation and exit

    /// Creates a runnable goroutine (Go's newproc1). Runs on a goroutine or on the thread
    /// calling `run`.
    func newGoroutine(_ body: @escaping () throws -> Void, parent: Goroutine?) throws(SchedulerError) -> Goroutine {
        gFrom(try newGoroutineBits(body, parent: parent))
    }

    /// `newGoroutine` returning the goroutine as unretained bits (`allgs` keeps it alive).
    func newGoroutineBits(_ body: @escaping () throws -> Void, parent: Goroutine?) throws(SchedulerError) -> UInt {
        if liveGoroutines.add(1, ordering: .relaxed).newValue > config.maxGoroutines {
            liveGoroutines.subtract(1, ordering: .relaxed)
            throw .resourceLimit("too many goroutines: limit is \(config.maxGoroutines) "
                + "(SchedulerConfig.maxGoroutines)")
        }
        // The parent's P (nil on the thread calling `run`). Borrowed: it is held by the
        // parent's M for the whole call.
        let pU = parent?.mU?._withUnsafeGuaranteedRef { $0.pU }
        let bits = pU?._withUnsafeGuaranteedRef { gfget($0) } ?? gfgetNoP()
        if withG(bits, { $0.stack == nil }) {
            do throws(SchedulerError) {
                let st: Stack
                if let pU {
                    st = try pU._withUnsafeGuaranteedRef { p in
                        Result { () throws(SchedulerError) -> Stack in
                            if p.stackCache.isEmpty { try stacks.get(batch: 16, into: &p.stackCache) }
                            return p.stackCache.removeLast()
                        }
                    }.get()
                } else {
                    st = try stacks.get()
                }
                withG(bits) { $0.stack = st }
            } catch {
                liveGoroutines.subtract(1, ordering: .relaxed)
                allgLock.withLock {
                    gFreeGlobal.append(bits)
                    gFreeGlobalCount.store(gFreeGlobal.count, ordering: .relaxed)
                }
                throw error
            }
        }
        withG(bits) { gp in
            let id: Int64
            if let pU {
                id = pU._withUnsafeGuaranteedRef { p in
                    // Go's goidcache: ids come from the global generator in batches per P.
                    if p.goidCache == p.goidCacheEnd {
                        p.goidCache = goidGen.add(Processor.goidBatch, ordering: .relaxed).newValue
                            - Processor.goidBatch + 1
                        p.goidCacheEnd = p.goidCache + Processor.goidBatch
                    }
                    defer { p.goidCache += 1 }
                    return p.goidCache
                }
            } else {
                id = goidGen.add(1, ordering: .relaxed).newValue
            }
            gp.id = id
            gp.parentID = parent?.id ?? 0
            gp.body = body
            gp.waitReason = .none
            gp.preempt.store(false, ordering: .relaxed)
            gp.preemptStop.store(false, ordering: .relaxed)
            gp.roots.reset()
            gp.collectorWord = 0
            gp.collectorCredit = 0
            gp.collectorCreditCycle = 0
            gp.isSystem = false
            if gp.collectorData != nil { gp.collectorData = nil }
            let st = gp.stack.unsafelyUnwrapped
            tc_context_destroy(gp.context)
            tc_context_init(gp.context, st.lo, st.size, { raw in
                withG(UInt(bitPattern: raw)) { Goroutine.entry($0) }
            }, UnsafeMutableRawPointer(bitPattern: bits))
            gp.setStatus(.runnable)
            stats.goroutinesCreated.add(1, ordering: .relaxed)
            if let hook = hooks.onSpawn, let parent { hook(parent, gp) }
        }
        return bits
    }

    /// A dead goroutine (with its stack) from `p`'s free list, refilled from the global one
    /// in batches (Go's gfget), or a new goroutine without a stack. Runs on the M holding `p`.
    private func gfget(_ p: Processor) -> UInt {
        if p.gFree.isEmpty && gFreeGlobalCount.load(ordering: .relaxed) > 0 {
            allgLock.withLock {
                while p.gFree.count < 32, let b = gFreeGlobal.popLast() { p.gFree.append(b) }
                gFreeGlobalCount.store(gFreeGlobal.count, ordering: .relaxed)
            }
        }
        if let b = p.gFree.popLast() { return b }
        return newG()
    }

    /// `gfget` without a P (the main goroutine).
    private func gfgetNoP() -> UInt {
        let b = allgLock.withLock { () -> UInt? in
            defer { gFreeGlobalCount.store(gFreeGlobal.count, ordering: .relaxed) }
            return gFreeGlobal.popLast()
        }
        return b ?? newG()
    }

    /// Allocates a goroutine and records it in `allgs`, which keeps it alive.
    private func newG() -> UInt {
        let gp = Goroutine(sched: self)
        allgLock.withLock { allgs.append(gp) }
        return gBits(gp)
    }

    /// Finishes a goroutine on g0 (Go's goexit0): dead, caches it with its stack for reuse.
    func goexit0(_ g: Goroutine, _ m: Machine) {
        g.casStatus(from: .running, to: .dead)
        g.body = nil
        if g.collectorData != nil { g.collectorData = nil }
        liveGoroutines.subtract(1, ordering: .relaxed)
        if g === mainG {
            beginShutdown()
            return
        }
        if let pU = m.pU {
            pU._withUnsafeGuaranteedRef { p in
                p.gFree.append(gBits(g))
                if p.gFree.count > 64 {
                    allgLock.withLock {
                        while p.gFree.count > 32 { gFreeGlobal.append(p.gFree.removeLast()) }
                        gFreeGlobalCount.store(gFreeGlobal.count, ordering: .relaxed)
                    }
                }
            }
        } else {
            allgLock.withLock {
                gFreeGlobal.append(gBits(g))
                gFreeGlobalCount.store(gFreeGlobal.count, ordering: .relaxed)
            }
        }
    }

    // MARK: - Ps and Ms

    /// Requires lock.
    func pidleput(_ p: Processor) {
        precondition(p.runqEmpty || gcwaiting.load(ordering: .relaxed) || shuttingDown.load(ordering: .relaxed),
                     "pidleput: P\(p.id) has a non-empty run queue")
        if p.currentStatus != .gcstop { p.setStatus(.idle) }
        p.link = pidle
        pidle = p
        npidle.add(1, ordering: .sequentiallyConsistent)
    }

    /// Requires lock.
    func pidleget() -> Processor? {
        guard let p = pidle else { return nil }
        pidle = p.link
        p.link = nil
        npidle.subtract(1, ordering: .sequentiallyConsistent)
        return p
    }

    func acquirep(_ m: Machine, _ p: Processor) {
        precondition(m.p == nil && p.m == nil || p.m === m, "acquirep: M\(m.id) / P\(p.id) already bound")
        m.p = p
        p.m = m
        p.setStatus(.running)
    }

    @discardableResult
    func releasep(_ m: Machine) -> Processor {
        let p = m.p!
        p.m = nil
        m.p = nil
        p.setStatus(.idle)
        return p
    }

    /// Wakes an idle M, or starts a new one, to run `p` (or an idle P). Go's startm.
    func startm(_ p: Processor?, spinning: Bool) {
        lock.lock()
        var pp = p
        if pp == nil {
            pp = pidleget()
            if pp == nil {
                lock.unlock()
                if spinning { nmspinning.subtract(1, ordering: .sequentiallyConsistent) }
                return
            }
        }
        if let nmp = midle.popLast() {
            lock.unlock()
            nmp.spinning = spinning
            nmp.nextp = pp
            nmp.park.wakeup()
            return
        }
        if mcount >= config.maxThreads {
            lock.unlock()
            fail(.resourceLimit("too many threads: limit is \(config.maxThreads) (SchedulerConfig.maxThreads)"))
            return
        }
        let nmp = Machine(id: allm.count, sched: self)
        nmp.spinning = spinning
        nmp.nextp = pp
        mcount += 1
        allm.append(nmp)
        liveThreads.add(1, ordering: .acquiringAndReleasing)
        lock.unlock()
        nmp.startThread()
    }

    /// Parks `m` until startm hands it a P. Returns false at shutdown. Go's stopm.
    func stopm(_ m: Machine) -> Bool {
        precondition(m.p == nil, "stopm: M\(m.id) holds P\(m.p?.id ?? -1)")
        while true {
            if shuttingDown.load(ordering: .acquiring) { return false }
            lock.lock()
            midle.append(m)
            checkdead()
            lock.unlock()
            let timeout = timers.nextDeadline().map { max(0, $0 - nanotime()) } ?? -1
            let woke = m.park.sleep(timeoutNS: timeout)
            if shuttingDown.load(ordering: .acquiring) {
                lock.withLock { midle.removeAll { $0 === m } }
                return false
            }
            if !woke {
                // Timed out for a timer: if nobody claimed us, take an idle P ourselves.
                lock.lock()
                if let i = midle.firstIndex(where: { $0 === m }) {
                    midle.remove(at: i)
                    let pp = pidleget()
                    lock.unlock()
                    if let pp {
                        acquirep(m, pp)
                        return true
                    }
                    continue
                }
                lock.unlock()
                m.park.sleep()  // startm picked us concurrently: its wake-up is on the way
            }
            m.park.clear()
            if shuttingDown.load(ordering: .acquiring) { return false }
            guard let np = m.nextp else { continue }
            m.nextp = nil
            acquirep(m, np)
            return true
        }
    }

    /// Starts a spinning M if there is an idle P and nobody is spinning. Go's wakep.
    func wakep() {
        if npidle.load(ordering: .sequentiallyConsistent) == 0 { return }
        if nmspinning.load(ordering: .sequentiallyConsistent) != 0
            || !nmspinning.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged {
            return
        }
        startm(nil, spinning: true)
    }

    func resetSpinning(_ m: Machine) {
        m.spinning = false
        let n = nmspinning.subtract(1, ordering: .sequentiallyConsistent).newValue
        precondition(n >= 0, "resetspinning: negative nmspinning")
        // The last spinning M found work: start another to keep looking (Go's resetspinning).
        wakep()
    }

    /// Hands off `p` from an M that is blocking or stopping (Go's handoffp).
    func handoffp(_ p: Processor) {
        if !p.runqEmpty || runqsize != 0 {
            startm(p, spinning: false)
            return
        }
        if nmspinning.load(ordering: .sequentiallyConsistent) + npidle.load(ordering: .sequentiallyConsistent) == 0
            && nmspinning.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent).exchanged {
            startm(p, spinning: true)
            return
        }
        lock.lock()
        if gcwaiting.load(ordering: .acquiring) {
            p.setStatus(.gcstop)
            stopwait -= 1
            if stopwait == 0 { stopNote.wakeup() }
            lock.unlock()
            return
        }
        if runqsize != 0 {
            lock.unlock()
            startm(p, spinning: false)
            return
        }
        pidleput(p)
        lock.unlock()
    }

    // MARK: - Deadlock detection (Go's checkdead)

    /// Requires lock. Called when an M parks: if no M is running and nothing can wake a
    /// goroutine, the program is deadlocked. Every wake-up comes from a running M, from a
    /// timer (pending in the heap, or moved to a queue under this lock), or from a thread
    /// counted in `wakesInFlight`; the rules that make this complete are in
    /// FindRunnable.swift's opening comment.
    func checkdead() {
        if shuttingDown.load(ordering: .relaxed) || failure != nil { return }
        let running = mcount - midle.count + wakesInFlight.load(ordering: .sequentiallyConsistent)
        if running > 0 { return }
        if runqsize > 0 || timers.count > 0 { return }
        for p in allp where !p.runqEmpty { return }
        let report = goroutineReport()
        failure = .deadlock(report)
        shuttingDown.store(true, ordering: .releasing)
        exitNote.wakeup()
    }

    /// One line per live goroutine, Go's traceback header shape: `goroutine 7 [chan receive]:`.
    /// System goroutines (a collector's workers) follow, marked `system`, after a blank line.
    public func goroutineReport() -> String {
        var lines: [String] = [], system: [String] = []
        allgLock.withLock {
            for g in allgs.sorted(by: { $0.id < $1.id }) {
                let st = g.currentStatus
                if st == .dead || st == .idle { continue }
                let what = st == .waiting ? g.waitReason.rawValue : st.description
                if g.isSystem { system.append("goroutine \(g.id) [\(what), system]:") } else {
                    lines.append("goroutine \(g.id) [\(what)]:")
                }
            }
        }
        return (lines + (system.isEmpty ? [] : [""] + system)).joined(separator: "\n")
    }

    // MARK: - Seams for a collector

    /// Calls `body` for every goroutine that exists (including dead, reusable ones; check
    /// `currentStatus`). Take care: goroutines may start or stop concurrently unless the
    /// world is stopped.
    public func forEachGoroutine(_ body: (Goroutine) -> Void) {
        let gs = allgLock.withLock { allgs }
        for g in gs { body(g) }
    }

    /// Number of goroutines created and not yet exited.
    public var goroutineCount: Int { liveGoroutines.load(ordering: .relaxed) }

    /// Milliseconds since this scheduler was created.
    var uptimeMS: Int64 { (nanotime() - startTime) / 1_000_000 }
}

/// Callbacks a layer above the scheduler installs before `run` (GMP itself knows nothing
/// of garbage collection).
public struct SchedulerHooks: @unchecked Sendable {
    /// Called on the parent goroutine when it creates `child`, before the child can run.
    public var onSpawn: ((_ parent: Goroutine, _ child: Goroutine) -> Void)?
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
    public let syscallRetakes = Atomic<Int>(0)
    public let worldStops = Atomic<Int>(0)
    /// Total and maximum stop-the-world pause, nanoseconds.
    public let stwTotalNS = Atomic<Int64>(0)
    public let stwMaxNS = Atomic<Int64>(0)
    init() {}
}

/// Stops the program with a message naming the broken invariant.
func fatal(_ message: String, file: StaticString = #file, line: UInt = #line) -> Never {
    tc_write_stderr("fatal error: \(message)\n")
    fatalError(message, file: file, line: line)
}
