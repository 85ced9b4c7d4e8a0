import CContext
import Synchronization

// Stopping the world and suspending one goroutine: the two ways a collector gets a quiet
// view of roots (Go's stopTheWorldWithSema / startTheWorldWithSema and suspendG /
// resumeG, proc.go and preempt.go).
//
// stopTheWorld: set gcwaiting, ask every running goroutine to yield at its next safe
// point, take idle Ps and Ps in syscalls straight to gcstop, then wait until every other
// P has stopped itself (an M seeing gcwaiting in findRunnable parks in `gcstopm`, below).
// The caller keeps its own P. startTheWorld puts every P back to work. The pause (request
// to restart) is recorded.
//
// withSuspended: stop exactly one goroutine. A goroutine that is not running is frozen by
// setting the scan bit on its status (nobody can make it run until the bit is cleared). A
// running goroutine is asked to park in `.preempted` at its next safe point, then frozen
// the same way. After the body the bit is cleared and a goroutine that was preempted is
// made runnable again.

/// A stopped world, returned by `stopTheWorld` and consumed by `startTheWorld`.
public struct WorldStop: Sendable {
    public let reason: String
    /// When the stop was requested and when every P had stopped (nanotime).
    public let requested: Int64
    public let stopped: Int64
}

extension Scheduler {
    /// Stops every other goroutine and returns when the calling goroutine is the only one
    /// running. Must be called from a goroutine. Another stop in progress makes this wait.
    public func stopTheWorld(reason: String) -> WorldStop {
        let g = Goroutine.mustCurrent("stopTheWorld")
        precondition(g.sched === self, "stopTheWorld on a scheduler the goroutine does not belong to")
        worldSema.lock()
        // The stop itself runs on the system stack, as Go's stopTheWorldWithSema does: it
        // only waits on a note, and its frames stay off the caller's (small) stack.
        guard let stop = Goroutine.onSystemStack({ stopTheWorldWithSema(g, reason: reason) }) else {
            g.abandon()   // the program is ending: the world will never stop
        }
        return stop
    }

    /// Stops the world, runs `body` on the system stack while it is stopped, and restarts
    /// it; returns `body`'s result and the pause. This is how Go's collector runs its
    /// stop-the-world phases (semacquire(&worldsema) on the goroutine, then
    /// `systemstack` for the stop, the work and the restart): nothing of the phase touches
    /// the calling goroutine's stack. `body` must not block or yield.
    public func withWorldStoppedOnSystemStack<R>(reason: String, _ body: (WorldStop) -> R) -> (R, pauseNS: Int64) {
        let g = Goroutine.mustCurrent("withWorldStoppedOnSystemStack")
        precondition(g.sched === self, "stopTheWorld on a scheduler the goroutine does not belong to")
        worldSema.lock()
        let done: (R, Int64)? = Goroutine.onSystemStack {
            guard let stop = stopTheWorldWithSema(g, reason: reason) else { return nil }
            let r = body(stop)
            return (r, startTheWorldWithSema(g.m!, stop))
        }
        guard let done else { g.abandon() }   // the program is ending
        worldSema.unlock()
        return done
    }

    /// The stop, on the system stack. Nil when the program ends before the world stopped.
    private func stopTheWorldWithSema(_ g: Goroutine, reason: String) -> WorldStop? {
        let t0 = nanotime()
        let me = g.m!
        lock.lock()
        stwOwner.store(g.ref, ordering: .relaxed)
        stopwait = procs
        gcwaiting.store(true, ordering: .releasing)
        preemptall()
        me.p!.setStatus(.gcstop)
        stopwait -= 1
        for p in allp where p.currentStatus == .syscall {
            if p.casStatus(.syscall, .gcstop) {
                p.syscalltick.add(1, ordering: .relaxed)
                stopwait -= 1
            }
        }
        while let p = pidleget() {
            p.setStatus(.gcstop)
            stopwait -= 1
        }
        let wait = stopwait > 0
        lock.unlock()
        if wait {
            while !stopNote.sleep(timeoutNS: 100_000) {
                // The program is ending (main returned): the other Ms are leaving without
                // stopping their Ps, so the world will never stop.
                if shuttingDown.load(ordering: .acquiring) { return nil }
                preemptall()
            }
        }
        stopNote.clear()
        precondition(lock.withLock { stopwait } == 0, "stopTheWorld: stopwait \(stopwait) after the world stopped")
        for p in allp { precondition(p.currentStatus == .gcstop, "stopTheWorld: P\(p.id) is \(p.currentStatus), not stopped") }
        stats.worldStops.add(1, ordering: .relaxed)
        return WorldStop(reason: reason, requested: t0, stopped: nanotime())
    }

