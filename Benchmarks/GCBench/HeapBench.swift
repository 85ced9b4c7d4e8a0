import Foundation
import GMP
import GCBenchKit
import TriColor

/// How one heap-workload run is configured.
struct RunSettings {
    var collector: CollectorKind
    var procs: Int
    var quick: Bool
    var depth: Int?
    /// Measure floating garbage at every mark termination (the separate repeat-0 run).
    var measureFloating = false
    /// Record every goroutine run slice (the --trace run).
    var traceGoroutines = false
    /// GOGC=off: no pacer, so no cycle runs (the net/server baseline row).
    var gcOff = false
}

/// The measured region of a run, marked from inside the run's main goroutine.
final class Window: @unchecked Sendable {
    var start: Int64 = 0
    var end: Int64 = 0
    var before: GCStats?

    /// Starts the measured region: snapshots the statistics, then reads the clock.
    func begin(_ rt: TriColorRuntime) {
        rt.heap.resetPeakHeapInUse()
        before = rt.stats
        start = nanotime()
    }

    /// Ends the measured region, then waits until no collection is in flight (see
    /// `quiesce`). Call it last in the run's main goroutine.
    func finish(_ rt: TriColorRuntime) {
        end = nanotime()
        quiesce(rt)
    }
}

/// Waits (parking, from a goroutine of `rt`) until no collection has been running for a
/// short quiet period. Returning from the main goroutine while a background cycle is in
/// flight hangs the scheduler's shutdown (the cycle's stop-the-world waits for Ps whose Ms
/// have exited), so every workload quiesces before main returns. After the measured region.
func quiesce(_ rt: TriColorRuntime) {
    var quiet = 0
    var cycles = rt.stats.cycles
    while quiet < 3 {
        Goroutine.sleep(nanoseconds: 200_000)
        let now = rt.stats.cycles
        if rt.isMarking || now != cycles { quiet = 0 } else { quiet += 1 }
        cycles = now
    }
}

/// What a heap workload hands back after one run.
struct HeapRun {
    let rt: TriColorRuntime
    let window: Window
    /// Workload-specific metrics (throughput, check values).
    var extra: [String: Double] = [:]
    /// Every mutator goroutine's operation gaps, merged (the op_* and stall metrics).
    var latency: OpLatency? = nil
}

/// A workload on the managed heap, run for every selected collector.
struct HeapWorkload {
    let suite: String
    let name: String
    /// One run; must call `window.begin`/`finish` around the measured part.
    let run: (RunSettings) -> HeapRun
    /// What one "operation" of the op-latency columns is, and what else its gaps contain.
    var operation: String = ""
    /// A native baseline (binary-trees under ARC), reported as collector `arc`: one
    /// single-threaded program that uses no scheduler, so `HeapBench.run` runs it once per
    /// workload, at procs 1, whatever `--procs` says. Returns only what it measured.
    var baseline: ((RunSettings) -> [String: Double])? = nil
}

/// A runtime for one benchmark run: `TRICOLOR_DEBUG` applies (so `gccheckmark=1` proves a
/// workload never loses a live object), events are always recorded (MMU needs the STW
/// intervals).
func makeRuntime(_ s: RunSettings) -> TriColorRuntime {
    var cfg = RuntimeConfig.fromEnvironment()
    cfg.collector = s.collector
    cfg.scheduler.procs = s.procs
    cfg.recordEvents = true
    cfg.traceGoroutines = s.traceGoroutines
    cfg.measureFloatingGarbage = s.measureFloating
    if s.gcOff { cfg.gogc = nil }
    do { return try TriColorRuntime(cfg) } catch { fatalError("gcbench: \(error)") }
}

/// Data of a configuration's first timed run (plus the pauses of all its runs), for plots.
struct RunProfile {
    /// MMU curve: window (ns) -> utilization.
    var mmu: [(window: Int64, mmu: Double)]
    /// Every STW pause of every timed run of the configuration (us).
    var pausesUS: [Double]
    /// Heap live bytes over time: (ms since the region start, MiB).
    var heap: [(x: Double, y: Double)]
    /// GC cycles: (start ms, end ms) since the region start.
    var cycles: [(Double, Double)]
    /// Operation-gap CDF: (gap us, fraction of operations).
    var latencyCDF: [(x: Double, y: Double)] = []
}

/// The metrics (and, for the first run, the plot data) of one finished run.
func collectMetrics(_ r: HeapRun, procs: Int, profile: Bool) -> ([String: Double], RunProfile?, [Double]) {
    let w = r.window
    precondition(w.end > w.start, "gcbench: workload did not mark its measured region")
    let stats = r.rt.stats
    let events = r.rt.events
    var m = RunMetrics.compute(before: w.before, after: stats, events: events, start: w.start, end: w.end, procs: procs)
    m.merge(r.extra) { _, new in new }
    if let lat = r.latency { m.merge(lat.metrics(wallNS: w.end - w.start)) { _, new in new } }
    let pauses = stats.records.filter { $0.start >= w.start && $0.start <= w.end }.flatMap(\.pauses).map { Double($0) / 1e3 }
    guard profile else { return (m, nil, pauses) }
    let mu = MutatorUtilization(events: events, procs: procs, start: w.start, end: w.end)
    let ms = { (t: Int64) in Double(t - w.start) / 1e6 }
    var heap: [(x: Double, y: Double)] = []
    var cycles: [(Double, Double)] = []
    let cycleEnds = events.filter { $0.kind == .cycle }
    for rec in stats.records where rec.start >= w.start && rec.start <= w.end {
        let markEnd = rec.start + rec.sweepTermNS + rec.markNS
        let end = cycleEnds.first { $0.start == rec.start }?.end ?? (markEnd + rec.markTermNS)
        heap.append((ms(rec.start), Double(rec.heapStart) / 1_048_576))
        heap.append((ms(markEnd), Double(rec.heapEnd) / 1_048_576))
        heap.append((ms(end), Double(rec.heapMarked) / 1_048_576))
        cycles.append((ms(rec.start), ms(end)))
    }
    let profile = RunProfile(mmu: mu.curve(windows: mu.standardWindows()), pausesUS: pauses, heap: heap, cycles: cycles,
                             latencyCDF: r.latency?.cdf() ?? [])
    return (m, profile, pauses)
}

