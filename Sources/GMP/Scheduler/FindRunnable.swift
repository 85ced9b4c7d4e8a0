import CContext
import Synchronization

// Finding work (Go's findRunnable, proc.go).
//
// An M with a P looks, in order: (1) every 61st schedule, one goroutine from the global
// queue first, so a busy local queue cannot starve it; (2) the local queue (runnext first);
// (3) the global queue, taking a fair batch (globrunqget); (4) steal: four rounds over the
// other Ps in random order taking half of a victim's queue, runnext only in the last round.
// Only some Ms may spin (look for work) at once: a non-spinning M becomes spinning only
// while 2 x spinning < busy Ps, which bounds the CPU wasted on futile stealing. Before
// parking, an M that was spinning re-checks every run queue *after* leaving the spinning
// state: work submitted by a readier that saw nmspinning > 0 (and so did not wake anyone)
// is then picked up, which is the race Go's "spinning M" protocol is careful about.

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
            if wasSpinning {
                for pp in allp where !pp.runqEmpty {
                    let np = lock.withLock { pidleget() }
                    if let np {
                        acquirep(m, np)
                        m.spinning = true
                        nmspinning.add(1, ordering: .sequentiallyConsistent)
                        continue top
                    }
                    break
                }
            }
            if !stopm(m) { return nil }
        }
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
        }
        wakep()
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
