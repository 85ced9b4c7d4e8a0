import Foundation
import GMP
import GCBenchKit
import TriColor

/// Output of the heap suites: one table per workload, result files, plots and the trace.
enum Report {
    /// Table columns: header, metric, whether the min-max range is shown.
    static let columns: [(String, String, Bool)] = [
        ("wall ms (min-max)", "wall_ms", true), ("x best", "wall_x_best", false), ("gc cpu%", "gc_cpu_pct", false),
        ("cycles", "gc_cycles", false), ("p50 us", "pause_p50_us", false), ("p99 us", "pause_p99_us", false),
        ("max us", "pause_max_us", false), ("mmu 1ms", "mmu_1ms", false), ("mmu 10ms", "mmu_10ms", false),
        ("mmu 100ms", "mmu_100ms", false), ("float%", "floating_garbage_pct", false),
        ("alloc MB/s", "alloc_mb_per_s", false), ("peak MB", "peak_heap_mb", false),
        ("op p99 us", "op_p99_us", false), ("op max us", "op_max_us", false), ("stall ms", "stall_ms", false),
    ]

    /// Workload-specific throughput metrics, shown as a last column when present.
    static let extras = ["ratio_vs_arc", "mops_per_s", "mwrites_per_s", "msgs_per_s", "hit_rate",
                         "kreq_per_s", "req_p50_us", "req_p99_us", "req_p999_us"]

    /// Prints one table per heap workload: collectors as rows (grouped by procs), the
    /// median of the repeats, the wall time's min-max, and the ratio to the group's best.
    /// With `mmuCountsSweep` the MMU columns are the ones that count sweeping as GC time,
    /// and their headers and the table title say so.
    static func printHeapTables(_ results: [BenchResult], mmuCountsSweep: Bool = false) {
        let columns = mmuCountsSweep ? Report.columns.map { c in
            c.1.hasPrefix("mmu_") ? ("mmu+sweep " + c.0.dropFirst("mmu ".count), RunMetrics.sweepCounting(c.1), c.2) : c
        } : Report.columns
        var keys: [String] = []
        for r in results where !keys.contains("\(r.suite)/\(r.workload)") { keys.append("\(r.suite)/\(r.workload)") }
        for key in keys {
            let rows = results.filter { "\($0.suite)/\($0.workload)" == key }
            let extra = extras.filter { e in rows.contains { $0.metrics[e] != nil } }
            var table = [["collector", "procs"] + columns.map(\.0) + extra]
            for r in rows {
                var line = [r.collector ?? "-", String(r.procs)]
                for (_, m, range) in columns {
                    guard let v = r.metrics[m] else { line.append("-"); continue }
                    var cell = cellText(m, v)
                    if range, r.repeats > 1, let (lo, hi) = r.ranges[m] { cell += " (\(fmt(lo))-\(fmt(hi)))" }
                    line.append(cell)
                }
                for e in extra { line.append(r.metrics[e].map { cellText(e, $0) } ?? "-") }
                table.append(line)
            }
            let float = rows.contains { $0.floatingRun != nil } ? "; float% from a separate run" : "; float% only with --float"
            let mmu = mmuCountsSweep ? "; mmu columns count sweeping as GC time" : "; mmu: sweeping counts as mutator time"
            print("\n== \(key) == (median of \(rows.first?.repeats ?? 0)\(float)\(mmu))")
            printAligned(table, rightAlignFrom: 2)
            for r in rows { for n in r.notes { print("  note: \(n)") } }
        }
    }

    static func cellText(_ metric: String, _ v: Double) -> String {
        switch metric {
        case "wall_x_best", "ratio_vs_arc", "hit_rate": return String(format: "%.2f", v)
        case _ where metric.hasPrefix("mmu_"): return String(format: "%.2f", v)
        case "gc_cpu_pct", "floating_garbage_pct": return String(format: "%.1f", v)
        default: return fmt(v)
        }
    }

