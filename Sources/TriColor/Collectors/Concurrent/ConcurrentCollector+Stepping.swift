// Stepping a concurrent cycle by hand, for teaching and for deterministic scenario tests:
// begin a mark, scan chosen objects and stacks, run mutator steps in between, finish, and
// read the colours at every step. Used by the hybrid-barrier scenario tests and the CLI.

import GMP

extension TriColorRuntime {
    /// The concurrent collector, if this runtime uses one.
    package var concurrentCollector: ConcurrentCollector? { collector as? ConcurrentCollector }
}

extension ConcurrentCollector {
    /// Stops the world, begins a mark (globals grey, barrier on) and restarts the world. No
    /// mark workers run: the caller drives marking with `step*`.
    package func stepBegin() {
        _ = rt.scheduler.withWorldStoppedOnSystemStack(reason: "GC step: begin") { _ in beginMark() }
    }

    /// Scans (blackens) the grey object `r`: its fields are shaded.
    package func stepScan(_ r: Ref) {
        precondition(heap.color(of: r) == .grey, "stepScan: \(heap.describe(r)) is \(heap.color(of: r)), not grey")
        let gcw = rt.perP().gcw
        gcw.grey.remove(r)   // it leaves the work queue: black, not re-scanned
        gcw.grey.push(r)     // ... by being the next one the engine scans
        engine.drain(gcw, budget: 1)
    }

    /// Scans grey objects on this P (and in the shared pool) until none is left; returns
    /// how many it scanned. No safe point (gcbench's hot suite times it per object).
    package func stepDrain() -> Int {
        let gcw = rt.perP().gcw
        var n = 0
        while true {
            let (k, _) = engine.drain(gcw, budget: 1 << 20)
            if k == 0 { return n }
            n += k
        }
    }

    /// Scans goroutine `g`'s stack (the caller's own, or a stopped goroutine's).
    package func stepScanStack(_ g: Goroutine) {
        scanStack(g, rt.perP().gcw)
    }

    /// The colour of `r` after flushing this P's write-barrier buffer (so a pointer the
    /// barrier recorded shows as grey, as it conceptually is).
    package func stepColor(_ r: Ref) -> ObjectColor {
        barrier.flush(rt.perP().gcw)
        return heap.color(of: r)
    }

    /// Stops the world, finishes the mark (drain, re-scan if the plan says so, checkmark)
    /// and starts the sweep. Returns the checkmark's findings instead of stopping the run.
    package func stepFinish() -> [CheckmarkViolation] {
        let (v, _) = rt.scheduler.withWorldStoppedOnSystemStack(reason: "GC step: finish") { _ in finishMark() }
        checker?.raisePendingFailure()
        return v
    }
}

extension ConcurrentCollector {
    /// A tri-colour invariant as the teaching view reports it.
    package enum StepInvariant: Sendable { case strong, weak }

    /// The first edge that breaks `invariant` now, after flushing this P's write-barrier
    /// buffer (nil: it holds, or no mark is running). The rules are InvariantChecker's.
    package func stepInvariantViolation(_ invariant: StepInvariant) -> (from: Ref, field: Int, to: Ref)? {
        guard engine.phase.load(ordering: .relaxed) != .off else { return nil }
        barrier.flush(rt.perP().gcw)
        let checker = InvariantChecker(heap: heap, engine: engine, invariant: invariant == .strong ? .strong : .weak,
                                       collector: rt.collectorKind)
        return checker.violation(of: checker.invariant).map { ($0.from, $0.field, $0.to) }
    }
}
