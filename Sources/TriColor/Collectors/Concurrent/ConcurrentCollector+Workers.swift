// Background mark workers (Go's gcBgMarkWorker): dedicated workers, the fractional worker
// held to its share of one P, and idle-priority workers that run only on otherwise idle Ps.
// The budget they keep and why is the essay in ConcurrentCollector+Pacing.swift.

import GMP

extension ConcurrentCollector {
    /// Starts 25% of GOMAXPROCS as mark workers: `round(0.25 P)` dedicated ones, or, when
    /// that rounding is off by more than 30%, `floor(0.25 P)` dedicated plus one fractional
    /// worker that runs the remaining fraction of one P (Go's gcControllerState.startCycle).
    /// Returns the workers' group, the fractional worker's share of one P (0: none) and the
    /// channel the cycle closes when its mark ends, which wakes a worker sleeping off its
    /// share (without it the cycle's end waited out that sleep, milliseconds at P = 1, and
    /// no new cycle could start meanwhile: the heap ran to 2-3x its goal).
    func startWorkers() -> (group: WaitGroup, fractional: Double, markDone: Channel<Void>) {
        let wg = WaitGroup()
        let markDone = Channel<Void>(capacity: 0)
        active.store(true, ordering: .relaxed)
        let goal = 0.25 * Double(rt.scheduler.procs)
        var dedicated = Int(goal.rounded())
        var fractional = 0.0
        if dedicated == 0 || abs(Double(dedicated) - goal) / goal > 0.3 {
            dedicated = Int(goal.rounded(.down))
            fractional = goal - Double(dedicated)
        }
        // isSystem is set by the parent (`prepare`) before the worker can run, because the
        // stack scanner reads it from the coordinator.
        // Borrowed, not retained: a worker abandoned by a failing run must not keep the
        // collector (and so the heap's arena) alive.
        let me = Unmanaged.passUnretained(self)
        for _ in 0..<dedicated {
            wg.add(1)
            go(prepare: { $0.isSystem = true }) { me._withUnsafeGuaranteedRef { $0.worker(share: nil, markDone) }; wg.done() }
        }
        if fractional > 0.001 {
            let share = fractional
            wg.add(1)
            go(prepare: { $0.isSystem = true }) { me._withUnsafeGuaranteedRef { $0.worker(share: share, markDone) }; wg.done() }
            // It wants the P from now on: until it first runs, an allocating goroutine yields
            // to it (`yieldToDueWorker`); the worker clears this while it runs.
            fractionalWakeAt.store(clock(), ordering: .relaxed)
        } else {
            fractional = 0
        }
        return (wg, fractional, markDone)
    }

    /// Whether an idle P should run an idle mark worker now.
    /// Whether idle P `p` (held by the calling M) should run an idle mark worker: there is
    /// work in the pool, or on `p`'s own local stack (which only a goroutine on `p` can
    /// drain; another P's local work is not stealable, and waking a worker for it would
    /// spin).
    func hasIdleWork(on p: Processor) -> Bool {
        guard rt.marking.load(ordering: .relaxed) else { return false }
        if !pool.isEmptyHint { return true }
        guard let s = p.localStorage else { return false }
        return unsafeDowncast(s, to: PerP.self).gcw.localCountHint.load(ordering: .relaxed) > 0
    }

    // MARK: Background workers (Go's gcBgMarkWorker)

