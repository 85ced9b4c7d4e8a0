// ConcurrentCollector: tri-colour marking concurrent with the mutator goroutines (Go's
// mgc.go cycle), parameterised by a BarrierPlan into Dijkstra, Yuasa, Go 1.8's hybrid,
// their ablations, and any plan a user registers (Collectors/CollectorKind.swift).
//
// Colours are defined in Object/ObjectColor.swift (a pointer in a write-barrier buffer counts
// as grey: buffers are flushed before marking can end). Shading and scanning are the mark
// engine's (Mark/MarkEngine.swift), the barrier is Barrier/WriteBarrier.swift, and this
// folder sequences the cycle. Marking is done when nothing is grey; then every white object is garbage if and
// only if no reachable object was ever hidden from the marker. A concurrent mutator can hide
// one by (a) writing a pointer to a white object into a black object and (b) destroying
// every other path to it from grey objects. Each algorithm forbids one half:
//
//   Dijkstra insertion (1978), Go 1.5-1.7:  shade(ptr); *slot = ptr.
//     Forbids (a) for heap and global slots: the strong invariant (no black object points
//     to a white one). Stack writes carry no barrier (too expensive), so stacks may point
//     to white objects; every stack is therefore re-scanned with the world stopped at mark
//     termination. That re-scan is a pause that grows with the number of goroutines.
//
//   Yuasa deletion (1990), "snapshot at the beginning":  shade(*slot); *slot = ptr.
//     Forbids (b): an overwritten pointer is shaded, so everything reachable in the
//     snapshot taken when marking started stays reachable from grey objects (the weak
//     invariant: every white object pointed to by a black object is reachable from a grey
//     object through white objects). The snapshot must include the stacks, which have no
//     barrier: all stacks are scanned in the first stop-the-world, before any heap object.
//
//   Go 1.8 hybrid (proposal 17503):  shade(*slot); if current stack is grey: shade(ptr);
//     *slot = ptr. Stacks are scanned one goroutine at a time, stopping only that goroutine,
//     and a scanned stack is black and is never scanned again. Until a goroutine's stack is
//     scanned its writes also shade the new pointer (Dijkstra's half covers the grey stack);
//     after, the deletion half protects what it can no longer see. Objects are allocated
//     black while marking (with allocate-white a new object whose only reference sits in a
//     black stack would be freed). Goroutine creation and channel sends move pointers
//     between stacks: they shade them while marking.
//
//   Steele (1975):  if the object written into is black: make it grey again; *slot = ptr.
//     Forbids (a) like Dijkstra, from the other end: the source is scanned again instead
//     of the target being shaded, and stacks are re-scanned as for Dijkstra. Not a
//     built-in: Sources/CollectorExamples builds it from the public plan
//     (`BarrierPlan.regreySource`), as a user would.
//
// The cycle (runCycle, on a coordinator goroutine):
//   1. STW sweep termination: flush allocation caches, finish the last sweep (every object
//      white), cycle += 1, every stack grey, shade the globals, (Yuasa) scan all stacks,
//      enable the write barrier and allocate-black.
//   2. Concurrent mark: the coordinator shades what objects with finalizers reach (Go's
//      markrootSpans; Runtime/Finalizers.swift); mark-worker goroutines (25% of GOMAXPROCS: dedicated workers, plus a
//      fractional worker when rounding is off by more than 30%) drain grey objects, idle Ps
//      run idle workers, and allocating goroutines pay paced assists
//      (+Pacing, +Workers, +Assist); the coordinator marks nothing itself: it scans stacks as
//      the plan says (+Stacks) and waits for the work to run out (+Mark).
//   3. Mark completion: when no worker has work, stop the world and flush every P's
//      write-barrier buffer and local work; if that produced work, restart the world and go
//      back to 2 (Go uses a ragged forEachP flush here; we flush with the world stopped).
//   4. STW mark termination: (Dijkstra) re-scan every stack and drain; clear weak references
//      to unmarked objects, queue unmarked finalizable objects and set their own mark bits
//      (their referents were marked in 2: no drain; Runtime/WeakRefs.swift, Finalizers.swift);
//      checkmark at check level cheap+; disable
//      the barrier; flush caches; start the sweep; set the next goal.
//   5. Concurrent sweep (lazy + background sweeper), as for markSweep.
//
// Why it is safe (for the safe plans): between 1 and 4 every pointer a mutator can hide is
// either shaded by the barrier, held by a stack that is scanned after the hiding write
// (Dijkstra's re-scan, the hybrid's grey-stack rule) or was reachable in the snapshot
// (Yuasa), and new objects are black. Checkmark verifies the outcome every cycle.

