import CContext
import Synchronization

// The goroutine side of the scheduler: `go`, the current goroutine, entry and exit,
// yielding, safe points, parking, sleeping, panics.
//
// Every way a goroutine leaves the CPU is a switch to g0 with a `PendingAction` recorded on
// the M (`mcall(action)`; `tc_switch_final` for exit and abandonment), and g0 carries it out
// after this goroutine's registers are saved (Machine.swift, `finishSwitch`). When
// `mcall` returns the goroutine may be on another M and another thread, so nothing read
// from thread-local state before the call may be used after it.

/// Starts a new goroutine running `body` (Go's `go` statement). Must be called from a
/// goroutine. The new goroutine runs next on this P (runnext) and inherits its time slice.
/// If `body` throws, the whole program stops as if the goroutine panicked.
public func go(_ body: @Sendable @escaping () throws -> Void) {
    guard let me = GoroutineRef.current else {
        preconditionFailure("go() called outside a goroutine: start goroutines inside Scheduler.run { ... }")
    }
    me.withGoroutine { g in
        g.schedU._withUnsafeGuaranteedRef { $0.spawn(body, parent: g) }
    }
    // `go` is a safe point (after the child exists), as a function call is in Go before
    // 1.14: a loop that only spawns must not hold off a stop-the-world.
    Goroutine.safePoint()
}

/// Like `go(_:)`, but calls `prepare` with the new goroutine before it can run (on the
/// parent, so the child's roots can be filled in race-free: a collector uses it to hand
/// Refs from the parent's stack to the child's).
public func go(prepare: (Goroutine) -> Void, _ body: @Sendable @escaping () throws -> Void) {
    guard let me = GoroutineRef.current else {
        preconditionFailure("go() called outside a goroutine: start goroutines inside Scheduler.run { ... }")
    }
    withoutActuallyEscaping(prepare) { prepare in
        me.withGoroutine { g in
            g.schedU._withUnsafeGuaranteedRef { $0.spawn(body, parent: g, prepare: prepare) }
        }
    }
    Goroutine.safePoint()
}

extension Scheduler {
    /// The scheduler side of `go`, on the parent goroutine `g`: create the child, let
    /// `prepare` see it, put it in runnext of the parent's P and wake an idle P (`wakep`).
    func spawn(_ body: @escaping () throws -> Void, parent g: Goroutine, prepare: ((Goroutine) -> Void)? = nil) {
        let ng: GoroutineRef
        do {
            ng = try newGoroutine(body, parent: g)
        } catch {
            Goroutine.fail(g, error)
        }
        if let prepare { ng.withGoroutine(prepare) }
        publish(ng, parent: g)
        if deterministic {
            det!.makeRunnable(ng.goroutine)
            return
        }
        g.mU.unsafelyUnwrapped._withUnsafeGuaranteedRef { m in
            m.pU.unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.runqput(ng, next: true) }
        }
        wakep()
    }
}

extension Goroutine {
    /// The goroutine running the calling code, or nil on a thread that is not running one.
    @inline(__always) public static var current: Goroutine? { GoroutineRef.current?.goroutine }

    /// The calling goroutine; a clear error when called elsewhere.
    @inline(__always) static func mustCurrent(_ api: StaticString) -> Goroutine {
        guard let g = current else { notAGoroutine(api) }
        return g
    }

    /// Calls `body` with the calling goroutine, borrowed (no retain/release: the goroutine
    /// is running, so it is alive); a clear error when called elsewhere. The hot-path
    /// spelling of `mustCurrent`.
    @inlinable @inline(__always)
    static func withCurrent<R>(_ api: StaticString, _ body: (Goroutine) throws -> R) rethrows -> R {
        guard let me = GoroutineRef.current else { notAGoroutine(api) }
        return try me.withGoroutine(body)
    }

    @usableFromInline @inline(never)
    static func notAGoroutine(_ api: StaticString) -> Never {
        preconditionFailure("\(api) must be called from a goroutine (inside Scheduler.run { ... }), "
            + "not from a plain thread: it parks the goroutine, never the thread")
    }

    /// First code on a new goroutine's stack.
    static func entry(_ g: Goroutine) {
        runBody(g)
        // Go's goexit1: switch to g0 for good. This frame is never unwound, so nothing it
        // holds is ever released: the body and what it captured live only in `runBody`'s
        // frame, which has returned.
        g.mU.unsafelyUnwrapped._withUnsafeGuaranteedRef { m in
            m.pending = .exit
            tc_switch_final(g.context, m.g0)
        }
    }

    /// Runs the goroutine's body and releases it (and everything it captured) on return.
    @inline(never)
    private static func runBody(_ g: Goroutine) {
        let body = g.body!
        g.body = nil
        do {
            try body()
        } catch {
            fail(g, error)
        }
    }

    /// Switches to g0 asking it to perform `action` (Go's mcall). The M is borrowed only up
    /// to the switch: after it, this goroutine may be running on another M.
    @inline(__always)
    func mcall(_ action: PendingAction) {
        let g0 = mU.unsafelyUnwrapped._withUnsafeGuaranteedRef { m in
            if m.onSystemStack {
                fatal("goroutine \(id) tried to block or yield on the system stack (inside Goroutine.onSystemStack)")
            }
            m.pending = action
            return m.g0
        }
        tc_switch(context, g0)
    }

