// The concurrent mark's work loop as the coordinator sees it: draining on the caller's P,
// waiting for the workers to run out of grey objects, flushing every P at mark completion,
// and the steps of mark termination (the last drain, Dijkstra's re-scan, the checks).

import GMP

extension ConcurrentCollector {
    /// Scans up to `budget` grey objects from this P's work (then the pool). Returns the
    /// objects scanned and their bytes (the scan work). No safe point inside. Runs on the
    /// system stack, as Go's gcDrain does (assists call it from whatever the allocating
    /// goroutine's stack holds); the budget bounds how long it keeps the goroutine there.
    @discardableResult
    func drain(budget: Int) -> (objects: Int, bytes: Int) {
        var done = (objects: 0, bytes: 0)
        Goroutine.onSystemStack { () -> Void in done = engine.drain(rt.perP().gcw, budget: budget) }
        if !Goroutine.isOnSystemStack { checker?.raisePendingFailure() }
        return done
    }

    /// The coordinator waits (marking nothing itself) until the work has run out: the pool
    /// is empty, no worker is inside a drain, and no P holds local grey objects; a P whose
    /// local work nobody drains (its goroutines neither assist nor run a worker) is flushed
    /// by the mark-completion stop after 1 ms without progress. Polls every 100 us.
    func waitUntilIdle() {
        var idleRounds = 0
        var lastProgress = clock(), lastMarked = engine.markedObjects.load(ordering: .relaxed)
        while true {
            heap.accessObserver?.allQueuesRead()
            let marked = engine.markedObjects.load(ordering: .relaxed)
            if marked != lastMarked { (lastMarked, lastProgress) = (marked, clock()) }
            if pool.isEmpty && busyWorkers.load(ordering: .sequentiallyConsistent) == 0 {
                if !anyLocalWork() || clock() - lastProgress > 1_000_000 {
                    idleRounds += 1
                    if idleRounds >= 2 { return }
                }
            } else {
                idleRounds = 0
            }
            Goroutine.sleep(nanoseconds: 100_000)
        }
    }

    /// Whether some P's local grey stack holds objects (its published hint).
    private func anyLocalWork() -> Bool {
        rt.registeredWork.contains { $0.localCountHint.load(ordering: .relaxed) > 0 }
    }

    /// Every P's GCWork. World stopped.
    func forEachProcessorWork(_ body: (GCWork) -> Void) {
        for p in rt.scheduler.allp {
            guard let s = p.localStorage else { continue }
            body(unsafeDowncast(s, to: PerP.self).gcw)
        }
    }

    /// With the world stopped: moves every P's barrier buffer and local grey objects to
    /// the pool. Returns true if there is anything to mark.
    func flushAllProcessors() -> Bool {
        heap.accessObserver?.transition()
        var found = false
        forEachProcessorWork { gcw in
            barrier.flush(gcw)
            if gcw.flushGrey(to: pool) { found = true }
        }
        return found || !pool.isEmpty
    }

    // MARK: Mark termination (world stopped)

    /// Drains whatever is left and, for Dijkstra's plan, re-scans every stack.
    func markRemaining() {
        let gcw = rt.perP().gcw
        _ = flushAllProcessors()
        engine.drainAll(gcw)
        if plan.stacks == .concurrentThenRescan {
            rt.scheduler.forEachGoroutine { g in scanStack(g, gcw) }
            engine.drainAll(gcw)
        }
    }

    /// The invariant check (level full), the checkmark (level cheap and up) and the
    /// floating-garbage measurement. Returns the checkmark's violations.
    func verifyMark() -> [CheckmarkViolation] {
        checker?.check(after: "mark termination")
        let measure = rt.config.measureFloatingGarbage
        let roots = GoroutineRoots(scheduler: rt.scheduler, extra: rt.extraRoots)
        return Goroutine.onSystemStack {
            let violations = checkmark || measure ? heap.checkmark(roots: roots) : []
            lastFloatingGarbage = measure ? heap.markedButUnreachableBytes() : nil
            return violations
        }
    }

    /// Sums and resets every P's barrier counters, and settles its allocated-black bytes.
    func collectBarrierCounters() {
        var calls = 0, shades = 0
        forEachProcessorWork { w in
            engine.settleAllocatedBlack(w)
            calls += w.barrierCalls
            shades += w.shades
            (w.barrierCalls, w.shades) = (0, 0)
        }
        setBarrierCounters(calls: calls, shades: shades)
    }
}
