// ConcurrentCollector: tri-colour marking concurrent with the mutator goroutines (Go's
// mgc.go cycle), parameterised by a BarrierPlan into Dijkstra, Yuasa, Go 1.8's hybrid and
// their ablations.
//
// Colours (Heap+Shade.swift): white = unmarked; grey = marked and on a work queue (or in a
// write-barrier buffer, which is flushed before marking can end); black = marked and
// scanned. Marking is done when nothing is grey; then every white object is garbage if and
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
// The cycle (runCycle, on a coordinator goroutine):
//   1. STW sweep termination: flush allocation caches, finish the last sweep (every object
//      white), cycle += 1, every stack grey, shade the globals, (Yuasa) scan all stacks,
//      enable the write barrier and allocate-black.
//   2. Concurrent mark: mark-worker goroutines (25% of GOMAXPROCS: dedicated workers, plus a
//      fractional worker when rounding is off by more than 30%) drain grey objects, idle Ps
//      run idle workers, and allocating goroutines pay paced assists
//      (ConcurrentCollector+Pacing.swift); the coordinator marks nothing itself: it scans
//      stacks as the plan says and waits for the work to run out.
//   3. Mark completion: when no worker has work, stop the world and flush every P's
//      write-barrier buffer and local work; if that produced work, restart the world and go
//      back to 2 (Go uses a ragged forEachP flush here; we flush with the world stopped).
//   4. STW mark termination: (Dijkstra) re-scan every stack and drain; checkmark at check
//      level cheap+; disable the barrier; flush caches; start the sweep; set the next goal.
//   5. Concurrent sweep (lazy + background sweeper), as for markSweep.
//
// Why it is safe (for the safe plans): between 1 and 4 every pointer a mutator can hide is
// either shaded by the barrier, held by a stack that is scanned after the hiding write
// (Dijkstra's re-scan, the hybrid's grey-stack rule) or was reachable in the snapshot
// (Yuasa), and new objects are black. Checkmark verifies the outcome every cycle.

import CContext
import GMP
import Synchronization