import GMP
import Synchronization

/// `@unchecked Sendable`: shared by the cycle's coordinator, its workers and every mutator;
/// each mutable field is an atomic, guarded by a lock, or touched only with the world stopped
/// or on the coordinator (each says which).
package final class ConcurrentCollector: Collector, @unchecked Sendable {
    unowned let rt: TriColorRuntime
    let kind: CollectorKind
    let plan: BarrierPlan
    let heap: Heap
    /// The marker every worker, assist and barrier of this collector shares.
    let engine: MarkEngine
    let barrier: WriteBarrier
    /// Check level full: the tri-colour invariant check after every step.
    let checker: InvariantChecker?
    let checkmark: Bool
    var pool: WorkPool { engine.pool }

    // Per cycle. Atomics are relaxed counters unless they say otherwise.
    /// Tells workers and assists to keep going; set while runCycle's mark runs.
    let active = Atomic<Bool>(false)
    /// Workers inside a drain (sequentially consistent with the pool's lock).
    let busyWorkers = Atomic<Int>(0)
    /// Objects scanned by idle-priority workers, over the runtime's life.
    let idleWorkerScans = Atomic<Int>(0)
    /// `markStart` on the scheduler clock (virtual in deterministic mode). Set in beginMark
    /// (world stopped); read by workers and assists after the world restarts (the restart
    /// orders the write before their reads). So are the two below.
    private(set) var markStartClock: Int64 = 0
    /// Scan work (bytes) this cycle is expected to need, and the most it could need.
    private(set) var expectedScanWork = 0
    private(set) var worstCaseScanWork = 0
    /// Bytes scanned by the last finished mark (cycle owner).
    private var lastScanWork = 0
    /// Background scan work banked for assists to steal (Go's bgScanCredit), bytes.
    let bgScanCredit = Atomic<Int>(0)
    /// Assists waiting for credit or the end of the mark.
    let assistQueue = AssistQueue()
    /// When the sleeping fractional worker's share is back under its goal (scheduler clock;
    /// .max while it runs or there is none). A hint for `yieldToDueWorker`.
    let fractionalWakeAt = Atomic<Int64>(.max)
    /// The fractional worker's marking time this cycle, on the scheduler clock (relaxed).
    let fractionalCycleNS = Atomic<Int64>(0)
    /// The last cycle's fractional-worker share of one P over its mark (scheduler clock;
    /// nil without a fractional worker). Cycle owner.
    private(set) var lastFractionalShare: Double? = nil
    /// GC CPU counters when the mark began (cycle owner; the pacer's utilization).
    private var cpuAtMarkStart = GCCPUTime()
    /// Counters of the last finished mark (cycle owner, world stopped).
    private(set) var heapAtMarkEnd = 0
    private(set) var heapInUseAtMarkEnd = 0
    private(set) var lastBarrierCalls = 0
    private(set) var lastShades = 0
    var lastFloatingGarbage: Int? = nil

    func setBarrierCounters(calls: Int, shades: Int) { (lastBarrierCalls, lastShades) = (calls, shades) }

    /// Uses the runtime's barrier, whose plan and engine were made for `kind`.
    init(runtime: TriColorRuntime, kind: CollectorKind) {
        rt = runtime
        self.kind = kind
        barrier = runtime.barrier
        plan = barrier.plan
        engine = barrier.engine
        checker = barrier.checker
        heap = runtime.heap
        checkmark = runtime.config.checkLevel >= .cheap
        if let checker {
            let heap = runtime.heap
            // Weak: the checker holds the engine, so a strong capture is a cycle that kept
            // the engine, its pool's scheduler and the heap (its arena) alive forever.
            engine.afterScan = { [weak checker] r in checker?.check(after: "scan of \(heap.describe(r))") }
        }
        let sched = runtime.scheduler
        engine.pool.onWork = { [unowned runtime] in
            if runtime.marking.load(ordering: .relaxed) { sched.wakeIdleProcessor() }
        }
    }

    // MARK: - The cycle

    func runCycle(reason: GCReason) -> GCCycleRecord {
        let sched = rt.scheduler
        let start = nanotime()
        let heapStart = heap.heapLiveBytes
        let cycleGoal = rt.pacer.goal.load(ordering: .relaxed)
        var pauses: [Int64] = []
        rt.sweepBeforeCycle()

        // 1. Sweep termination (world stopped). Every stop-the-world phase runs on the
        // system stack, as Go's do: nothing of it touches this goroutine's small stack.
        let ((stwStart, t1), pause) = sched.withWorldStoppedOnSystemStack(reason: "GC sweep termination (\(kind))") { w in
            beginMark()
            return (w.requested, nanotime())
        }
        pauses.append(pause)
        rt.eventLog.record(GCEvent(kind: .stw, name: "sweep termination", start: stwStart, end: stwStart + pause))

        // 2. Concurrent mark.
        let workers = startWorkers()
        if rt.finalizers.shadeReferentsWhileMarking { shadeFinalizerReferents(of: rt.finalizers.registeredObjects()) }
        switch plan.stacks {
        case .concurrentThenRescan, .concurrentOnce, .blackenEach:
            scanStacksConcurrently()
        case .concurrentAfterHeap:
            waitUntilIdle()
            scanStacksConcurrently()
        case .snapshotAtStart:
            break
        }

        // 3. Mark completion, 4. mark termination.
        var rounds = 0
        var t2: Int64 = 0, violations: [CheckmarkViolation] = [], goal = 0
        while true {
            waitUntilIdle()
            rounds += 1
            let (done, pause) = sched.withWorldStoppedOnSystemStack(reason: "GC mark termination (\(kind))") { w -> (stop: Int64, finished: Bool) in
                if flushAllProcessors() && rounds < 16 { return (w.requested, false) }
                t2 = nanotime()
                active.store(false, ordering: .relaxed)
                let markClock = clock() - markStartClock
                lastFractionalShare = markClock > 0 && workers.fractional > 0
                    ? Double(fractionalCycleNS.load(ordering: .relaxed)) / Double(markClock) : nil
                violations = finishMark()
                if violations.isEmpty {
                    goal = rt.pacer.cycleEnded(measurement(marked: engine.liveBytes, heapStart: heapStart, markNS: t2 - t1))
                }
                return (w.requested, true)
            }
            pauses.append(pause)
            rt.eventLog.record(GCEvent(kind: .stw, name: done.finished ? "mark termination" : "mark completion flush",
                                       start: done.stop, end: done.stop + pause))
            if done.finished { break }
        }
        checker?.raisePendingFailure()
        if let v = violations.first {
            gcFailure("\(v) (\(violations.count) reachable objects left unmarked by \(kind) in GC cycle \(heap.cycle))")
        }
        let marked = engine.liveBytes
        let heapEnd = heapAtMarkEnd
        rt.eventLog.record(GCEvent(kind: .mark, name: "mark (\(kind))", start: t1, end: t2))
        workers.markDone.close()
        workers.group.wait()
        return GCCycleRecord(
            cycle: Int(heap.cycle), reason: reason, collector: kind, start: start,
            sweepTermNS: t1 - start, markNS: t2 - t1, markTermNS: pauses.last!,
            pauses: pauses, heapStart: heapStart, heapEnd: heapEnd, heapMarked: marked,
            nextGoal: goal, procs: sched.procs, goal: cycleGoal, markedObjects: engine.markedObjects.load(ordering: .relaxed),
            barrierCalls: lastBarrierCalls, shades: lastShades, floatingGarbageBytes: lastFloatingGarbage)
    }

    /// Sweep termination and mark setup. World stopped.
    func beginMark() {
        heap.flushCaches()
        heap.finishSweep()
        engine.begin()
        bgScanCredit.store(0, ordering: .relaxed)
        fractionalWakeAt.store(.max, ordering: .relaxed)
        fractionalCycleNS.store(0, ordering: .relaxed)
        markStartClock = rt.scheduler.now()
        cpuAtMarkStart = rt.cpu.snapshot(sweepNS: 0)
        worstCaseScanWork = max(heap.heapLiveBytes, 1 << 16)
        expectedScanWork = lastScanWork > 0 ? lastScanWork : worstCaseScanWork
        let gcw = rt.perP().gcw
        for i in 0..<heap.globalCount { engine.shadeRoot(heap.globals[i], into: gcw, from: "global[\(i)]") }
        rt.extraRoots.forEach { engine.shadeRoot($0, into: gcw, from: "a channel buffer or the finalizer queue") }
        if plan.stacks == .snapshotAtStart {
            rt.scheduler.forEachGoroutine { g in scanStack(g, gcw) }
        }
        barrier.setEnabled(true)
        rt.marking.store(true, ordering: .relaxed)
    }

    /// Shades what each of `objects` (objects with finalizers) reaches, not the objects
    /// (Go's markrootSpans; Runtime/Finalizers.swift step 1), on this P, on the system
    /// stack, with a safe point between batches.
    func shadeFinalizerReferents(of objects: [Ref]) {
        var i = 0
        while i < objects.count {
            let batch = objects[i..<min(i + 256, objects.count)]
            Goroutine.onSystemStack { () -> Void in
                let gcw = rt.perP().gcw
                for r in batch { engine.shadeReferents(of: r, into: gcw) }
            }
            i += batch.count
            if i < objects.count { Goroutine.safePoint() }
        }
    }

    /// What the mark measured, for the pacer. World stopped, after finishMark.
    private func measurement(marked: Int, heapStart: Int, markNS: Int64) -> MarkMeasurement {
        let cpu = rt.cpu.snapshot(sweepNS: 0)
        var m = MarkMeasurement()
        m.heapMarked = marked
        m.heapScan = lastScanWork
        m.stackScan = engine.stackScanBytes.load(ordering: .relaxed)
        m.globalsScan = heap.globalCount * 8
        m.heapLiveAtTrigger = heapStart
        m.heapLiveAtEnd = heapAtMarkEnd
        m.heapInUse = heapInUseAtMarkEnd
        m.markNS = markNS
        m.assistNS = cpu.assistNS - cpuAtMarkStart.assistNS
        m.idleNS = cpu.idleNS - cpuAtMarkStart.idleNS
        m.procs = rt.scheduler.procs
        return m
    }

    /// Mark termination. World stopped; every P's buffers already flushed. Returns the
    /// checkmark violations (empty when the check level is off or all is well).
    func finishMark() -> [CheckmarkViolation] {
        engine.phase.store(.termination, ordering: .relaxed)
        // The world is stopped: drains, re-scans and checks run on the system stack.
        // A violation the invariant checker finds here is raised by the caller, once off
        // the system stack (`checker.raisePendingFailure()`).
        Goroutine.onSystemStack {
            markRemaining()
            let gcw = rt.perP().gcw
            if rt.weakAndFinalizersAtMarkTermination(markObject: { self.engine.markWithoutScan($0) },
                                                     shadeReferents: { self.engine.shadeReferents(of: $0, into: gcw) }) {
                engine.drainAll(gcw)
            }
        }
        let violations = verifyMark()
        collectBarrierCounters()
        barrier.setEnabled(false)
        rt.marking.store(false, ordering: .releasing)
        assistQueue.wakeAll()
        heap.flushCaches()
        lastScanWork = engine.markedBytes.load(ordering: .relaxed)
        heapAtMarkEnd = heap.heapLiveBytes
        heapInUseAtMarkEnd = heap.heapInUseBytes
        engine.end()
        return violations
    }
}