    /// A dedicated (`share == nil`) or fractional background mark worker. Runs until the
    /// cycle ends (`active` false, then `markDone` closed).
    func worker(share: Double?, _ markDone: Channel<Void>) {
        let kind: GCCPUKind = share == nil ? .dedicated : .fractional
        var selfNS: Int64 = 0
        while active.load(ordering: .relaxed) {
            heap.accessObserver?.bookkeeping()
            if let f = share {
                // Run only while this worker's time since mark start is under its share.
                let sinceStart = clock() - markStartClock
                let allowed = Int64(f * Double(sinceStart))
                if selfNS >= allowed {
                    let until = Int64(Double(selfNS) / f) - sinceStart
                    fractionalWakeAt.store(clock() + max(10_000, until), ordering: .relaxed)
                    sleep(nanoseconds: max(10_000, until), unless: markDone)
                    fractionalWakeAt.store(.max, ordering: .relaxed)
                    continue
                }
            }
            if share != nil { fractionalWakeAt.store(.max, ordering: .relaxed) }
            let (ns, objects) = markBurst(kind: kind, share: share, selfNS: selfNS)
            selfNS += ns
            if share != nil { fractionalCycleNS.add(ns, ordering: .relaxed) }
            if objects == 0 {
                // No grey object anywhere: wait for some (a fractional worker says when it
                // wants the P back, so an allocating goroutine yields to it then).
                if share != nil { fractionalWakeAt.store(clock() + 50_000, ordering: .relaxed) }
                Goroutine.sleep(nanoseconds: 50_000)
                if share != nil { fractionalWakeAt.store(.max, ordering: .relaxed) }
            } else {
                Goroutine.safePoint()
            }
        }
    }

    /// Sleeps `ns` on the scheduler clock, or until the mark ends (`markDone` closed), as
    /// Go's workers park on a note that mark termination wakes.
    private func sleep(nanoseconds ns: Int64, unless markDone: Channel<Void>) {
        let timer = GoTimer(after: .nanoseconds(ns))
        Select.run { s in
            s.receive(from: timer.C) { _ in }
            s.receive(from: markDone) { _ in }
        }
        _ = timer.stop()
    }

    /// One burst of a background worker: drains in small steps until the work runs out or
    /// (fractional) the burst or share limit is reached. Returns the time and objects.
    private func markBurst(kind: GCCPUKind, share: Double?, selfNS: Int64) -> (Int64, Int) {
        busyWorkers.add(1, ordering: .sequentiallyConsistent)
        let t0 = nanotime(), c0 = clock()
        var ns: Int64 = 0, objects = 0
        while true {
            let t = nanotime()
            let (n, work) = drain(budget: 64)
            let dt = elapsed(since: t, objects: n)
            ns += dt
            objects += n
            if work > 0 { flushBackgroundCredit(work) }
            // A preemption request (a stop of the world, sysmon) ends the burst, as Go's
            // gcDrain stops on gp.preempt; the caller reaches a safe point next.
            if n == 0 || !active.load(ordering: .relaxed) || Goroutine.preemptRequested { break }
            if let f = share {
                if ns >= ConcurrentCollector.fractionalBurstNS { break }
                let sinceStart = c0 + ns - markStartClock
                if Double(selfNS + ns) > 1.2 * f * Double(max(1, sinceStart)) { break }
            } else if ns >= 1_000_000 {
                break  // a dedicated worker reaches a safe point every millisecond
            }
        }
        busyWorkers.subtract(1, ordering: .sequentiallyConsistent)
        if objects > 0 { rt.chargeGC(kind, ns: ns, start: t0, end: nanotime()) }
        return (ns, objects)
    }

    /// Go's idle-priority mark worker: parked in `spot` until a P with nothing else to run
    /// claims it (`SchedulerHooks.onIdle`, only while there is mark work in the pool); then
    /// drains until the mark ends, the work runs out, or the P gets other goroutines to run.
    /// Start it with `go(prepare: { $0.isSystem = true })`.
    func idleWorker(_ spot: ParkingSpot) {
        while true {
            spot.park()
            while rt.marking.load(ordering: .relaxed) {
                guard let p = Processor.current, !rt.scheduler.hasRunnableWork(p) else { break }
                busyWorkers.add(1, ordering: .sequentiallyConsistent)
                let t0 = nanotime()
                let (n, work) = drain(budget: 256)
                let t1 = nanotime()
                busyWorkers.subtract(1, ordering: .sequentiallyConsistent)
                if work > 0 { flushBackgroundCredit(work) }
                idleWorkerScans.add(n, ordering: .relaxed)
                if n == 0 { break }
                rt.chargeGC(.idle, ns: t1 - t0, start: t0, end: t1)
                Goroutine.safePoint()
            }
        }
    }
}