/// `@unchecked Sendable`: shared by the cycle's coordinator, its workers and every mutator;
/// each mutable field is an atomic, guarded by a lock, or touched only with the world stopped
/// or on the coordinator (each says which).
package final class ConcurrentCollector: Collector, @unchecked Sendable {
    unowned let rt: TriColorRuntime
    let kind: CollectorKind
    let plan: BarrierPlan
    let pool = WorkPool()
    let heap: Heap
    let checkmark: Bool
    let fullChecks: Bool

    // Per cycle. Atomics are relaxed counters; `active` tells workers to keep going.
    let markedBytes = Atomic<Int>(0)
    let markedObjects = Atomic<Int>(0)
    let allocatedBlackBytes = Atomic<Int>(0)
    let active = Atomic<Bool>(false)
    /// Workers inside a drain (sequentially consistent with the pool's lock).
    let busyWorkers = Atomic<Int>(0)
    /// Objects scanned by idle-priority workers, over the runtime's life (relaxed).
    let idleWorkerScans = Atomic<Int>(0)
    /// Scan steps this cycle (for invariant-failure reports).
    let steps = Atomic<Int>(0)
    /// Cycle phase, for reports: 0 off, 1 mark, 2 mark termination.
    let phase = Atomic<Int>(0)
    /// Set in beginMark / finishMark by the cycle owner (world stopped); read by workers and
    /// assists after the world restarts (the restart orders the write before their reads).
    private var markStart: Int64 = 0
    /// `markStart` on the scheduler clock (virtual in deterministic mode).
    private(set) var markStartClock: Int64 = 0
    /// Scan work (bytes) this cycle is expected to need, and the most it could need; set in
    /// beginMark like `markStart`.
    private(set) var expectedScanWork = 0
    private(set) var worstCaseScanWork = 0
    /// Bytes scanned by the last finished mark (cycle owner).
    private var lastScanWork = 0
    /// Background scan work banked for assists to steal (Go's bgScanCredit), bytes; relaxed.
    let bgScanCredit = Atomic<Int>(0)
    /// Assists waiting for credit or the end of the mark.
    let assistQueue = AssistQueue()
    /// When the sleeping fractional worker's share is back under its goal (scheduler clock;
    /// .max while it runs or there is none). Relaxed: a hint for `yieldToDueWorker`.
    let fractionalWakeAt = Atomic<Int64>(.max)
    private(set) var heapAtMarkEnd = 0
    /// This cycle's stack epoch: a goroutine's stack is black (scanned this cycle) iff its
    /// `collectorWord` equals it. Written in the sweep-termination pause; read by the barrier
    /// and the stack scanner after the world restarts.
    private(set) var stackEpoch: UInt64 = 0

    /// Whether `g`'s stack has been scanned (is black) in the current cycle.
    @inline(__always)
    package func isStackBlack(_ g: Goroutine) -> Bool { g.collectorWord == stackEpoch }

    /// Makes a goroutine created while marking start black (its stack is empty).
    func markNewGoroutineBlack(_ g: Goroutine) { g.collectorWord = stackEpoch }
    /// Counters of the last finished mark (cycle owner, world stopped).
    private(set) var lastBarrierCalls = 0
    private(set) var lastShades = 0
    private(set) var lastFloatingGarbage: Int? = nil

    init(runtime: TriColorRuntime, kind: CollectorKind) {
        rt = runtime
        self.kind = kind
        plan = BarrierPlan.for(kind)
        heap = runtime.heap
        checkmark = runtime.config.checkLevel >= .cheap
        fullChecks = runtime.config.checkLevel >= .full
        let sched = runtime.scheduler
        pool.onWork = { [unowned self] in
            if self.rt.marking.load(ordering: .relaxed) { sched.wakeIdleProcessor() }
        }
    }

    var phaseName: String { ["off", "mark", "mark termination"][phase.load(ordering: .relaxed)] }

    // MARK: - The cycle

    func runCycle(reason: GCReason) -> GCCycleRecord {
        let sched = rt.scheduler
        let start = nanotime()
        let heapStart = heap.heapLiveBytes
        var pauses: [Int64] = []
        rt.sweepBeforeCycle()

        // 1. Sweep termination (world stopped).
        var w = sched.stopTheWorld(reason: "GC sweep termination (\(kind))")
        beginMark()
        let t1 = nanotime()
        pauses.append(sched.startTheWorld(w))
        rt.eventLog.record(GCEvent(kind: .stw, name: "sweep termination", start: w.requested, end: nanotime()))

        // 2. Concurrent mark.
        let workers = startWorkers()
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
        while true {
            waitUntilIdle()
            w = sched.stopTheWorld(reason: "GC mark termination (\(kind))")
            rounds += 1
            let found = flushAllProcessors()
            if found && rounds < 16 {
                pauses.append(sched.startTheWorld(w))
                rt.eventLog.record(GCEvent(kind: .stw, name: "mark completion flush", start: w.requested, end: nanotime()))
                continue
            }
            break
        }
        let t2 = nanotime()
        active.store(false, ordering: .relaxed)
        let violations = finishMark()
        if let v = violations.first {
            gcFailure("\(v) (\(violations.count) reachable objects left unmarked by \(kind) in GC cycle \(heap.cycle))")
        }
        let marked = markedBytes.load(ordering: .relaxed) + allocatedBlackBytes.load(ordering: .relaxed)
        let heapEnd = heapAtMarkEnd
        let goal = rt.pacer.cycleEnded(marked: marked, allocatedDuringMark: max(0, heapEnd - heapStart))
        let t3 = nanotime()
        pauses.append(sched.startTheWorld(w))
        rt.eventLog.record(GCEvent(kind: .stw, name: "mark termination", start: w.requested, end: nanotime()))
        rt.eventLog.record(GCEvent(kind: .mark, name: "mark (\(kind))", start: t1, end: t2))
        workers.wait()
        return GCCycleRecord(
            cycle: Int(heap.cycle), reason: reason, collector: kind, start: start,
            sweepTermNS: t1 - start, markNS: t2 - t1, markTermNS: max(t3 - t2, pauses.last!),
            pauses: pauses, heapStart: heapStart, heapEnd: heapEnd, heapMarked: marked,
            nextGoal: goal, procs: sched.procs, markedObjects: markedObjects.load(ordering: .relaxed),
            barrierCalls: lastBarrierCalls, shades: lastShades, floatingGarbageBytes: lastFloatingGarbage)
    }

    /// Sweep termination and mark setup. World stopped.
    func beginMark() {
        heap.flushCaches()
        heap.finishSweep()
        heap.gcCycle.wrappingAdd(1, ordering: .relaxed)
        markedBytes.store(0, ordering: .relaxed)
        markedObjects.store(0, ordering: .relaxed)
        allocatedBlackBytes.store(0, ordering: .relaxed)
        steps.store(0, ordering: .relaxed)
        bgScanCredit.store(0, ordering: .relaxed)
        fractionalWakeAt.store(.max, ordering: .relaxed)
        markStart = nanotime()
        markStartClock = rt.scheduler.now()
        worstCaseScanWork = max(heap.heapLiveBytes, 1 << 16)
        expectedScanWork = lastScanWork > 0 ? lastScanWork : worstCaseScanWork
        // Every stack is grey: a stack is black only while its collectorWord equals this
        // cycle's epoch, so starting a cycle costs no pass over the goroutines.
        stackEpoch = UInt64(heap.cycle)
        let gcw = rt.perP().gcw
        for i in 0..<heap.globalCount { shadeInto(heap.globals[i], gcw) }
        rt.extraRoots.forEach { shadeInto($0, gcw) }
        if plan.stacks == .snapshotAtStart {
            rt.scheduler.forEachGoroutine { g in scanStack(g, gcw) }
        }
        rt.barrierEnabled.store(plan.hasBarrier, ordering: .relaxed)
        rt.marking.store(true, ordering: .relaxed)
        phase.store(1, ordering: .relaxed)
    }

    /// Mark termination. World stopped; every P's buffers already flushed. Returns the
    /// checkmark violations (empty when the check level is off or all is well).
    func finishMark() -> [CheckmarkViolation] {
        phase.store(2, ordering: .relaxed)
        let gcw = rt.perP().gcw
        _ = flushAllProcessors()
        drainAll(gcw)
        if plan.stacks == .concurrentThenRescan {
            rt.scheduler.forEachGoroutine { g in scanStack(g, gcw) }
            drainAll(gcw)
        }
        if fullChecks { checkInvariants(after: "mark termination") }
        let roots = GoroutineRoots(scheduler: rt.scheduler, extra: rt.extraRoots)
        let violations = checkmark || rt.config.measureFloatingGarbage ? heap.checkmark(roots: roots) : []
        lastFloatingGarbage = rt.config.measureFloatingGarbage ? heap.markedButUnreachableBytes() : nil
        (lastBarrierCalls, lastShades) = (0, 0)
        for p in rt.scheduler.allp {
            guard let s = p.localStorage else { continue }
            let w = unsafeDowncast(s, to: PerP.self).gcw
            lastBarrierCalls += w.barrierCalls
            lastShades += w.shades
            (w.barrierCalls, w.shades) = (0, 0)
        }
        rt.barrierEnabled.store(false, ordering: .relaxed)
        rt.marking.store(false, ordering: .releasing)
        assistQueue.wakeAll()
        phase.store(0, ordering: .relaxed)
        heap.flushCaches()
        let marked = markedBytes.load(ordering: .relaxed) + allocatedBlackBytes.load(ordering: .relaxed)
        lastScanWork = markedBytes.load(ordering: .relaxed)
        heapAtMarkEnd = heap.heapLiveBytes
        let c = heap.counters
        let markNS = Int(nanotime() - markStart)
        c.liveBytes.store(marked, ordering: .relaxed)
        c.liveObjects.store(markedObjects.load(ordering: .relaxed), ordering: .relaxed)
        c.inUseAtMark.store(heap.heapInUseBytes, ordering: .relaxed)
        c.lastMarkNanos.store(markNS, ordering: .relaxed)
        c.totalMarkNanos.wrappingAdd(markNS, ordering: .relaxed)
        heap.resetHeapLive(toMarked: marked)
        heap.startSweepCycle()
        c.collections.wrappingAdd(1, ordering: .relaxed)
        return violations
    }

    // MARK: - Stacks

    /// Shades every root slot of `g`; under the hybrid plan the stack turns black. The
    /// goroutine must be stopped (suspended, world stopped, or the caller itself).
    func scanStack(_ g: Goroutine, _ gcw: GCWork) {
        let st = g.currentStatus
        if st == .dead || st == .idle { return }
        let roots = g.roots
        for i in 0..<roots.count { shadeInto(Ref(offset: roots[i]), gcw) }
        g.collectorWord = stackEpoch
        if fullChecks { checkInvariants(after: "scan of goroutine \(g.id)'s stack") }
    }

    /// Scans every goroutine's stack, stopping one goroutine at a time.
    func scanStacksConcurrently() {
        let me = Goroutine.current!
        var gs: [Goroutine] = []
        rt.scheduler.forEachGoroutine { gs.append($0) }
        for g in gs where !g.isSystem && !isStackBlack(g) {
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

    // MARK: - Draining

    @inline(__always)
    func shadeInto(_ r: Ref, _ gcw: GCWork) {
        if heap.shade(r) {
            gcw.shades &+= 1
            gcw.push(r, pool: pool)
        }
    }

    /// Scans up to `budget` grey objects from this P's work (then the pool). Returns the
    /// objects scanned and their bytes (the scan work). No safe point inside.
    @discardableResult
    func drain(budget: Int) -> (objects: Int, bytes: Int) {
        let gcw = rt.perP().gcw
        var n = 0, bytes = 0
        while n < budget, let r = gcw.pop(pool: pool) {
            bytes += heap.blacken(r) { v in shadeInto(v, gcw) }
            n += 1
            if n & 63 == 0 { gcw.balance(pool: pool) }
            if fullChecks {
                steps.add(1, ordering: .relaxed)
                checkInvariants(after: "scan of \(heap.describe(r))")
            }
        }
        if n > 0 {
            markedBytes.add(bytes, ordering: .relaxed)
            markedObjects.add(n, ordering: .relaxed)
        }
        gcw.publishLocalCount()
        return (n, bytes)
    }

    /// With the world stopped: drains everything.
    func drainAll(_ gcw: GCWork) {
        while drain(budget: .max).objects > 0 {}
    }

    /// The coordinator waits (marking nothing itself) until the work has run out: the pool
    /// is empty, no worker is inside a drain, and no P holds local grey objects; a P whose
    /// local work nobody drains (its goroutines neither assist nor run a worker) is flushed
    /// by the mark-completion stop after 1 ms without progress. Polls every 100 us.
    func waitUntilIdle() {
        var idleRounds = 0
        var lastProgress = clock(), lastMarked = markedObjects.load(ordering: .relaxed)
        while true {
            let marked = markedObjects.load(ordering: .relaxed)
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

    /// With the world stopped: moves every P's barrier buffer and local grey objects to
    /// the pool. Returns true if there is anything to mark.
    func flushAllProcessors() -> Bool {
        var found = false
        for p in rt.scheduler.allp {
            guard let s = p.localStorage else { continue }
            let gcw = unsafeDowncast(s, to: PerP.self).gcw
            flushBarrierBuffer(gcw)
            if !gcw.grey.isEmpty {
                found = true
                pool.put(gcw.grey)
                gcw.grey.removeAll(keepingCapacity: true)
                gcw.publishLocalCount()
            }
        }
        return found || !pool.isEmpty
    }

    // MARK: - Workers (Go's gcBgMarkWorker) and assists

    /// Starts 25% of GOMAXPROCS as mark workers: `round(0.25 P)` dedicated ones, or, when
    /// that rounding is off by more than 30%, `floor(0.25 P)` dedicated plus one fractional
    /// worker that runs the remaining fraction of one P (Go's gcControllerState.startCycle).
    func startWorkers() -> WaitGroup {
        let wg = WaitGroup()
        active.store(true, ordering: .relaxed)
        let goal = 0.25 * Double(rt.scheduler.procs)
        var dedicated = Int(goal.rounded())
        var fractional = 0.0
        if dedicated == 0 || abs(Double(dedicated) - goal) / goal > 0.3 {
            dedicated = Int(goal.rounded(.down))
            fractional = goal - Double(dedicated)
        }
        // isSystem is set by the parent before the worker can run: the worker setting it
        // itself raced with scanStacksConcurrently reading it from the coordinator.
        // Borrowed, not retained: a worker abandoned by a failing run must not keep the
        // collector (and so the heap's arena) alive.
        let me = Unmanaged.passUnretained(self)
        for _ in 0..<dedicated {
            wg.add(1)
            go(prepare: { $0.isSystem = true }) { me._withUnsafeGuaranteedRef { $0.worker(share: nil) }; wg.done() }
        }
        if fractional > 0.001 {
            let share = fractional
            wg.add(1)
            go(prepare: { $0.isSystem = true }) { me._withUnsafeGuaranteedRef { $0.worker(share: share) }; wg.done() }
        }
        return wg
    }

    /// Whether an idle P should run an idle mark worker now.
    var hasIdleWork: Bool { rt.marking.load(ordering: .relaxed) && !pool.isEmpty }

    func allocatedWhileMarking(_ r: Ref, size: Int) {
        if plan.allocateBlack {
            heap.markAllocatedBlack(r)
            allocatedBlackBytes.add(size, ordering: .relaxed)
        }
    }

    @inline(__always)
    func withGCWork<R>(_ body: (GCWork) -> R) -> R { body(rt.perP().gcw) }

    func pointersMoved(_ refs: [Ref]) {
        guard plan.hasBarrier else { return }
        let gcw = rt.perP().gcw
        for r in refs { shadeInto(r, gcw) }
    }

    // MARK: - Checkmark

    /// Reports a collector failure: the run stops and `TriColorRuntime.run` throws
    /// `SchedulerError.panic` with this message.
    func gcFailure(_ message: String) -> Never {
        Goroutine.panic("GC: \(message)")
    }
}