/// Runs heap workloads: every selected workload x procs x collector, `repeats` timed runs,
/// plus (with `--float`) one floating-garbage run each.
enum HeapBench {
    static func run(_ workloads: [HeapWorkload], _ o: Options) -> [BenchResult] {
        var out: [BenchResult] = []
        let collectors = o.collectors
        let selected = workloads.filter { o.workloads.isEmpty || o.workloads.contains($0.name) }
        for wl in selected {
            if let b = wl.baseline {
                // The baseline row: run once, labelled procs 1 (it runs on the calling thread
                // alone), outside the procs groups, so it gets no `wall_x_best`; the suite
                // relates collector rows to it (binary-trees: `ratio_vs_arc`, AllocSuite.run).
                let s = RunSettings(collector: .markSweep, procs: 1, quick: o.quick, depth: o.depth)
                let (m, r, runs) = measure(repeats: o.repeats, warmup: false) { b(s) }
                out.append(BenchResult(suite: wl.suite, workload: wl.name, collector: "arc", procs: 1,
                                       metrics: m, ranges: r, repeats: o.repeats, runs: runs))
                let wall = m["wall_ms"].map { "wall \(fmt($0)) ms" } ?? "no wall time"
                RunProgress.shared.report("\(wl.suite)/\(wl.name) arc procs=1", wall, workload: wl.name, repeats: o.repeats)
            }
            for p in o.procs {
                var group: [BenchResult] = []
                let base = RunSettings(collector: .markSweep, procs: p, quick: o.quick, depth: o.depth)
                for c in collectors {
                    var s = base
                    s.collector = c
                    var runs: [[String: Double]] = []
                    var profile: RunProfile?
                    var pauses: [Double] = []
                    for i in 0..<o.repeats {
                        let (m, prof, ps) = collectMetrics(wl.run(s), procs: p, profile: i == 0)
                        runs.append(m)
                        pauses += ps
                        if let prof { profile = prof }
                    }
                    profile?.pausesUS = pauses
                    var fm: [String: Double]? = nil
                    if o.measureFloating {
                        var fs = s
                        fs.measureFloating = true
                        fm = collectMetrics(wl.run(fs), procs: p, profile: false).0
                    }
                    let (med, rng) = summarise(runs)
                    var res = BenchResult(suite: wl.suite, workload: wl.name, collector: c.rawValue, procs: p,
                                          metrics: med, ranges: rng, repeats: o.repeats, runs: runs, floatingRun: fm, profile: profile)
                    if let f = fm?["floating_garbage_pct"] { res.metrics["floating_garbage_pct"] = f }
                    group.append(res)
                    progress(wl, c.rawValue, p, res.metrics, repeats: timedRepeats(o))
                }
                out += withRatios(group)
            }
            if !wl.operation.isEmpty, let i = out.firstIndex(where: { $0.workload == wl.name && $0.collector != "arc" }) {
                out[i].notes.append("\(wl.name): op latency columns time one operation = \(wl.operation)")
            }
            // Assists must keep the heap near its goal: 1.1x at most at mark end (issue target).
            for i in out.indices where out[i].workload == wl.name {
                guard let r = out[i].metrics["heap_over_goal_max"] else { continue }
                out[i].notes.append("\(out[i].collector ?? "-") procs \(out[i].procs): heap at mark end at most "
                    + "\(String(format: "%.2f", r))x its goal (target <= 1.10: \(r <= 1.1 ? "met" : "MISSED"))")
            }
        }
        return out
    }

    /// Adds `wall_x_best` (wall time / the best wall time of the group) to every row.
    static func withRatios(_ group: [BenchResult]) -> [BenchResult] {
        guard let best = group.compactMap({ $0.metrics["wall_ms"] }).filter({ $0 > 0 }).min() else { return group }
        return group.map { r in
            var r = r
            if let w = r.metrics["wall_ms"] { r.metrics["wall_x_best"] = w / best }
            return r
        }
    }

    static func progress(_ wl: HeapWorkload, _ c: String, _ p: Int, _ m: [String: Double], repeats: Int) {
        RunProgress.shared.report("\(wl.suite)/\(wl.name) \(c) procs=\(p)",
                                  "wall \(fmt(m["wall_ms"] ?? 0)) ms, pause max \(fmt(m["pause_max_us"] ?? 0)) us",
                                  workload: wl.name, repeats: repeats)
    }

    /// A collector configuration's runs, in timed-run units for the progress estimate: the
    /// repeats, plus about 5 for the `--float` run (a checkmark at every mark termination).
    static func timedRepeats(_ o: Options) -> Int { o.repeats + (o.measureFloating ? 5 : 0) }

    /// The progress weight of every configuration `run(workloads, o)` runs, in order.
    static func configurations(_ workloads: [HeapWorkload], _ o: Options) -> [Double] {
        var out: [Double] = []
        for wl in workloads where o.workloads.isEmpty || o.workloads.contains(wl.name) {
            if wl.baseline != nil { out.append(RunProgress.weight(wl.name, repeats: o.repeats)) }
            out += Array(repeating: RunProgress.weight(wl.name, repeats: timedRepeats(o)), count: o.procs.count * o.collectors.count)
        }
        return out
    }
}