    /// Restarts the world stopped by `stop`; returns the pause in nanoseconds.
    @discardableResult
    public func startTheWorld(_ stop: WorldStop) -> Int64 {
        let g = Goroutine.mustCurrent("startTheWorld")
        let pause = Goroutine.onSystemStack { startTheWorldWithSema(g.m!, stop) }
        worldSema.unlock()
        return pause
    }

    /// The restart, on the system stack (Go's startTheWorldWithSema).
    private func startTheWorldWithSema(_ me: Machine, _ stop: WorldStop) -> Int64 {
        var toStart: [Processor] = []
        lock.lock()
        gcwaiting.store(false, ordering: .releasing)
        for p in allp where p !== me.p {
            p.setStatus(.idle)
            if p.runqEmpty { pidleput(p) } else { toStart.append(p) }
        }
        me.p!.setStatus(.running)
        stwOwner.store(nil, ordering: .relaxed)
        lock.unlock()
        for p in toStart { startm(p, spinning: false) }
        wakep()
        let pause = nanotime() - stop.requested
        stats.stwTotalNS.add(pause, ordering: .relaxed)
        var cur = stats.stwMaxNS.load(ordering: .relaxed)
        while pause > cur {
            let r = stats.stwMaxNS.compareExchange(expected: cur, desired: pause, ordering: .relaxed)
            if r.exchanged { break }
            cur = r.original
        }
        return pause
    }

    /// Runs `body` with the world stopped; returns its result and the pause.
    public func withWorldStopped<R>(reason: String, _ body: () throws -> R) rethrows -> (R, pauseNS: Int64) {
        let w = stopTheWorld(reason: reason)
        let r: R
        do { r = try body() } catch {
            startTheWorld(w)
            throw error
        }
        return (r, startTheWorld(w))
    }

    /// Freezes goroutine `target` (not the caller) so its roots can be read, runs `body`,
    /// and lets it continue. Returns false without calling `body` if `target` is dead.
    /// Other goroutines keep running (Go's suspendG/resumeG).
    @discardableResult
    public func withSuspended(_ target: Goroutine, _ body: (Goroutine) -> Void) -> Bool {
        let me = Goroutine.mustCurrent("withSuspended")
        precondition(target !== me, "withSuspended: a goroutine cannot suspend itself")
        var wasPreempted = false
        var spins = 0
        while true {
            let raw = target.status.load(ordering: .acquiring)
            if raw & GStatus.scanBit != 0 {
                // Someone else is scanning it; wait.
                spins += 1
                if spins % 64 == 0 { Goroutine.yieldIfPossible() }
                continue
            }
            switch GStatus(rawValue: raw) {
            case .dead, .idle, .none:
                return false
            case .runnable, .waiting, .syscall, .preempted:
                if target.status.compareExchange(expected: raw, desired: raw | GStatus.scanBit,
                                                 ordering: .acquiringAndReleasing).exchanged {
                    wasPreempted = raw == GStatus.preempted.rawValue
                    // Withdraw any stop request we made while it was running: it is frozen
                    // now, and a stale request would park it again with nobody to resume it.
                    target.preemptStop.store(false, ordering: .relaxed)
                    target.preempt.store(false, ordering: .relaxed)
                    body(target)
                    if wasPreempted {
                        // It parked for us: make it runnable again.
                        target.status.store(GStatus.waiting.rawValue, ordering: .releasing)
                        ready(target)
                    } else {
                        target.status.store(raw, ordering: .releasing)
                    }
                    return true
                }
            case .running:
                target.preemptStop.store(true, ordering: .releasing)
                target.preempt.store(true, ordering: .releasing)
                spins += 1
                if spins % 16 == 0 { Goroutine.yieldIfPossible() }
            }
        }
    }
}

extension Scheduler {
    /// Stops `m` for a stop-the-world (Go's gcstopm): called by findRunnable when it sees
    /// `gcwaiting`; gives the P to the stopper and parks the M until `startTheWorld`.
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
}

extension Goroutine {
    /// Yields when called on a goroutine (a wait loop that must let the target run on a
    /// single P); otherwise pauses the thread briefly.
    static func yieldIfPossible() {
        if let g = current, g.sched.det != nil || g.m?.p != nil {
            g.mcall(.yield)
        } else {
            tc_usleep(1)
        }
    }
}
