// Marking held to a CPU budget (Go's mgcpacer.go: gcControllerState, and mgcmark.go:
// gcAssistAlloc, gcFlushBgCredit; proc.go: findRunnableGCWorker, pollFractionalWorkerExit).
//
// The problem. A concurrent collector that marks as fast as it can takes the whole
// processor: at GOMAXPROCS=1 the mutator stops for the whole mark, however short the
// stop-the-world pauses are. Go bounds what marking takes instead:
//
//   * Background marking aims at 25% of GOMAXPROCS (gcBackgroundUtilization). That is
//     round(0.25 P) dedicated workers, each owning a P while marking; when the rounding is
//     off by more than 30% (P = 1, 2, 3, 6, ...) it is floor(0.25 P) dedicated workers plus
//     one fractional worker whose share of one P is the rest. The fractional worker runs
//     only while its time since mark start is under its share and stops as soon as it
//     passes 1.2 x its share (pollFractionalWorkerExit).
//   * The cycle's coordinator does not mark: it starts workers, schedules stack scans,
//     and detects completion.
//   * Allocation pays the rest. Each goroutine holds assist credit in bytes (Go's
//     gcAssistBytes); allocating n bytes while marking debits n. A goroutine in debt first
//     steals credit the background workers banked (bgScanCredit); else it scans
//     debt x assistWorkPerByte bytes of grey objects itself (at least `overAssistWork`, so
//     assists are not tiny); if no grey object is left it parks on the assist queue until
//     the workers bank credit or marking ends.
//   * `revise` keeps the assist ratio honest as marking goes (Go's revise()):
//         scanWorkRemaining = expectedScanWork - scanWorkDone
//         heapRemaining     = heapGoal - heapLive   (past the goal: the hard goal 1.1 x goal)
//         assistWorkPerByte = scanWorkRemaining / heapRemaining
//     so the mutator can never allocate past the goal faster than marking closes the gap;
//     if the scan work done passes the expectation, the worst case (everything live) and
//     the hard goal are assumed.
//
// Two deviations, for the mutator's latency on one P. One assist does at most
// `maxAssistWork` (256 KiB) of scan work; a larger debt (the ratio explodes past the goal)
// is paid by the following allocations, each assisting again, rather than by one
// multi-millisecond stall. And Go's fractional worker runs until its
// cumulative share since mark start passes 1.2 x its goal, so its bursts grow with the
// mark's length (a burst b satisfies b = elapsed / 14 at a 25% share). Ours also stops
// after `fractionalBurstNS` (0.5 ms) and then sleeps until its share is back at goal, so no
// worker burst is longer than that; and an allocating goroutine yields to a fractional
// worker whose sleep is over (it checks once per 16 KiB allocated), since cooperative
// scheduling would otherwise run the worker only when sysmon preempts the mutator
// (10 ms). Go's scheduler picks the worker at the next schedule() instead.
//
// Every nanosecond of this is timed where it runs and charged to the runtime's `GCCPU`
// counters (dedicated, fractional, idle, assist, coordinator) and, when events are
// recorded, as a slice on its P's track: the MMU is computed from those slices.

import CContext
import GMP
import Synchronization

extension ConcurrentCollector {
    /// Longest burst of the fractional worker (see the essay).
    static let fractionalBurstNS: Int64 = 500_000
    /// Smallest unit of assist scan work (Go's gcOverAssistWork): 64 KiB.
    static let overAssistWork = 64 << 10
    /// Most scan work one assist does (see the essay): 256 KiB.
    static let maxAssistWork = 256 << 10
    /// An allocating goroutine looks at the clock once per this many bytes.
    static let yieldCheckBytes: Int64 = 16 << 10

    /// The scheduler clock: virtual in deterministic mode.
    @inline(__always)
    func clock() -> Int64 { rt.scheduler.now() }

    /// Time a drain of `objects` objects took, `t0` being the clock before it. Deterministic
    /// runs charge 1 us per object instead, so that virtual time (and so every replay) does
    /// not depend on the host's speed.
    @inline(__always)
    func elapsed(since t0: Int64, objects: Int) -> Int64 {
        rt.scheduler.config.deterministic != nil ? Int64(objects) * 1_000 : nanotime() - t0
    }

    // MARK: Background workers (Go's gcBgMarkWorker)

