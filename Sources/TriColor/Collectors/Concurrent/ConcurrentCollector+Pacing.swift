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
// worker whose sleep is over (it checks once per 16 KiB allocated and before every
// assist), since cooperative scheduling would otherwise run the worker only when sysmon
// preempts the mutator (10 ms). Go's scheduler picks the worker at the next schedule()
// instead. Assists and worker bursts end early when their goroutine is asked to stop (a
// stop of the world, sysmon), as Go's gcDrain and gcDrainN stop on gp.preempt.
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

    // MARK: The assist ratio

    /// The assist ratio now (Go's revise): scan-work bytes owed per byte allocated, and its
    /// inverse. Callable from any goroutine; reads only atomics.
    func assistRatio() -> (workPerByte: Double, bytesPerWork: Double) {
        let live = heap.heapLiveBytes
        var goal = rt.pacer.goal.load(ordering: .relaxed)
        // GOGC off (no goal): nothing to pace against, so assists owe (almost) nothing.
        if goal >= Int.max / 4 { return (0, 1e9) }
        let done = engine.markedBytes.load(ordering: .relaxed)
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
}
