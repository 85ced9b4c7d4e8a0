import CContext
import Synchronization

// Deadlock detection (Go's checkdead, proc.go) and the goroutine report it prints.
//
// Every M that parks calls `checkdead` under `lock` (stopm). If no M is running and nothing
// can wake a goroutine, the program is deadlocked: the run fails with Go's "all goroutines
// are asleep" and a list of goroutines and what each waits for. The check is complete only
// because no wake-up can come from anywhere it does not look. By these rules:
//   * A readier holding a P puts the goroutine on that P's queue; the P's own M will run
//     it, and `wakep` only adds parallelism.
//   * A readier without a P (sysmon firing timers, a thread in a syscall, a plain thread
//     calling `Parker.unpark`) puts it on the global queue under `lock` and starts an M on
//     an idle P itself (`startIdle`): it does not rely on a spinning M, which may have looked
//     already. From taking the goroutine out of its wait structure until it is queued, such
//     a readier is either under `lock` or counted in `wakesInFlight`, which `checkdead`
//     counts as a running M.
//   * Channels, GoMutex, WaitGroup, select and ParkingSpot wake only from goroutines (on
//     running Ms) or, for ParkingSpot, from `onIdle` on an M holding a P; the collector's
//     sweeper, workers and coordinator wait on those primitives, so their wake-ups follow
//     the rules above.
//   * An M idles its P under `lock`, after seeing the global queue empty there (one
//     exception, in `recheckAfterSpinning`, is noted there).
//   * An M that was spinning looks again, *after* leaving the spinning state, at every run
//     queue, the global queue and idle-priority work (`recheckAfterSpinning`): work
//     submitted by a readier that saw nmspinning > 0 (and so woke nobody) is picked up.
//   * Expired timers are fired either by an M holding a P (`checkTimers`: that M is not
//     idle) or by a thread without one counted in `wakesInFlight` (`fireTimersNoP`: sysmon,
//     or an M whose timed park found every P busy), and an idle M sleeps no longer than the
//     earliest deadline; so while a timer is pending, on a heap or in flight, `checkdead`
//     sees it.
//   * While a goroutine waits in IO (Net/), an M blocked in epoll_wait is not idle, and
//     sysmon polls within 10 ms; `checkdead` does not report it (Go does not either).
// Scheduler+Handoff.swift explains the hand-off rules these build on.

extension Scheduler {
    /// Requires lock. Called when an M parks: if no M is running and nothing can wake a
    /// goroutine, the program is deadlocked (the rules that make this complete are in this
    /// file's opening comment).
    func checkdead() {
        if shuttingDown.load(ordering: .relaxed) || failure != nil { return }
        // Timers before `wakesInFlight`: a thread firing timers without a P raises
        // `wakesInFlight` before a timer leaves its heap (both sequentially consistent), so
        // a heap seen empty here means that raise is visible below, or its goroutine was
        // queued under `lock` (which this M holds) before.
        if runqsize > 0 || timersPending { return }
        // Goroutines in IO wait are not deadlocked: the poller (an M in epoll_wait, or
        // sysmon within 10 ms) may still wake them (Go: its polling M is not idle).
        if net.waiters > 0 { return }
        for p in allp where !p.runqEmpty { return }
        let running = mcount - midle.count + wakesInFlight.load(ordering: .sequentiallyConsistent)
        if running > 0 { return }
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
}
