import CContext
import Synchronization

// Finding work (Go's findRunnable, proc.go).
//
// An M with a P looks, in order: (1) every 61st schedule, one goroutine from the global
// queue first, so a busy local queue cannot starve it; (2) the local queue (runnext first);
// (3) the global queue, taking a fair batch (globrunqget); (4) steal: four rounds over the
// other Ps in random order taking half of a victim's queue, runnext only in the last round.
// Only some Ms may spin (look for work) at once: a non-spinning M becomes spinning only
// while 2 x spinning < busy Ps, which bounds the CPU wasted on futile stealing.
//
// No wake-up is lost, by these rules (the argument `checkdead` relies on):
//   * A readier holding a P puts the goroutine on that P's queue; the P's own M will run
//     it, and `wakep` only adds parallelism.
//   * A readier without a P (sysmon firing timers, a thread in a syscall) puts it on the
//     global queue under `lock` and starts an M on an idle P itself (`startIdle`): it does
//     not rely on a spinning M, which may have looked already. From taking the goroutine
//     out of its wait structure until it is queued, such a readier is either under `lock`
//     or counted in `wakesInFlight`, which `checkdead` counts as a running M.
//   * Channels, GoMutex, WaitGroup, select and ParkingSpot wake only from goroutines (on
//     running Ms) or, for ParkingSpot, from `onIdle` on an M holding a P; the collector's
//     sweeper, workers and coordinator wait on those primitives, so their wake-ups follow
//     the rules above.
//   * An M gives up its P only under `lock`, after seeing the global queue empty there.
//   * An M that was spinning looks again, *after* leaving the spinning state, at every run
//     queue, the global queue and idle-priority work (`recheckAfterSpinning`): work
//     submitted by a readier that saw nmspinning > 0 (and so woke nobody) is picked up.
//   * Expired timers move to a run queue either by an M holding a P (`checkTimers`: that
//     M is not idle) or under `lock` (sysmon's `injectTimers`), and an idle M sleeps no
//     longer than the earliest deadline; so while a timer is pending, in the heap or in
//     flight, `checkdead` (which holds `lock`) sees it.

extension Scheduler {
    /// `findRunnable` returning unretained bits (0 at shutdown) and whether the goroutine
    /// inherits the time slice. The common cases (local queue, global queue) are looked up
    /// first without leaving the borrowed P; anything else, including every case that
    /// needs the full loop (stop the world, shutdown, stealing, parking), goes through
    /// `findRunnable`, which repeats the same checks in the same order.
    @inline(__always)
    func findRunnableBits(_ m: Machine) -> (UInt, Bool) {
        if !deterministic && !gcwaiting.load(ordering: .acquiring) && !shuttingDown.load(ordering: .acquiring),
           let pU = m.pU {
            let r = pU._withUnsafeGuaranteedRef { p -> (UInt, Bool) in
                if timers.nextDeadline() != nil { checkTimers(now: nanotime(), p: p) }
                if p.schedtick.load(ordering: .relaxed) % 61 == 0 && runqsize > 0 {
                    lock.lock()
                    let g = globrunqgetBits(p, max: 1)
                    lock.unlock()
                    if g != 0 { return (g, false) }
                }
                let (g, inherit) = p.runqgetBits()
                if g != 0 { return (g, inherit) }
                if runqsize != 0 {
                    lock.lock()
                    let g = globrunqgetBits(p, max: 0)
                    lock.unlock()
                    if g != 0 { return (g, false) }
                }
                return (0, false)
            }
            if r.0 != 0 { return r }
        }
        guard let (g, inherit) = findRunnable(m) else { return (0, false) }
        return (gBits(g), inherit)
    }