    /// The runs of every result, for JSON and CSV.
    static func report(_ results: [BenchResult], debugBuild: Bool) -> BenchReport {
        let command = (["gcbench"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        return BenchReport(command: command, cores: ProcessInfo.processInfo.activeProcessorCount,
                           debugBuild: debugBuild, runs: results.flatMap(\.benchRuns))
    }

    /// Writes the SVG plots into `dir` (created if needed); returns the files written.
    static func writePlots(_ results: [BenchResult], to dir: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var written: [String] = []
        var groups: [(String, Int)] = []
        for r in results where r.profile != nil && !groups.contains(where: { $0 == (r.workload, r.procs) }) {
            groups.append((r.workload, r.procs))
        }
        for (w, p) in groups {
            let rows = results.filter { $0.workload == w && $0.procs == p && $0.profile != nil }
            let tag = "\(w)-p\(p)"
            let mmu = SVGChart(title: "MMU: \(w), procs \(p)", xLabel: "window (ms)", yLabel: "minimum mutator utilization",
                               xScale: .log10, series: rows.map { r in
                                   SVGChart.Series(name: r.collector ?? "-", points: r.profile!.mmu.map { (Double($0.window) / 1e6, $0.mmu) })
                               }, yRange: 0...1)
            let hist = SVGChart(title: "STW pauses: \(w), procs \(p) (all repeats)", xLabel: "pause (us)", yLabel: "pauses",
                                xScale: .log10, series: rows.map { r in
                                    .histogram(name: r.collector ?? "-", bins: LogHistogram(r.profile!.pausesUS, binsPerDecade: 5).bins)
                                })
            let heap = SVGDocument(charts: rows.map { r in
                SVGChart(title: "heap: \(w), procs \(p), \(r.collector ?? "-") (first run)", xLabel: "time (ms)", yLabel: "heap live (MiB)",
                         series: [SVGChart.Series(name: "heap live", points: r.profile!.heap)],
                         bands: r.profile!.cycles.map { SVGChart.Band(from: $0.0, to: $0.1) })
            }, columns: 1, chartWidth: 860, chartHeight: 240)
            var files = [("mmu-\(tag).svg", mmu.document()), ("pauses-\(tag).svg", hist.document()),
                         ("heap-\(tag).svg", heap.render())]
            if rows.contains(where: { !$0.profile!.latencyCDF.isEmpty }) {
                let cdf = SVGChart(title: "operation gaps: \(w), procs \(p) (first run)", xLabel: "gap between operations (us)",
                                   yLabel: "fraction of operations", xScale: .log10, series: rows.map { r in
                                       SVGChart.Series(name: r.collector ?? "-", points: r.profile!.latencyCDF)
                                   }, yRange: 0...1)
                files.append(("latency-\(tag).svg", cdf.document()))
            }
            for (name, text) in files {
                let path = (dir as NSString).appendingPathComponent(name)
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                written.append(path)
            }
        }
        return written
    }

    /// Runs the first selected heap configuration once more with goroutine tracing and
    /// writes its Chrome trace to `path`. Returns a description of the traced run.
    static func writeTrace(_ workloads: [HeapWorkload], _ o: Options, to path: String) throws -> String? {
        guard let wl = workloads.first(where: { o.workloads.isEmpty || o.workloads.contains($0.name) }),
              let c = o.collectors.first, let p = o.procs.first else { return nil }
        let s = RunSettings(collector: c, procs: p, quick: o.quick, depth: o.depth, traceGoroutines: true)
        let run = wl.run(s)
        let events = run.rt.events
        let origin = min(run.window.start, events.map(\.start).min() ?? run.window.start)
        let name = "\(wl.suite)/\(wl.name) \(c.rawValue) procs=\(p)"
        try ChromeTrace.encode([ChromeTrace.Process(name: name, events: events, origin: origin)])
            .write(toFile: path, atomically: true, encoding: .utf8)
        return "\(name): \(events.count) events"
    }
}
