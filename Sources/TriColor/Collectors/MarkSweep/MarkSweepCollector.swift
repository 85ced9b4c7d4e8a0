// MarkSweepCollector: Go 1.3's collector, as the runtime runs it on goroutines.
//
// The algorithm (McCarthy 1960; Go 1.3's bitmap marking with lazy sweeping):
//
//   1. stopTheWorld: every goroutine parks at its next safe point; only the goroutine
//      running the cycle continues. Nothing can change the object graph from here to 5.
//   2. Sweep termination: flush every P's allocation cache and finish the previous
//      cycle's sweep, so every mark bit is clear: every object is white.
//   3. Mark: shade every root (each goroutine's stack slots and the globals), then drain
//      the grey stack: pop an object (it becomes black), shade its fields.
//   3a. With the roots, the referents of every object with a finalizer are shaded (not
//      the object: Go's markrootSpans; Runtime/Finalizers.swift).
//   4. Mark termination: weak references to unmarked objects are cleared and unmarked
//      objects with finalizers are queued and their own mark bits set, without a scan
//      (what Go's sweeper does; Runtime/Finalizers.swift);
//      optional checkmark (an independent second mark that reports any
//      reachable object the mark missed, with its path); flip sweepgen so every span
//      "needs sweeping"; set the next heap goal from the marked bytes.
//   5. startTheWorld. Spans are swept lazily by allocation (before a span is reused) and
//      by the background sweeper goroutine.
//
// Invariant: when the drain ends there is no grey object; since a black object had all of
// its fields shaded when it was scanned, no black object points to a white one, so every
// reachable object is black and every white object is garbage. The world is stopped
// throughout, so no mutator can hide a pointer: this collector needs no write barrier.
// The price is a pause proportional to the live heap (gcbench's `pause` suite shows it).

import GMP

/// `@unchecked Sendable`: `marker` is used only by the goroutine running the cycle, with
/// the world stopped; everything else is immutable.
final class MarkSweepCollector: Collector, @unchecked Sendable {
    unowned let rt: TriColorRuntime
    let marker: MarkSweep
    var kind: CollectorKind { .markSweep }

    init(runtime: TriColorRuntime) {
        rt = runtime
        marker = MarkSweep(heap: runtime.heap, checkmark: runtime.config.checkLevel >= .cheap)
    }

    func runCycle(reason: GCReason) -> GCCycleRecord {
        let sched = rt.scheduler
        let start = nanotime()
        let heapStart = rt.heap.heapLiveBytes
        let cycleGoal = rt.pacer.goal.load(ordering: .relaxed)
        rt.sweepBeforeCycle()
        // Steps 1-5 run on the system stack with the world stopped (Go's gcStart and
        // gcMarkTermination run there too), not on the allocating goroutine's small stack.
        let (r, pause) = sched.withWorldStoppedOnSystemStack(reason: "GC (markSweep)") { w in
            marker.sweepTermination()
            let t1 = nanotime()
            let roots = GoroutineRoots(scheduler: sched, extra: rt.extraRoots)
            marker.markRoots(roots)
            if rt.finalizers.shadeReferentsWhileMarking {
                for r in rt.finalizers.registeredObjects() { marker.shadeFinalizerReferents(of: r) }
            }
            marker.drain()
            let t2 = nanotime()
            if rt.weakAndFinalizersAtMarkTermination(markObject: { marker.markQueuedForFinalizer($0) },
                                                     shadeReferents: { marker.shadeFinalizerReferents(of: $0) }) {
                marker.drain()
            }
            let heapEnd = rt.heap.heapLiveBytes
            var m = MarkMeasurement()
            m.stackScan = roots.slotCount() * 8
            m.heapInUse = rt.heap.heapInUseBytes
            let report = marker.markTermination(roots: roots)
            var floating: Int? = nil
            if rt.config.measureFloatingGarbage {
                _ = rt.heap.checkmark(roots: roots)
                floating = rt.heap.markedButUnreachableBytes()
            }
            m.heapMarked = report.liveBytes
            m.heapScan = report.liveBytes
            m.globalsScan = rt.heap.globalCount * 8
            m.heapLiveAtTrigger = heapStart
            m.heapLiveAtEnd = heapEnd
            m.procs = sched.procs
            let goal = rt.pacer.cycleEnded(m)
            return StoppedCycle(stwStart: w.requested, t1: t1, t2: t2, t3: nanotime(), heapEnd: heapEnd,
                                report: report, floating: floating, goal: goal)
        }
        let (stwStart, t1, t2, t3, heapEnd, report, floating, goal) =
            (r.stwStart, r.t1, r.t2, r.t3, r.heapEnd, r.report, r.floating, r.goal)
        rt.eventLog.record(GCEvent(kind: .stw, name: "markSweep stop-the-world", start: stwStart, end: stwStart + pause))
        rt.eventLog.record(GCEvent(kind: .mark, name: "mark (markSweep, world stopped)", start: t1, end: t2))
        return GCCycleRecord(
            cycle: report.cycle, reason: reason, collector: kind, start: start,
            sweepTermNS: t1 - start, markNS: t2 - t1, markTermNS: t3 - t2 + (nanotime() - t3),
            pauses: [pause], heapStart: heapStart, heapEnd: max(heapEnd, heapStart),
            heapMarked: report.liveBytes, nextGoal: goal, procs: sched.procs, goal: cycleGoal,
            markedObjects: report.markedObjects, floatingGarbageBytes: floating)
    }

    /// What the stopped world hands back. A nominal type, not a tuple: a tuple's metadata is
    /// instantiated from its mangled name the first time it is used, which in a cold debug
    /// process takes more than a 16 KiB goroutine stack, on the goroutine side of the call.
    private struct StoppedCycle {
        var stwStart, t1, t2, t3: Int64
        var heapEnd: Int
        var report: CollectionReport
        var floating: Int?
        var goal: Int
    }
}