    /// Returns the next goroutine for `m` (which holds a P), parking the M while there is
    /// no work. Returns nil at shutdown.
    func findRunnable(_ m: Machine) -> (Goroutine, Bool)? {
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
            if timers.nextDeadline() != nil { checkTimers(now: nanotime(), p: p) }
            if p.schedtick.load(ordering: .relaxed) % 61 == 0 && runqsize > 0 {
                let g = lock.withLock { globrunqget(p, max: 1) }
                if let g { return (g, false) }
            }
            if let (g, inherit) = p.runqget() { return (g, inherit) }
            if runqsize != 0 {
                let g = lock.withLock { globrunqget(p, max: 0) }
                if let g { return (g, false) }
            }
            let busy = procs - npidle.load(ordering: .sequentiallyConsistent)
            if m.spinning || 2 * nmspinning.load(ordering: .sequentiallyConsistent) < busy {
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
                return (g, false)
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
                    return (g, false)
                }
                m.spinning = true
                nmspinning.add(1, ordering: .sequentiallyConsistent)
                continue top
            }
            if !stopm(m) { return nil }
        }
    }

    /// The last look of an M that stopped spinning, before it parks (Go's checkRunqsNoP and
    /// checkIdleGCNoP). A readier that saw `nmspinning > 0` woke nobody, trusting the spinning
    /// M to find its work; that M may have looked before the work arrived. So after leaving
    /// the spinning state it looks again at every run queue, the global queue and idle-priority
    /// work, and if it finds any, takes an idle P for it. Returns that P and, for idle work,
    /// the goroutine to run.
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
        pidleput(pp)
        return nil
    }

    /// Four rounds over the other Ps in random order (Go's stealWork).
    private func stealWork(_ m: Machine, _ p: Processor) -> Goroutine? {
        let n = procs
        if n == 1 { return nil }
        for round in 0..<4 {
            let start = Int(m.nextRandom() % UInt64(n))
            for i in 0..<n {
                if gcwaiting.load(ordering: .relaxed) || shuttingDown.load(ordering: .relaxed) { return nil }
                let victim = allp[(start + i) % n]
                if victim === p { continue }
                if let g = p.runqsteal(from: victim, stealRunNext: round == 3) { return g }
            }
        }
        return nil
    }

    /// Puts a goroutine that yielded or was preempted on the global queue (Go's
    /// goschedImpl), or in deterministic mode on the runnable set.
    @inline(__always)
    func yieldPut(_ g: Goroutine, _ m: Machine) {
        if deterministic {
            det!.makeRunnable(g)
            return
        }
        lock.lock()
        globrunqputBits(gBits(g))
        lock.unlock()
    }

    /// Stops `m` for a stop-the-world (Go's gcstopm).
    func gcstopm(_ m: Machine) {
        let p = releasep(m)
        if m.spinning {
            m.spinning = false
            nmspinning.subtract(1, ordering: .sequentiallyConsistent)
        }
        lock.lock()
        p.setStatus(.gcstop)
        stopwait -= 1
        if stopwait == 0 { stopNote.wakeup() }
        lock.unlock()
        _ = stopm(m)
    }

    /// Makes a waiting goroutine runnable (Go's goready / ready). From a goroutine or g0
    /// holding a P it goes to runnext of that P; otherwise to the global queue.
    func ready(_ g: Goroutine, next: Bool = true) {
        g.casStatus(from: .waiting, to: .runnable)
        if deterministic {
            det!.makeRunnable(g)
            return
        }
        // This thread's M and its P are borrowed: the M is the running thread's own, and
        // only this thread changes which P it holds.
        var queued = false
        if let raw = tc_tls_m() {
            Unmanaged<Machine>.fromOpaque(raw)._withUnsafeGuaranteedRef { m in
                if m.schedU.toOpaque() == Unmanaged.passUnretained(self).toOpaque(), let pU = m.pU {
                    pU._withUnsafeGuaranteedRef { $0.runqputBits(gBits(g), next: next) }
                    queued = true
                }
            }
        }
        if !queued {
            lock.lock()
            globrunqputBits(gBits(g))
            lock.unlock()
            startIdle(1)
            return
        }
        wakep()
    }

    /// Starts up to `n` Ms on idle Ps for goroutines just put on the global queue by a thread
    /// without a P (Go's injectglist + startIdle). `wakep` would not do here: it defers to a
    /// spinning M, and that M may already have looked at the global queue and be about to
    /// park, so the goroutines would wait for the next M that happens to look.
    func startIdle(_ n: Int) {
        var started = 0
        while started < n && npidle.load(ordering: .sequentiallyConsistent) > 0 {
            startm(nil, spinning: false)
            started += 1
        }
    }

    /// Readies goroutines whose timers expired, onto `p`'s queue.
    func checkTimers(now: Int64, p: Processor) {
        guard let due = timers.nextDeadline(), due <= now else { return }
        for g in timers.popExpired(now: now) {
            g.casStatus(from: .waiting, to: .runnable)
            p.runqput(g, next: false)
        }
    }
}
