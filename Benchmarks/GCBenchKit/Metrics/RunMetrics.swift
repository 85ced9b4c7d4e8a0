// The metrics of one measured run, computed from the runtime's statistics and event log.
//
// A benchmark run has a measured region [start, end] (nanotime): the part of the program
// being compared (for example the churn phase of live-churn, after its live tree is
// built). Every metric below covers that region only: cycles are the ones that started in
// it, counters are differences between a `GCStats` snapshot taken at `start` and one taken
// after the run.
//
// | metric               | definition                                                          |
// |----------------------|---------------------------------------------------------------------|
// | wall_ms              | end - start                                                         |
// | mutator_ms           | wall x the run's overall mutator utilization (machine time left to  |
// |                      | mutators by pauses, workers and assists, / procs)                   |
// | gc_cpu_pct           | GC processor time / (wall x procs), in percent, all of it measured  |
// |                      | (GCCPU.swift): STW pauses x procs + dedicated, fractional and idle  |
// |                      | workers + the coordinator + assists + sweeping. markSweep marks     |
// |                      | inside its pause.                                                   |
// | worker_ms            | background mark time (dedicated + fractional + coordinator + idle)  |
// | gc_cycles            | cycles that started in the region                                   |
// | pause_p50_us, _p99_us, _max_us | nearest-rank percentiles of those cycles' STW pauses      |
// | stw_ms               | total STW time in the region                                        |
// | assist_ms            | mark-assist time charged to allocating goroutines                   |
// | mark_ms              | clock time of the mark phases (concurrent, or inside the STW)       |
// | sweep_ms             | sweeping time (lazy, background and in sweep termination)           |
// | mmu_1ms/10ms/100ms   | minimum mutator utilization over windows of 1/10/100 ms, per-P: STW |
// |                      | takes every P, worker and assist slices their P (event log;         |
// |                      | MutatorUtilization.swift)                                           |
// | mmu_sweep_1ms/10ms/100ms | the same MMU with every span sweep counted as GC time on its P  |
// |                      | (lazy, background and pre-cycle sweeping; gcbench --mmu-sweep shows |
// |                      | these in the table)                                                 |
// | floating_garbage_pct | bytes marked by a cycle but unreachable at its mark termination /   |
// |                      | bytes marked, summed over the cycles; only when the run measured it |
// |                      | (RuntimeConfig.measureFloatingGarbage)                              |
// | barrier_calls        | write-barrier slow-path calls (barrier enabled) in the region       |
// | shades               | objects the barrier turned grey (white -> grey)                     |
// | peak_heap_mb         | peak bytes of spans in use within the measured region (MiB)         |
// | alloc_mb_per_s       | bytes allocated in the region (MiB) / wall seconds                  |

import TriColor

/// Computes the standard per-run GC metrics.
public enum RunMetrics {
    /// The metric names, in the order tables and CSV files use.
    public static let names: [String] = [
        "wall_ms", "mutator_ms", "gc_cpu_pct", "gc_cycles", "pause_p50_us", "pause_p99_us", "pause_max_us",
        "stw_ms", "assist_ms", "worker_ms", "mark_ms", "sweep_ms", "mmu_1ms", "mmu_10ms", "mmu_100ms",
        "mmu_sweep_1ms", "mmu_sweep_10ms", "mmu_sweep_100ms",
        "floating_garbage_pct", "barrier_calls", "shades", "peak_heap_mb", "alloc_mb_per_s",
    ]

    /// The MMU windows reported as metrics: name and window (ns).
    public static let mmuWindows: [(name: String, ns: Int64)] = [
        ("mmu_1ms", 1_000_000), ("mmu_10ms", 10_000_000), ("mmu_100ms", 100_000_000),
    ]

    /// The metric name of the MMU at a window of `mmuWindows`, counting sweeping as GC time.
    public static func sweepCounting(_ mmuName: String) -> String {
        "mmu_sweep_" + mmuName.dropFirst("mmu_".count)
    }

