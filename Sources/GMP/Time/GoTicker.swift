import CContext

// Go's time.Ticker (time/tick.go) on a periodic runtime timer (TimerHeap.swift).

/// Delivers the time on `C` every period (Go's time.Ticker). `C` holds one tick: a reader
/// slower than the period gets the latest undelivered tick and the rest are dropped, as in
/// Go, and the ticker stays on its period (missed periods are skipped, not replayed).
///
/// ```swift
/// let tick = GoTicker(every: .milliseconds(10))
/// defer { tick.stop() }
/// for _ in 0..<3 { _ = tick.C.receive() }
/// ```
///
/// Create it from a goroutine; it goes on the heap of that goroutine's P. An armed ticker
/// counts as a pending timer, so a program waiting only on a ticker is not deadlocked.
public final class GoTicker: @unchecked Sendable {
    /// The ticks (Go's t.C), capacity 1.
    public let C: Channel<TimerTick>
    let rt: RuntimeTimer
    let sched: Scheduler

    /// Starts a ticker firing every `period` (Go's time.NewTicker). A period of zero or
    /// less panics (the run ends with "non-positive interval for NewTicker", as in Go).
    public init(every period: Duration) {
        let c = Channel<TimerTick>(capacity: 1)
        C = c
        rt = RuntimeTimer(.send(c))
        sched = Goroutine.mustCurrent("GoTicker(every:)").sched
        arm(period, "non-positive interval for NewTicker")
    }

    /// Arms the ticker on the calling goroutine's P; the caller holds `rt.modLock` or is
    /// the initializer.
    private func arm(_ period: Duration, _ misuse: String) {
        let p = Scheduler.timerProcessor(Goroutine.mustCurrent("GoTicker"), "GoTicker")
        let ns = period.nanosecondsClamped
        if ns <= 0 { Goroutine.panic(misuse) }
        sched.addTimer(rt, when: sched.now().addingClamped(ns), period: ns, on: p, wake: true)
    }

    /// Turns the ticker off (Go's Ticker.Stop): no more ticks are sent. Does not close or
    /// drain `C`.
    public func stop() {
        rt.modLock.withLock { _ = sched.stopTimer(rt) }
    }

    /// Stops the ticker and restarts it with `period`; the next tick comes one new period
    /// from now (Go's Ticker.Reset). A period of zero or less panics, as in Go.
    public func reset(_ period: Duration) {
        if period.nanosecondsClamped <= 0 { Goroutine.panic("non-positive interval for Ticker.Reset") }
        rt.modLock.withLock {
            _ = sched.stopTimer(rt)
            arm(period, "non-positive interval for Ticker.Reset")
        }
    }
}
