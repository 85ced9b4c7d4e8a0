import CContext
import Synchronization

// sysmon: the system monitor (Go's sysmon, proc.go). A thread with no P that wakes every
// 20 us, backing off to 10 ms after 50 ticks in which it neither fired a timer nor retook a
// P, and:
//   * retakes Ps from goroutines stuck in syscalls (so their run queues keep running);
//   * asks goroutines that have run for longer than `preemptAfterNS` (10 ms) without
//     rescheduling to yield at their next safe point (cooperative preemption: a loop with
//     no safe point cannot be preempted, as in Go before 1.14);
//   * fires timers that expired 1 ms ago and that no M has fired (at once when every P is
//     idle; Time/TimerHeap.swift lists every place timers fire);
//   * polls the network when nobody has for 10 ms (Net/Scheduler+Netpoll.swift);
//   * prints the schedtrace line and calls the collector's tick hook (forced GC).
// It learns that a P made progress by comparing `schedtick` / `syscalltick` with the
// values it saw last time (its private `SysmonTick` per P).

struct SysmonTick {
    var schedtick: UInt32 = 0
    var schedwhen: Int64 = 0
    var syscalltick: UInt32 = 0
    var syscallwhen: Int64 = 0
}

extension Scheduler {
    func startSysmon() {
        liveThreads.add(1, ordering: .acquiringAndReleasing)
        let arg = Unmanaged.passRetained(self).toOpaque()
        let r = tc_thread_start({ raw in
            let s = Unmanaged<Scheduler>.fromOpaque(raw!).takeRetainedValue()
            s.sysmon()
        }, arg)
        if r != 0 {
            Unmanaged<Scheduler>.fromOpaque(arg).release()
            liveThreads.subtract(1, ordering: .acquiringAndReleasing)
        }
    }

    private func sysmon() {
        var ticks = [SysmonTick](repeating: SysmonTick(), count: procs)
        var idle = 0
        var delay: UInt32 = 20
        var lastTrace = nanotime()
        while !shuttingDown.load(ordering: .acquiring) {
            if idle == 0 { delay = 20 } else if idle > 50 { delay = min(delay * 2, 10_000) }
            tc_usleep(delay)
            if shuttingDown.load(ordering: .acquiring) { break }
            let now = nanotime()
            var acted = injectTimers(now: now)
            // A poll that readied goroutines does not reset the back-off (Go: only retake
            // does): `lastPoll` lets sysmon poll once per 10 ms at most, so 20 us ticks after
            // one are wasted wake-ups, and in a busy IO server they came every 10 ms.
            _ = sysmonNetpoll(now: now)
            if retake(now: now, &ticks) > 0 { acted = true }
            idle = acted ? 0 : idle + 1
            if config.schedtraceMS > 0 && now - lastTrace >= Int64(config.schedtraceMS) * 1_000_000 {
                lastTrace = now
                tc_write_stderr(schedtraceLine() + "\n")
            }
            hooks.sysmonTick?(now)
        }
        mExited()
    }

    /// Fires the timers of a P whose M left them 1 ms overdue, or every due timer when all
    /// Ps are idle (Go's sysmon "poll network if not polled for more than 10ms" and timer
    /// check). The goroutines they ready go to the global queue with an M started for each
    /// (`fireTimersNoP` keeps `checkdead` informed).
    private func injectTimers(now: Int64) -> Bool {
        let grace: Int64 = npidle.load(ordering: .relaxed) == procs ? 0 : 1_000_000
        return fireTimersNoP(now: now, grace: grace) > 0
    }

    /// Go's retake: preempt long-running goroutines, take Ps back from syscalls.
    private func retake(now: Int64, _ ticks: inout [SysmonTick]) -> Int {
        var n = 0
        for (i, p) in allp.enumerated() {
            let s = p.currentStatus
            if s == .running || s == .syscall {
                let t = p.schedtick.load(ordering: .relaxed)
                if ticks[i].schedtick != t {
                    ticks[i].schedtick = t
                    ticks[i].schedwhen = now
                } else if ticks[i].schedwhen + config.preemptAfterNS <= now {
                    preemptone(p)
                    ticks[i].schedwhen = now
                }
            }
            if s == .syscall {
                let t = p.syscalltick.load(ordering: .relaxed)
                if ticks[i].syscalltick != t {
                    ticks[i].syscalltick = t
                    ticks[i].syscallwhen = now
                    continue
                }
                if retakeSyscall(p, long: ticks[i].syscallwhen + config.syscallRetakeNS <= now) { n += 1 }
            }
        }
        return n
    }

    /// Takes `p`, in a syscall for at least one sysmon tick, from its M and hands it off
    /// (Go's retake, the syscall half), unless there is no other work and someone could
    /// pick up new work, and the syscall is not `long` yet. True if it was retaken.
    /// `SchedulerLab`'s `retake P` calls this with `long` false.
    func retakeSyscall(_ p: Processor, long: Bool) -> Bool {
        if p.runqEmpty && nmspinning.load(ordering: .sequentiallyConsistent) + npidle.load(ordering: .sequentiallyConsistent) > 0
            && !long {
            return false
        }
        guard p.casStatus(.syscall, .idle) else { return false }
        p.syscalltick.add(1, ordering: .relaxed)
        stats.syscallRetakes.add(1, ordering: .relaxed)
        handoffp(p)
        return true
    }

    /// Asks the goroutine running on `p` to yield at its next safe point.
    @discardableResult
    func preemptone(_ p: Processor) -> Bool {
        guard let g = p.curg.load(ordering: .relaxed), g != stwOwner.load(ordering: .relaxed) else { return false }
        g.withGoroutine { $0.preempt.store(true, ordering: .relaxed) }
        return true
    }

    func preemptall() {
        for p in allp where p.currentStatus == .running { preemptone(p) }
    }

    /// Go's schedtrace line:
    /// `SCHED 12ms: gomaxprocs=2 idleprocs=1 threads=4 spinningthreads=0 idlethreads=1 runqueue=0 [0 3]`.
    public func schedtraceLine() -> String {
        let (threads, idleThreads, runq) = lock.withLock { (mcount + (det == nil ? 1 : 0), midle.count, runqsize) }
        let local = allp.map { String($0.runqSize) }.joined(separator: " ")
        return "SCHED \(uptimeMS)ms: gomaxprocs=\(procs) idleprocs=\(npidle.load(ordering: .relaxed)) "
            + "threads=\(threads) spinningthreads=\(nmspinning.load(ordering: .relaxed)) "
            + "idlethreads=\(idleThreads) runqueue=\(runq) [\(local)]"
    }
}