    /// Yields the processor: the goroutine goes to the global run queue and others run
    /// (Go's runtime.Gosched). Also a safe point. In deterministic mode, the strategy picks
    /// the next goroutine.
    public static func yield() {
        withCurrent("Goroutine.yield()") { g in
            let (down, det) = g.schedU._withUnsafeGuaranteedRef {
                ($0.shuttingDown.load(ordering: .relaxed), $0.deterministic)
            }
            if down { g.abandon() }
            if det {
                g.sched.det!.step(g, forceSwitch: true)
                return
            }
            g.mcall(.yield)
        }
    }

    /// A safe point: the scheduler may preempt here (sysmon's 10 ms time slice, a stop of
    /// the world, a collector's stack scan) and, in deterministic mode, switch to another
    /// goroutine. Library calls that block, allocate or write pointers call it; a loop with
    /// no such call cannot be preempted (as in Go before 1.14), so call it in long loops.
    @inlinable @inline(__always)
    public static func safePoint() {
        guard let me = GoroutineRef.current else { return }
        me.withGoroutine { $0.safePointCheck() }
    }

    /// Whether the calling goroutine has been asked to stop at its next safe point (sysmon's
    /// time slice, a stop of the world, a stack scan). A long loop that cannot reach a safe
    /// point where it is (collector work on the system stack) polls this and returns early,
    /// as Go's gcDrain polls `gp.preempt`. False outside a goroutine. Relaxed: a hint.
    public static var preemptRequested: Bool {
        guard let me = GoroutineRef.current else { return false }
        return me.withGoroutine { $0.preempt.load(ordering: .relaxed) }
    }

    /// `safePoint` for a goroutine already in hand (saves the thread-local lookup).
    @inlinable @inline(__always)
    func safePointCheck() {
        if preempt.load(ordering: .relaxed)
            || schedU._withUnsafeGuaranteedRef({ $0.deterministic || $0.shuttingDown.load(ordering: .relaxed) }) {
            slowSafePoint()
        }
    }

    @usableFromInline @inline(never)
    func slowSafePoint() {
        // Code on the system stack is not preemptible (Goroutine+SystemStack.swift).
        if mU.unsafelyUnwrapped._withUnsafeGuaranteedRef({ $0.onSystemStack }) { return }
        if sched.shuttingDown.load(ordering: .acquiring) { abandon() }
        if sched.stwOwner.load(ordering: .relaxed) == ref {
            preempt.store(false, ordering: .relaxed)
            return
        }
        if preempt.load(ordering: .relaxed) {
            preempt.store(false, ordering: .relaxed)
            if preemptStop.exchange(false, ordering: .acquiringAndReleasing) {
                mcall(.preemptStop)
                return
            }
            sched.stats.preemptions.add(1, ordering: .relaxed)
            mcall(.preempted)
            return
        }
        if let det = sched.det { det.step(self, forceSwitch: false) }
    }

    /// Parks the calling goroutine in `.waiting` for `reason`; g0 releases `lock` (if any)
    /// after the switch, so a waker that takes the lock sees the goroutine fully parked.
    /// Returns once it is made runnable again (`Scheduler.ready`, or an `onIdle` hook that
    /// claimed it from a `ParkingSpot`).
    @usableFromInline @inline(__always)
    func park(_ reason: WaitReason, unlocking lock: UnsafeMutablePointer<tc_lock>?) {
        waitReason = reason
        mcall(.park(lock))
        waitReason = .none
        if schedU._withUnsafeGuaranteedRef({ $0.shuttingDown.load(ordering: .acquiring) }) { abandon() }
    }

    func parkMany(_ reason: WaitReason, unlocking locks: [UnsafeMutablePointer<tc_lock>]) {
        waitReason = reason
        // The buffer stays valid while parked: this frame holds the array until it returns.
        locks.withUnsafeBufferPointer { mcall(.parkMany($0)) }
        waitReason = .none
        if sched.shuttingDown.load(ordering: .acquiring) { abandon() }
    }

    /// Leaves this goroutine for good during shutdown.
    @inline(never)
    func abandon() -> Never {
        let g0 = mU.unsafelyUnwrapped._withUnsafeGuaranteedRef { m in
            m.pending = .abandon
            return m.g0
        }
        tc_switch_final(context, g0)
        fatal("abandoned goroutine \(id) resumed")
    }

    /// Sleeps the goroutine (not the thread) for `nanoseconds` (scheduler clock: virtual
    /// time in deterministic mode).
    public static func sleep(nanoseconds: Int64) {
        let g = mustCurrent("Goroutine.sleep")
        if nanoseconds <= 0 {
            yield()
            return
        }
        let when = g.sched.now() + nanoseconds
        g.waitReason = .sleep
        g.mcall(.parkTimer(when))
        g.waitReason = .none
        if g.sched.shuttingDown.load(ordering: .acquiring) { g.abandon() }
    }

    /// Sleeps the goroutine for `duration`.
    public static func sleep(for duration: Duration) {
        let (s, atto) = duration.components
        sleep(nanoseconds: s * 1_000_000_000 + atto / 1_000_000_000)
    }

    /// Stops the program like an unrecovered Go panic: `Scheduler.run` throws
    /// `SchedulerError.panic` naming this goroutine. Never returns.
    public static func panic(_ message: String) -> Never {
        let g = mustCurrent("Goroutine.panic")
        g.sched.reportPanic(g, message)
        g.abandon()
    }

    static func fail(_ g: Goroutine, _ error: Error) -> Never {
        if let e = error as? SchedulerError, case .resourceLimit = e {
            tc_write_stderr("\(e)\n")
            g.sched.fail(e)
        } else {
            g.sched.reportPanic(g, "\(error)")
        }
        g.abandon()
    }
}
