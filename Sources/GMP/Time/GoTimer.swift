import CContext

// Go's time.Timer, time.After and time.AfterFunc (time/sleep.go) on the runtime timers of
// TimerHeap.swift. Named `GoTimer` (like `GoMutex`) so that a file importing Foundation
// as well still has an unambiguous name.

/// A single event (Go's time.Timer): when it expires, the firing time is sent on `C`,
/// unless it was made by `afterFunc`, which runs a function on its own goroutine instead.
///
/// ```swift
/// let t = GoTimer(after: .milliseconds(50))
/// Select.run {
///     $0.receive(from: work) { job in handle(job) }
///     $0.receive(from: t.C) { _ in print("timed out") }
/// }
/// if !t.stop() { /* already fired: a tick may be waiting in t.C */ }
/// ```
///
/// Create and use timers from goroutines: a timer goes on the heap of the calling
/// goroutine's P (Go's per-P timers), and firing readies a receiver like any send. `stop`
/// and `reset` may be called from any goroutine, concurrently. Deadlines are on the
/// scheduler clock (`Scheduler.now()`), which is virtual in deterministic mode: there a
/// timer fires exactly when the virtual clock reaches its deadline.
public final class GoTimer: @unchecked Sendable {
    /// Where the firing time is delivered (Go's t.C): capacity 1, sent without blocking,
    /// so a tick nobody received stays until someone does. A timer from `afterFunc` sends
    /// nothing on it (Go's C is nil there: receiving blocks forever).
    public let C: Channel<TimerTick>
    let rt: RuntimeTimer
    let sched: Scheduler

    /// Starts a timer that sends the time on `C` after `duration` (Go's time.NewTimer); a
    /// duration of zero or less fires at the next look. Must be called from a goroutine.
    public convenience init(after duration: Duration) {
        let c = Channel<TimerTick>(capacity: 1)
        self.init(RuntimeTimer(.send(c)), channel: c, "GoTimer(after:)")
        arm(duration)
    }

    init(_ rt: RuntimeTimer, channel: Channel<TimerTick>, _ api: StaticString) {
        self.rt = rt
        C = channel
        sched = Goroutine.mustCurrent(api).sched
    }

    /// Arms the timer on the calling goroutine's P; the caller holds `rt.modLock` or is
    /// the initializer (no one else sees `rt` yet).
    func arm(_ duration: Duration) {
        let p = Scheduler.timerProcessor(Goroutine.mustCurrent("GoTimer"), "GoTimer")
        sched.addTimer(rt, when: sched.now().addingClamped(duration.nanosecondsClamped), period: 0, on: p, wake: true)
    }

    /// Prevents the timer from firing (Go's Timer.Stop). Returns true if this call stopped
    /// it, false if it had already fired or been stopped. Does not drain `C`: a tick sent
    /// before the stop is still there (`if !t.stop() { _ = t.C.tryReceive() }`). For an
    /// `afterFunc` timer, false means the function has been started.
    @discardableResult
    public func stop() -> Bool {
        rt.modLock.withLock { sched.stopTimer(rt) }
    }

    /// Re-arms the timer to fire after `duration` (Go's Timer.Reset); returns true if it
    /// was still armed. As in Go 1.19, reset a stopped or fired timer whose channel is
    /// drained, or a stale tick may be received after the reset.
    @discardableResult
    public func reset(_ duration: Duration) -> Bool {
        rt.modLock.withLock {
            let wasArmed = sched.stopTimer(rt)
            arm(duration)
            return wasArmed
        }
    }
}

/// Runs `body` on its own goroutine after `duration` (Go's time.AfterFunc). The returned
/// timer's `stop` cancels it if it has not started. Must be called from a goroutine.
public func afterFunc(_ duration: Duration, _ body: @escaping @Sendable () -> Void) -> GoTimer {
    let t = GoTimer(RuntimeTimer(.spawn(body)), channel: Channel<TimerTick>(capacity: 1), "afterFunc")
    t.arm(duration)
    return t
}

/// A channel that receives the time once, after `duration` (Go's time.After): for a
/// select with a timeout. Until it fires the timer stays armed; when the deadline is not
/// reached, `GoTimer(after:)` with `stop()` releases it earlier. Must be called from a
/// goroutine.
public func after(_ duration: Duration) -> Channel<TimerTick> {
    GoTimer(after: duration).C
}

extension Duration {
    /// Whole nanoseconds, clamped to Int64 (durations past ~292 years saturate).
    var nanosecondsClamped: Int64 {
        let (s, atto) = components
        let (ns, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? .min : .max }
        return ns.addingClamped(atto / 1_000_000_000)
    }
}

extension Int64 {
    /// `self + d`, saturating at Int64.min/max (Go's `when` clamps a far deadline to MaxInt64).
    func addingClamped(_ d: Int64) -> Int64 {
        let (r, overflow) = addingReportingOverflow(d)
        return overflow ? (d > 0 ? .max : .min) : r
    }
}
