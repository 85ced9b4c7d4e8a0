import Testing
@testable import GCBenchKit
@testable import TriColor

/// RunMetrics from constructed statistics: window filtering, pause percentiles, counters.
@Suite struct MetricsRunMetricsTests {
    func record(start: Int64, pauses: [Int64], collector: CollectorKind = .hybrid, markNS: Int64 = 1_000_000,
                marked: Int = 1000, floating: Int? = nil, barrier: Int = 0, shades: Int = 0) -> GCCycleRecord {
        GCCycleRecord(cycle: 1, reason: .heap, collector: collector, start: start, sweepTermNS: pauses.first ?? 0, markNS: markNS,
                      markTermNS: pauses.last ?? 0, pauses: pauses, heapStart: 0, heapEnd: 0, heapMarked: marked,
                      nextGoal: 0, procs: 2, markedObjects: 0, barrierCalls: barrier, shades: shades,
                      floatingGarbageBytes: floating)
    }

    func stats(_ records: [GCCycleRecord], assist: Int64 = 0, workers: Int64 = 0, sweep: Int64 = 0, allocated: Int = 0) -> GCStats {
        var cpu = GCCPUTime()
        cpu.assistNS = assist
        cpu.fractionalNS = workers
        cpu.sweepNS = sweep
        return GCStats(cycles: records.count, pauses: records.flatMap(\.pauses), markNS: 0, sweepNS: sweep,
                       bytesAllocated: allocated, liveBytes: 0, heapInUse: 0, peakHeapInUse: 8 << 20, fragmentation: 0,
                       cpu: cpu, heapGoal: 0, records: records)
    }

    /// Both MMUs: mmu_* leaves sweeping to the mutator, mmu_sweep_* counts it as GC.
    @Test func sweepCountingMMU() {
        let events = [GCEvent(kind: .sweep, name: "sweep", start: 0, end: 5_000_000, p: 0)]
        let m = RunMetrics.compute(before: nil, after: stats([]), events: events, start: 0, end: 100_000_000, procs: 1)
        #expect(m["mmu_1ms"] == 1 && m["mmu_10ms"] == 1)
        #expect(m["mmu_sweep_1ms"] == 0 && m["mmu_sweep_10ms"] == 0.5 && m["mmu_sweep_100ms"] == 0.95)
    }

    @Test func windowedMetrics() {
        let ms: Int64 = 1_000_000
        // One cycle before the region (ignored), two inside.
        let recs = [record(start: 0, pauses: [50 * ms]),
                    record(start: 200 * ms, pauses: [100_000, 300_000], floating: 100, barrier: 5, shades: 2),
                    record(start: 600 * ms, pauses: [200_000, 400_000], floating: 300, barrier: 7, shades: 1)]
        let events = [GCEvent(kind: .stw, name: "a", start: 200 * ms, end: 200 * ms + 100_000),
                      GCEvent(kind: .stw, name: "b", start: 300 * ms, end: 300 * ms + 300_000),
                      GCEvent(kind: .stw, name: "c", start: 600 * ms, end: 600 * ms + 200_000),
                      GCEvent(kind: .stw, name: "d", start: 700 * ms, end: 700 * ms + 400_000)]
        let before = stats([recs[0]], assist: 1 * ms, workers: 1 * ms, sweep: 2 * ms, allocated: 1 << 20)
        let after = stats(recs, assist: 3 * ms, workers: 2 * ms, sweep: 7 * ms, allocated: 11 << 20)
        let m = RunMetrics.compute(before: before, after: after, events: events, start: 100 * ms, end: 1100 * ms, procs: 2)
        #expect(m["wall_ms"] == 1000)
        #expect(m["gc_cycles"] == 2)
        #expect(m["stw_ms"] == 1.0)
        #expect(m["mutator_ms"] == 999)
        #expect(m["pause_p50_us"] == 200)    // of 100, 200, 300, 400: 2nd
        #expect(m["pause_p99_us"] == 400)
        #expect(m["pause_max_us"] == 400)
        #expect(m["assist_ms"] == 2)
        #expect(m["worker_ms"] == 1)
        #expect(m["sweep_ms"] == 5)
        #expect(m["mark_ms"] == 2)
        #expect(m["barrier_calls"] == 12)
        #expect(m["shades"] == 3)
        #expect(abs(m["floating_garbage_pct"]! - 20) < 1e-9)   // 400 of 2000 bytes marked
        #expect(m["peak_heap_mb"] == 8)
        #expect(m["alloc_mb_per_s"] == 10)         // 10 MiB in 1 s
        #expect(m["mmu_1ms"] == 0.6)               // [700, 701] ms holds 0.4 ms of pause
        #expect(abs(m["mmu_100ms"]! - 0.996) < 1e-12)   // [600.4, 700.4] ms holds 0.4 ms
        // GC CPU, all measured: STW 1 ms x 2 P + assist 2 + workers 1 + sweep 5 = 10 ms of 2000.
        #expect(abs(m["gc_cpu_pct"]! - 0.5) < 1e-9)
        for n in RunMetrics.names { #expect(m[n] != nil, "missing \(n)") }
    }

    @Test func noFloatingGarbageMeasurementLeavesTheMetricOut() {
        let m = RunMetrics.compute(before: nil, after: stats([record(start: 10, pauses: [5])]), events: [],
                                   start: 0, end: 1_000, procs: 1)
        #expect(m["floating_garbage_pct"] == nil)
        #expect(RunMetrics.floatingGarbagePercent([record(start: 0, pauses: [], marked: 0, floating: 0)]) == 0)
    }
}

/// heap_over_goal_max compares each heap-triggered cycle's heap at mark end with the goal
/// the cycle before it set, inside the region only.
@Test func heapOverGoalUsesThePreviousGoal() {
    func rec(_ start: Int64, _ reason: GCReason, heapEnd: Int, goal: Int) -> GCCycleRecord {
        GCCycleRecord(cycle: 0, reason: reason, collector: .hybrid, start: start, sweepTermNS: 0, markNS: 0, markTermNS: 0,
                      pauses: [], heapStart: 0, heapEnd: heapEnd, heapMarked: 0, nextGoal: goal, procs: 1, markedObjects: 0)
    }
    let recs = [rec(0, .explicit, heapEnd: 0, goal: 100), rec(10, .heap, heapEnd: 105, goal: 200),
                rec(20, .heap, heapEnd: 230, goal: 200), rec(30, .explicit, heapEnd: 900, goal: 200)]
    #expect(RunMetrics.heapOverGoal(recs, start: 0, end: 100) == 1.15)
    #expect(RunMetrics.heapOverGoal(recs, start: 0, end: 15) == 1.05)
    #expect(RunMetrics.heapOverGoal(recs, start: 25, end: 100) == nil)
}
