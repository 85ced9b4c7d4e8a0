import CContext
import Synchronization

// Finding work (Go's findRunnable, proc.go).
//
// An M with a P looks, in order: (0) its P's due timers (checkTimers); (1) every 61st
// schedule, one goroutine from the global queue first, so a busy local queue cannot starve
// it; (2) the local queue (runnext first); (3) the global queue, taking a fair batch
// (globrunqget); (4) the due timers of the other Ps, the network without blocking, then
// steal: four rounds over the other Ps in random order taking half of a victim's queue,
// runnext only in the last round; (5) idle-priority work from `SchedulerHooks.onIdle`. Only some Ms may spin (look for work
// in other Ps) at once: a non-spinning M becomes spinning only while 2 x spinning < busy
// Ps, which bounds the CPU wasted on futile stealing. Finding nothing, the M idles its P
// under `lock`, drops the spinning state, looks once more (`recheckAfterSpinning`) and
// parks (`stopm`), or, while goroutines wait in IO, one such M blocks in the netpoller. Why each step is needed for no wake-up to be lost is in
// Scheduler+Handoff.swift and Scheduler+Checkdead.swift.

extension Scheduler {
    /// Returns the next goroutine for `m` and whether it inherits the time slice, parking
    /// the M while there is no work; nil at shutdown. The common cases (local queue, global
    /// queue) are looked up here without leaving the borrowed P; anything else, including
    /// every case that needs the full loop (stop the world, shutdown, stealing, parking),
    /// goes through `findRunnableSlow`, which repeats the same checks in the same order.
    @inline(__always)
    func findRunnable(_ m: Machine) -> (g: GoroutineRef, inheritTime: Bool)? {
        if !deterministic && !gcwaiting.load(ordering: .acquiring) && !shuttingDown.load(ordering: .acquiring),
           let pU = m.pU {
            let r = pU._withUnsafeGuaranteedRef { p -> (g: GoroutineRef, inheritTime: Bool)? in
                if p.timers.earliest.load(ordering: .relaxed) != .max { checkTimers(p, now: nanotime()) }
                if p.schedtick.load(ordering: .relaxed) % 61 == 0 && runqsize > 0 {
                    lock.lock()
                    let g = globrunqget(p, max: 1)
                    lock.unlock()
                    if let g { return (g, false) }
                }
                if let r = p.runqget() { return r }
                if runqsize != 0 {
                    lock.lock()
                    let g = globrunqget(p, max: 0)
                    lock.unlock()
                    if let g { return (g, false) }
                }
                return nil
            }
            if r != nil { return r }
        }
        return findRunnableSlow(m)
    }

    /// The full `findRunnable` loop (or deterministic mode's choice), for `m`.
    func findRunnableSlow(_ m: Machine) -> (g: GoroutineRef, inheritTime: Bool)? {
        if det != nil { return detFindRunnable(m) }
        top: while true {
            if shuttingDown.load(ordering: .acquiring) { return nil }
            guard let p = m.p else {
                if !stopm(m) { return nil }
                continue top
            }
            if gcwaiting.load(ordering: .acquiring) {
                gcstopm(m)
                continue top
            }
            if p.timers.earliest.load(ordering: .relaxed) != .max { checkTimers(p, now: nanotime()) }
            if p.schedtick.load(ordering: .relaxed) % 61 == 0 && runqsize > 0 {
                let g = lock.withLock { globrunqget(p, max: 1) }
                if let g { return (g, false) }
            }
            if let r = p.runqget() { return r }
            if runqsize != 0 {
                let g = lock.withLock { globrunqget(p, max: 0) }
                if let g { return (g, false) }
            }
            // Timers due on other Ps (idle ones, or ones whose M is busy) fire onto this P.
            if nextTimerDeadline() != nil {
                checkOtherTimers(p, now: nanotime())
                if let r = p.runqget() { return r }
            }
            // Goroutines whose sockets became ready come onto this P (Net/).
            if let g = netpollNonBlocking() { return (g, false) }
            let busy = procs - npidle.load(ordering: .sequentiallyConsistent)
            let spinners = nmspinning.load(ordering: .sequentiallyConsistent)
            let spin = Self.maySpin(alreadySpinning: m.spinning, spinning: spinners, busy: busy)
            lab?.spinDecision(m: m.id, allowed: spin, spinning: spinners, busy: busy)
            if spin {
                if !m.spinning {
                    m.spinning = true
                    nmspinning.add(1, ordering: .sequentiallyConsistent)
                }
                if let g = stealWork(m, p) {
                    stats.steals.add(1, ordering: .relaxed)
                    return (g, false)
                }
            }
            // Nothing to run: offer the P to a layer above for idle-time work (Go runs an
            // idle-priority GC mark worker here, gcBlackenEnabled && gcMarkWorkAvailable).
            if let idle = hooks.onIdle, let g = idle(p) {
                g.casStatus(from: .waiting, to: .runnable)
                return (g.ref, false)
            }
            // Nothing found: give up the P.
            lock.lock()
            if gcwaiting.load(ordering: .acquiring) || shuttingDown.load(ordering: .acquiring) {
                lock.unlock()
                continue top
            }
            if runqsize != 0 {
                let g = globrunqget(p, max: 0)
                lock.unlock()
                if let g { return (g, false) }
                continue top
            }
            if !p.runqEmpty {
                lock.unlock()
                continue top
            }
            releasep(m)
            pidleput(p)
            lock.unlock()
            let wasSpinning = m.spinning
            if m.spinning {
                m.spinning = false
                nmspinning.subtract(1, ordering: .sequentiallyConsistent)
            }
            if wasSpinning, let pp = recheckAfterSpinning(m) {
                acquirep(m, pp.p)
                if let g = pp.idleWork {
                    g.casStatus(from: .waiting, to: .runnable)
                    return (g.ref, false)
                }
                m.spinning = true
                nmspinning.add(1, ordering: .sequentiallyConsistent)
                continue top
            }
            // While goroutines wait in IO, one M parks in epoll_wait instead (Net/).
            switch netpollBlocking(m) {
            case .run(let g): return (g, false)
            case .heldP: continue top
            case .none, .noP: if !stopm(m) { return nil }
            }
        }
    }

