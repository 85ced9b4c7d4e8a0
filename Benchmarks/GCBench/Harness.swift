import Foundation
import GMP
import TriColor

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
}

/// Command-line options shared by every suite.
struct Options {
    var suites: [String] = []
    var workloads: [String] = []
    var procs: [Int] = [1, 2]
    var repeats = 3
    var quick = false
    var jsonPath: String?
    var smallStacks = false
    var collectors: [CollectorKind] = CollectorKind.safe.filter { $0 == .markSweep }
    var binaryTreesDepth: Int?
    /// True when --collector was given (suites then run exactly those).
    var collectorsGiven = false

    static let usage = """
    usage: gcbench [--suite NAME[,NAME]] [--workload NAME[,NAME]] [--procs N[,N]] [--repeat N]
                   [--collector NAME[,NAME]] [--depth N] [--quick] [--json FILE] [--small-stacks]
      suites: \(Suites.all.map(\.name).joined(separator: ", "))
      --collector     collectors to run (default: markSweep); ablations only when named
      --depth N       binary-trees depth (default 18)
      --quick         smaller sizes (a smoke run)
      --small-stacks  16 KiB goroutine stacks (live-goroutines tries 1,000,000)
    """

    static func parse(_ args: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func value(_ flag: String) throws -> String {
            i += 1
            guard i < args.count else { throw UsageError("\(flag) needs a value") }
            return args[i]
        }
        while i < args.count {
            let a = args[i]
            switch a {
            case "--suite": o.suites = try value(a).split(separator: ",").map(String.init)
            case "--workload": o.workloads = try value(a).split(separator: ",").map(String.init)
            case "--procs":
                o.procs = try value(a).split(separator: ",").map {
                    guard let n = Int($0), n >= 1 else { throw UsageError("--procs wants positive integers, got '\($0)'") }
                    return n
                }
            case "--repeat":
                guard let n = Int(try value(a)), n >= 1 else { throw UsageError("--repeat wants a positive integer") }
                o.repeats = n
            case "--quick": o.quick = true
            case "--json": o.jsonPath = try value(a)
            case "--small-stacks": o.smallStacks = true
            case "--collector":
                o.collectorsGiven = true
                o.collectors = try value(a).split(separator: ",").map {
                    guard let k = CollectorKind(rawValue: String($0)) else {
                        throw UsageError("unknown collector '\($0)' (have: \(CollectorKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    return k
                }
            case "--depth":
                guard let n = Int(try value(a)), n >= 4, n <= 24 else { throw UsageError("--depth wants 4...24") }
                o.binaryTreesDepth = n
            case "-h", "--help":
                print(usage)
                exit(0)
            default: throw UsageError("unknown argument '\(a)'")
            }
            i += 1
        }
        for s in o.suites where !Suites.all.contains(where: { $0.name == s }) {
            throw UsageError("unknown suite '\(s)'")
        }
        return o
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs `body` `repeats` times (after one warm-up when `warmup`), returning median and range
/// per metric.
func measure(repeats: Int, warmup: Bool = true, _ body: () throws -> [String: Double]) rethrows -> ([String: Double], [String: (Double, Double)]) {
    if warmup { _ = try body() }
    var runs: [[String: Double]] = []
    for _ in 0..<repeats { runs.append(try body()) }
    var med: [String: Double] = [:]
    var rng: [String: (Double, Double)] = [:]
    for k in runs[0].keys {
        let vs = runs.compactMap { $0[k] }.sorted()
        med[k] = vs.count % 2 == 1 ? vs[vs.count / 2] : (vs[vs.count / 2 - 1] + vs[vs.count / 2]) / 2
        rng[k] = (vs.first!, vs.last!)
    }
    return (med, rng)
}

func fmt(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e12 { return String(Int(v)) }
    if abs(v) >= 100 { return String(format: "%.0f", v) }
    if abs(v) >= 10 { return String(format: "%.1f", v) }
    return String(format: "%.2f", v)
}

/// Prints results as aligned tables, one per (suite, workload).
func printTables(_ results: [BenchResult]) {
    var seen: [String] = []
    for r in results where !seen.contains("\(r.suite)/\(r.workload)") { seen.append("\(r.suite)/\(r.workload)") }
    for key in seen {
        let rows = results.filter { "\($0.suite)/\($0.workload)" == key }
        let metricNames = rows.flatMap { $0.metrics.keys }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.sorted()
        var header = ["collector", "procs"] + metricNames.map { "\($0) (min-max)" }
        if rows.allSatisfy({ $0.collector == nil }) { header.removeFirst() }
        var table = [header]
        for r in rows {
            var line: [String] = []
            if r.collector != nil || !rows.allSatisfy({ $0.collector == nil }) { line.append(r.collector ?? "-") }
            line.append("\(r.procs)")
            for m in metricNames {
                if let v = r.metrics[m], let (lo, hi) = r.ranges[m] {
                    line.append(r.repeats > 1 ? "\(fmt(v)) (\(fmt(lo))-\(fmt(hi)))" : fmt(v))
                } else { line.append("-") }
            }
            table.append(line)
        }
        print("\n== \(key) ==")
        let widths = (0..<header.count).map { c in table.map { $0[c].count }.max()! }
        for row in table {
            print(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        for r in rows { for n in r.notes { print("  note: \(n)") } }
    }
}

/// Writes `{"results":[{"suite":..,"workload":..,"procs":..,"metrics":{..}}]}`.
func writeJSON(_ results: [BenchResult], to path: String) throws {
    var arr: [[String: Any]] = []
    for r in results {
        var o: [String: Any] = ["suite": r.suite, "workload": r.workload, "procs": r.procs, "repeats": r.repeats,
                                "metrics": r.metrics]
        if let c = r.collector { o["collector"] = c }
        o["min"] = r.ranges.mapValues { $0.0 }
        o["max"] = r.ranges.mapValues { $0.1 }
        if !r.notes.isEmpty { o["notes"] = r.notes }
        arr.append(o)
    }
    let data = try JSONSerialization.data(withJSONObject: ["results": arr], options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: path))
}

/// Runs `body` as the main goroutine of a fresh scheduler and returns its wall time.
func runScheduler(procs: Int, smallStacks: Bool = false, _ body: @escaping () -> Void) -> Double {
    var c = smallStacks ? SchedulerConfig.smallStacks : SchedulerConfig()
    c.procs = procs
    let t0 = nanotime()
    do { try Scheduler.run(c, body) } catch {
        FileHandle.standardError.write(Data("gcbench: scheduler failed: \(error)\n".utf8))
        exit(1)
    }
    return Double(nanotime() - t0)
}