    /// A dedicated (`share == nil`) or fractional background mark worker. Runs until the
    /// cycle ends (`active` false).
    func worker(share: Double?) {
        let kind: GCCPUKind = share == nil ? .dedicated : .fractional
        var selfNS: Int64 = 0
        while active.load(ordering: .relaxed) {
            if let f = share {
                // Run only while this worker's time since mark start is under its share.
                let sinceStart = clock() - markStartClock
                let allowed = Int64(f * Double(sinceStart))
                if selfNS >= allowed {
                    let until = Int64(Double(selfNS) / f) - sinceStart
                    fractionalWakeAt.store(clock() + max(10_000, until), ordering: .relaxed)
                    Goroutine.sleep(nanoseconds: max(10_000, until))
                    fractionalWakeAt.store(.max, ordering: .relaxed)
                    continue
                }
            }
            let (ns, objects) = markBurst(kind: kind, share: share, selfNS: selfNS)
            selfNS += ns
            if objects == 0 {
                Goroutine.sleep(nanoseconds: 50_000)  // no grey object anywhere: wait for some
            } else if share == nil {
                Goroutine.safePoint()
            }
        }
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
            if n == 0 || !active.load(ordering: .relaxed) { break }
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

    // MARK: Assists (Go's gcAssistAlloc)

    /// The assist ratio now (Go's revise): scan-work bytes owed per byte allocated, and its
    /// inverse. Callable from any goroutine; reads only atomics.
    func assistRatio() -> (workPerByte: Double, bytesPerWork: Double) {
        let live = heap.heapLiveBytes
        var goal = rt.pacer.goal.load(ordering: .relaxed)
        // GOGC off (no goal): nothing to pace against, so assists owe (almost) nothing.
        if goal >= Int.max / 4 { return (0, 1e9) }
        let done = markedBytes.load(ordering: .relaxed)
        var expected = expectedScanWork
        if done >= expected {
            // More to scan than expected: assume the worst (everything reachable).
            expected = max(expected, worstCaseScanWork)
            goal = goal + goal / 10
        }
        var heapRemaining = goal - live
        if heapRemaining <= 0 { heapRemaining = max(1, goal + goal / 10 - live) }
        let remaining = Double(max(expected - done, 1_024))
        let workPerByte = remaining / Double(heapRemaining)
        return (workPerByte, 1 / max(workPerByte, 1e-9))
    }

    /// Charges an allocation of `bytes` to the calling goroutine's assist credit and pays a
    /// debt with an assist (see the essay). May reach safe points; called before the object
    /// is allocated.
    func assist(bytes: Int) {
        // Only cycles run by `runCycle` (with background workers) pace allocation; a mark
        // stepped by hand (teaching scenarios) does exactly the scans it is told to.
        guard active.load(ordering: .relaxed), let g = Goroutine.current, !g.isSystem else { return }
        let cycle = UInt64(heap.cycle)
        if g.collectorCreditCycle != cycle {
            g.collectorCreditCycle = cycle
            g.collectorCredit = 0
        }
        let before = g.collectorCredit
        let credit = before - Int64(bytes)
        g.collectorCredit = credit
        if before / ConcurrentCollector.yieldCheckBytes != credit / ConcurrentCollector.yieldCheckBytes {
            yieldToDueWorker()
        }
        if credit >= 0 { return }
        if rt.cpuLimiter.limiting { g.collectorCredit = 0; return }
        payDebt(g)
    }

    /// Lets a fractional worker whose sleep is over run now (see the essay).
    @inline(__always)
    private func yieldToDueWorker() {
        if fractionalWakeAt.load(ordering: .relaxed) <= clock() { Goroutine.yield() }
    }

    @inline(never)
    private func payDebt(_ g: Goroutine) {
        let ratio = assistRatio()
        var debtBytes = -g.collectorCredit
        var scanWork = Int(ratio.workPerByte * Double(debtBytes))
        if scanWork < ConcurrentCollector.overAssistWork {
            scanWork = ConcurrentCollector.overAssistWork
            debtBytes = Int64(ratio.bytesPerWork * Double(scanWork))
        } else if scanWork > ConcurrentCollector.maxAssistWork {
            // Past the goal the ratio can ask for the whole remaining mark at once; pay it over
            // the next allocations instead (the credit stays negative, so each one assists).
            scanWork = ConcurrentCollector.maxAssistWork
            debtBytes = Int64(ratio.bytesPerWork * Double(scanWork))
        }
        // Steal banked background credit first.
        var bg = bgScanCredit.load(ordering: .relaxed)
        while bg > 0 {
            let stolen = min(bg, scanWork)
            let r = bgScanCredit.compareExchange(expected: bg, desired: bg - stolen, ordering: .relaxed)
            if r.exchanged {
                if stolen == scanWork {
                    g.collectorCredit += debtBytes
                    return
                }
                scanWork -= stolen
                g.collectorCredit += Int64(ratio.bytesPerWork * Double(stolen))
                break
            }
            bg = r.original
        }
        // Scan.
        let t0 = nanotime()
        var done = 0, objects = 0
        while done < scanWork {
            let (n, work) = drain(budget: 64)
            if n == 0 { break }
            done += work
            objects += n
        }
        let t1 = nanotime()
        if objects > 0 { rt.chargeGC(.assist, ns: elapsed(since: t0, objects: objects), start: t0, end: t1) }
        g.collectorCredit += Int64(ratio.bytesPerWork * Double(done))
        if g.collectorCredit < 0 && active.load(ordering: .relaxed) {
            // No grey object left to scan: wait for the workers' credit or the end of the mark.
            assistQueue.wait(g, debt: Int(-g.collectorCredit), collector: self)
        }
    }

    /// Banks `work` bytes of background scan work: first to goroutines parked on the assist
    /// queue, the rest as credit assists can steal (Go's gcFlushBgCredit).
    func flushBackgroundCredit(_ work: Int) {
        if assistQueue.isEmptyHint {
            bgScanCredit.add(work, ordering: .relaxed)
            return
        }
        let left = assistQueue.satisfy(work: work, bytesPerWork: assistRatio().bytesPerWork)
        if left > 0 { bgScanCredit.add(left, ordering: .relaxed) }
    }
}

/// Goroutines whose assist found no grey object to scan, waiting for background credit or
/// the end of the mark (Go's work.assistQueue). Protected by `lock`.
final class AssistQueue: @unchecked Sendable {
    private let lock = HeapLock()
    private var waiters: [(g: Goroutine, parker: Parker, debt: Int)] = []   // lock
    /// `waiters.isEmpty`, mirrored for lock-free checks: written under lock, read relaxed.
    private let empty = Atomic<Bool>(true)