    /// Computes the metrics of the region `[start, end]`.
    ///
    /// - Parameters:
    ///   - before: a `GCStats` snapshot taken at `start` (nil: the region is the whole run).
    ///   - after: a snapshot taken at or after `end`.
    ///   - events: the run's event log (needs `RuntimeConfig.recordEvents`; without it the
    ///     MMU metrics read as if there were no pauses, so callers should record events).
    ///   - start, end: the measured region (nanotime); `end` must be after `start`.
    ///   - procs: GOMAXPROCS of the run.
    /// - Returns: every name in `names`, except `floating_garbage_pct` when no cycle in the
    ///   region measured floating garbage.
    public static func compute(before: GCStats?, after: GCStats, events: [GCEvent],
                               start: Int64, end: Int64, procs: Int) -> [String: Double] {
        precondition(end > start, "RunMetrics: the measured region must have a positive length")
        let wallNS = Double(end - start)
        let cycles = after.records.filter { $0.start >= start && $0.start <= end }
        let pauses = cycles.flatMap(\.pauses).sorted()
        let mu = MutatorUtilization(events: events, procs: max(1, procs), start: start, end: end)
        let stwNS = Double(mu.pausedTotal)
        let cpu0 = before?.cpu ?? GCCPUTime()
        let assistNS = Double(after.cpu.assistNS - cpu0.assistNS)
        let workerNS = Double(after.cpu.backgroundNS + after.cpu.idleNS - cpu0.backgroundNS - cpu0.idleNS)
        let sweepNS = Double(after.sweepNS - (before?.sweepNS ?? 0))
        let markNS = Double(cycles.reduce(Int64(0)) { $0 + $1.markNS })
        let p = Double(max(1, procs))
        let gcCPU = stwNS * p + assistNS + workerNS + sweepNS
        let allocated = Double(max(0, after.bytesAllocated - (before?.bytesAllocated ?? 0)))

        var m: [String: Double] = [
            "wall_ms": wallNS / 1e6,
            "mutator_ms": wallNS * mu.overall / 1e6,
            "gc_cpu_pct": min(100, gcCPU / (wallNS * p) * 100),
            "gc_cycles": Double(cycles.count),
            "pause_p50_us": Double(Percentiles.nearestRank(sorted: pauses, 0.5)) / 1e3,
            "pause_p99_us": Double(Percentiles.nearestRank(sorted: pauses, 0.99)) / 1e3,
            "pause_max_us": Double(pauses.last ?? 0) / 1e3,
            "stw_ms": stwNS / 1e6,
            "assist_ms": assistNS / 1e6,
            "worker_ms": workerNS / 1e6,
            "mark_ms": markNS / 1e6,
            "sweep_ms": sweepNS / 1e6,
            "barrier_calls": Double(cycles.reduce(0) { $0 + $1.barrierCalls }),
            "shades": Double(cycles.reduce(0) { $0 + $1.shades }),
            "peak_heap_mb": Double(after.peakHeapInUse) / 1_048_576,
            "alloc_mb_per_s": allocated / 1_048_576 / (wallNS / 1e9),
        ]
        let muSweep = MutatorUtilization(events: events, procs: max(1, procs), start: start, end: end, countingSweep: true)
        for (name, w) in mmuWindows {
            m[name] = mu.minimum(window: w)
            m[sweepCounting(name)] = muSweep.minimum(window: w)
        }
        if let f = floatingGarbagePercent(cycles) { m["floating_garbage_pct"] = f }
        if let r = heapOverGoal(after.records, start: start, end: end) { m["heap_over_goal_max"] = r }
        return m
    }

    /// The most heapLive at a mark's end exceeded the goal that cycle was paced for (the
    /// previous cycle's `nextGoal`), as a ratio, over the heap-triggered cycles that started
    /// in `[start, end]`. Nil when there is none.
    public static func heapOverGoal(_ records: [GCCycleRecord], start: Int64, end: Int64) -> Double? {
        var worst: Double? = nil
        for (prev, cur) in zip(records, records.dropFirst())
        where cur.reason == .heap && cur.start >= start && cur.start <= end && prev.nextGoal > 0 && prev.nextGoal < Int.max / 4 {
            let r = Double(cur.heapEnd) / Double(prev.nextGoal)
            worst = max(worst ?? r, r)
        }
        return worst
    }

    /// Floating garbage of `cycles` as a percentage of the bytes they marked: bytes marked
    /// but unreachable at mark termination / bytes marked. Nil when no cycle measured it.
    public static func floatingGarbagePercent(_ cycles: [GCCycleRecord]) -> Double? {
        let measured = cycles.filter { $0.floatingGarbageBytes != nil }
        guard !measured.isEmpty else { return nil }
        let floating = measured.reduce(0) { $0 + $1.floatingGarbageBytes! }
        let marked = measured.reduce(0) { $0 + $1.heapMarked }
        return marked > 0 ? Double(floating) / Double(marked) * 100 : 0
    }
}
