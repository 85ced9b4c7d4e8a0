// Goroutine stacks as roots of a concurrent mark. A stack is grey from the start of a cycle
// (MarkEngine's stack epoch) until it is scanned; scanning shades every slot and turns the
// stack black. How and when stacks are scanned is the plan's `stacks` (BarrierPlan.swift):
// all in the first pause (Yuasa's snapshot), one goroutine at a time while marking (each
// stopped only for its own scan), and again in the last pause for Dijkstra.

import GMP

extension ConcurrentCollector {
    /// Whether `g`'s stack has been scanned (is black) in the current cycle.
    @inline(__always)
    package func isStackBlack(_ g: Goroutine) -> Bool { engine.isStackBlack(g) }

    /// Makes a goroutine created while marking start black (its stack is empty).
    func markNewGoroutineBlack(_ g: Goroutine) { engine.blackenStack(g) }

    /// Shades every root slot of `g`; the stack turns black. The goroutine must be stopped
    /// (suspended, world stopped, or the caller itself).
    func scanStack(_ g: Goroutine, _ gcw: GCWork) {
        Goroutine.onSystemStack { () -> Void in scanStackOnSystemStack(g, gcw) }
        if !Goroutine.isOnSystemStack { checker?.raisePendingFailure() }
    }

    /// The scan itself, on the system stack (Go's scanstack runs there too).
    private func scanStackOnSystemStack(_ g: Goroutine, _ gcw: GCWork) {
        let st = g.currentStatus
        if st == .dead || st == .idle { return }
        heap.accessObserver?.stackScanned(g.id)
        let roots = g.roots
        for i in 0..<roots.count {
            engine.shadeRoot(Ref(offset: roots[i]), into: gcw, from: "goroutine \(g.id)'s stack slot \(i)")
        }
        engine.stackScanBytes.add(roots.count * 8, ordering: .relaxed)
        engine.blackenStack(g)
        checker?.check(after: "scan of goroutine \(g.id)'s stack")
    }

    /// Scans every goroutine's stack, stopping one goroutine at a time.
    func scanStacksConcurrently() {
        let me = Goroutine.current!
        var gs: [Goroutine] = []
        rt.scheduler.forEachGoroutine { gs.append($0) }
        for g in gs {
            // The status first (an acquire load): a goroutine still being set up by its
            // parent (`.idle`: roots, colour and `isSystem` not yet published by
            // Scheduler.publish's release store) is skipped. One created while marking is
            // black from the start; one created before the mark began was published then.
            // System goroutines hold no Refs, except the finalizer goroutine (a finalizer's
            // body runs there), which is scanned like a user goroutine.
            let st = g.currentStatus
            if st == .idle || st == .dead || isStackBlack(g) { continue }
            if g.isSystem && !rt.finalizers.isFinalizerGoroutine(g) { continue }
            let t0 = nanotime()
            if g === me {
                scanStack(g, rt.perP().gcw)
            } else {
                rt.scheduler.withSuspended(g) { g in scanStack(g, rt.perP().gcw) }
            }
            let t1 = nanotime()
            rt.chargeGC(.coordinator, ns: t1 - t0, start: t0, end: t1)
            Goroutine.safePoint()
        }
    }

    /// Shades Refs moved between stacks while marking (goroutine creation, channel
    /// transfer): the hybrid barrier's rule, kept by every built-in plan with a barrier
    /// (`BarrierPlan.shadeMovedPointers`).
    func pointersMoved(_ refs: [Ref]) {
        guard plan.shadeMovedPointers else { return }
        let gcw = rt.perP().gcw
        for r in refs { engine.shade(r, into: gcw) }
    }
}