    var isEmptyHint: Bool { empty.load(ordering: .relaxed) }

    /// Parks the calling goroutine `g` until its `debt` (bytes) is paid by background credit
    /// or the mark ends; its credit is then zero.
    func wait(_ g: Goroutine, debt: Int, collector: ConcurrentCollector) {
        let parker = Parker(reason: .gcAssistWait)
        lock.withLock {
            waiters.append((g, parker, debt))
            empty.store(false, ordering: .relaxed)
        }
        // Marking may have ended between the caller's check and the enqueue: wake ourselves.
        if !collector.rt.marking.load(ordering: .acquiring) { wakeAll() }
        parker.park()
        g.collectorCredit = 0
    }

    /// Pays waiters, oldest first, from `work` bytes of scan work; wakes those fully paid.
    /// Returns the work left over.
    func satisfy(work: Int, bytesPerWork: Double) -> Int {
        var woken: [Parker] = []
        var left = work
        lock.withLock {
            while left > 0, !waiters.isEmpty {
                let needWork = Int(Double(waiters[0].debt) / max(bytesPerWork, 1e-9)) + 1
                if needWork <= left {
                    left -= needWork
                    woken.append(waiters.removeFirst().parker)
                } else {
                    waiters[0].debt -= Int(Double(left) * bytesPerWork)
                    left = 0
                }
            }
            empty.store(waiters.isEmpty, ordering: .relaxed)
        }
        for p in woken { p.unpark() }
        return left
    }

    /// Wakes every waiter (mark termination).
    func wakeAll() {
        let all = lock.withLock { () -> [Parker] in
            defer { waiters.removeAll(); empty.store(true, ordering: .relaxed) }
            return waiters.map(\.parker)
        }
        for p in all { p.unpark() }
    }
}
