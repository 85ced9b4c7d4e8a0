import Foundation
import GMP
import GCBenchKit
import TriColor

/// gcbench's options (parsed by the library, where tests can reach them).
typealias Options = BenchOptions

/// One measured configuration: suite x workload x procs (x collector, for heap suites).
struct BenchResult {
    var suite: String
    var workload: String
    var collector: String?
    var procs: Int
    /// Median of the repeats, per metric.
    var metrics: [String: Double]
    /// Min and max of the repeats, per metric.
    var ranges: [String: (Double, Double)]
    var repeats: Int
    var notes: [String] = []
    /// Every timed run's metrics, in order (repeat 1...N).
    var runs: [[String: Double]] = []
    /// The separate floating-garbage run (heap suites), written as repeat 0.
    var floatingRun: [String: Double]? = nil
    /// Data for the plots (heap suites).
    var profile: RunProfile? = nil

    /// The runs as `BenchRun`s for JSON and CSV.
    var benchRuns: [BenchRun] {
        var out = runs.enumerated().map {
            BenchRun(suite: suite, workload: workload, collector: collector, procs: procs, repeat: $0.offset + 1, metrics: $0.element)
        }
        if let f = floatingRun {
            out.append(BenchRun(suite: suite, workload: workload, collector: collector, procs: procs, repeat: 0, metrics: f))
        }
        return out
    }
}

/// Runs `body` `repeats` times (after one warm-up when `warmup`), returning median and range
/// per metric, and the runs themselves.
func measure(repeats: Int, warmup: Bool = true, _ body: () throws -> [String: Double]) rethrows
    -> ([String: Double], [String: (Double, Double)], [[String: Double]]) {
    if warmup { _ = try body() }
    var runs: [[String: Double]] = []
    for _ in 0..<repeats { runs.append(try body()) }
    let (med, rng) = summarise(runs)
    return (med, rng, runs)
}

/// Median and min-max per metric over `runs`.
func summarise(_ runs: [[String: Double]]) -> ([String: Double], [String: (Double, Double)]) {
    var med: [String: Double] = [:]
    var rng: [String: (Double, Double)] = [:]
    var keys = Set<String>()
    for r in runs { keys.formUnion(r.keys) }
    for k in keys {
        let vs = runs.compactMap { $0[k] }
        guard let m = Percentiles.median(vs) else { continue }
        med[k] = m
        rng[k] = (vs.min()!, vs.max()!)
    }
    return (med, rng)
}

func fmt(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e12 { return String(Int(v)) }
    if abs(v) >= 100 { return String(format: "%.0f", v) }
    if abs(v) >= 10 { return String(format: "%.1f", v) }
    return String(format: "%.2f", v)
}

/// Prints rows as an aligned table (first row is the header).
func printAligned(_ table: [[String]], rightAlignFrom: Int = 1) {
    guard let header = table.first else { return }
    let widths = (0..<header.count).map { c in table.map { $0[c].count }.max()! }
    for row in table {
        print(row.enumerated().map { i, s in
            let pad = String(repeating: " ", count: widths[i] - s.count)
            return i >= rightAlignFrom ? pad + s : s + pad
        }.joined(separator: "  "))
    }
}

/// Prints results without a collector breakdown (the sched suite) as generic tables, one
/// per (suite, workload), every metric with its min-max.
func printTables(_ results: [BenchResult]) {
    var seen: [String] = []
    for r in results where !seen.contains("\(r.suite)/\(r.workload)") { seen.append("\(r.suite)/\(r.workload)") }
    for key in seen {
        let rows = results.filter { "\($0.suite)/\($0.workload)" == key }
        let metricNames = rows.flatMap { $0.metrics.keys }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.sorted()
        let withCollector = !rows.allSatisfy({ $0.collector == nil })
        var header = ["procs"] + metricNames.map { "\($0) (min-max)" }
        // The hot suite's rows are cases (a size, a barrier), kept in `collector`.
        if withCollector { header.insert(rows[0].suite == "hot" ? "case" : "collector", at: 0) }
        var table = [header]
        for r in rows {
            var line: [String] = withCollector ? [r.collector ?? "-"] : []
            line.append("\(r.procs)")
            for m in metricNames {
                if let v = r.metrics[m], let (lo, hi) = r.ranges[m] {
                    line.append(r.repeats > 1 ? "\(fmt(v)) (\(fmt(lo))-\(fmt(hi)))" : fmt(v))
                } else { line.append("-") }
            }
            table.append(line)
        }
        print("\n== \(key) ==")
        printAligned(table, rightAlignFrom: header.count)
        for r in rows { for n in r.notes { print("  note: \(n)") } }
    }
}

/// Runs `body` as the main goroutine of a fresh scheduler and returns its wall time.
func runScheduler(procs: Int, smallStacks: Bool = false, _ body: @escaping @Sendable () -> Void) -> Double {
    var c = smallStacks ? SchedulerConfig.smallStacks : SchedulerConfig()
    c.procs = procs
    let t0 = nanotime()
    do { try Scheduler.run(c, body) } catch {
        FileHandle.standardError.write(Data("gcbench: scheduler failed: \(error)\n".utf8))
        exit(1)
    }
    return Double(nanotime() - t0)
}

/// Runs `body(k)` for each k in 0..<count on a new goroutine and waits for all of them.
/// Call from a goroutine.
func runGoroutines(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let wg = WaitGroup()
    for k in 0..<count {
        wg.add(1)
        go {
            body(k)
            wg.done()
        }
    }
    wg.wait()
}