    /// The last look of an M that stopped spinning, before it parks (Go's checkRunqsNoP and
    /// checkIdleGCNoP). A readier that saw `nmspinning > 0` woke nobody, trusting the spinning
    /// M to find its work; that M may have looked before the work arrived. So after leaving
    /// the spinning state it looks again at every run queue, the global queue and idle-priority
    /// work, and if it finds any, takes an idle P for it. Returns that P and, for idle work,
    /// the goroutine to run.
    ///
    /// When only the idle hook was worth asking and it declines, the P goes back to the
    /// idle list, but only after a second look at the global queue under `lock`: a
    /// goroutine that a thread without a P queued while this M held the P (and so saw
    /// `npidle == 0` and started no M) is taken here instead of waiting for the next M.
    private func recheckAfterSpinning(_ m: Machine) -> (p: Processor, idleWork: Goroutine?)? {
        let work = runqsize != 0 || allp.contains { !$0.runqEmpty }
        if !work && hooks.onIdle == nil { return nil }
        // One hold of `lock` from taking the P to giving it back: a stop-the-world takes
        // idle Ps under `lock`, and a P that left the idle list in one critical section and
        // returned in another would be missed by it and never stopped.
        lock.lock()
        defer { lock.unlock() }
        guard let pp = pidleget() else { return nil }
        if work { return (pp, nil) }
        if let idle = hooks.onIdle, let g = idle(pp) { return (pp, g) }
        if runqsize != 0 { return (pp, nil) }
        pidleput(pp)
        return nil
    }

    /// findRunnable's spinning limit (Go: "if number of spinning M's >= number of busy P's,
    /// block", with spinning counted twice): an M already spinning goes on; another may
    /// start only while 2 x spinning < busy Ps (GOMAXPROCS minus idle Ps), so that at most
    /// about half the busy Ps' worth of Ms burn CPU looking for work when parallelism is
    /// low.
    @inline(__always)
    static func maySpin(alreadySpinning: Bool, spinning: Int, busy: Int) -> Bool {
        alreadySpinning || 2 * spinning < busy
    }

    /// Four rounds over the other Ps in random order (Go's stealWork).
    private func stealWork(_ m: Machine, _ p: Processor) -> GoroutineRef? {
        let n = procs
        if n == 1 { return nil }
        for round in 0..<4 {
            let start = Int(m.nextRandom() % UInt64(n))
            for i in 0..<n {
                if gcwaiting.load(ordering: .relaxed) || shuttingDown.load(ordering: .relaxed) { return nil }
                let victim = allp[(start + i) % n]
                if victim === p { continue }
                if let g = p.runqsteal(from: victim, stealRunNext: round == 3) {
                    lab?.stole(m: m.id, victim: victim.id, count: p.runqSize + 1)
                    return g
                }
            }
        }
        return nil
    }
}
