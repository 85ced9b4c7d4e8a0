// The data model of benchmark results: one `BenchRun` per measured run (a configuration
// and the metrics of one repeat), and `BenchSummary` per configuration (median, min and
// max of its repeats). gcbench writes both to JSON and the runs to CSV (BenchJSON.swift,
// BenchCSV.swift); the schema is documented in the README ("Comparing collectors").

import TriColor

/// One measured run: which configuration, which repeat, and its metrics.
public struct BenchRun: Codable, Equatable, Sendable {
    /// Suite name (`sched`, `alloc`, `pause`, `mutator`, ...).
    public var suite: String
    /// Workload name, with its size when it has one (`live-churn`, `binary-trees`).
    public var workload: String
    /// Collector name (`markSweep`, ..., or `arc` for the native baseline); nil for suites
    /// without a heap.
    public var collector: String?
    /// GOMAXPROCS.
    public var procs: Int
    /// 1...N for the timed repeats; 0 for the separate floating-garbage run (whose timing
    /// is perturbed by the measurement, so it only contributes `floating_garbage_pct`).
    public var `repeat`: Int
    /// Metric name -> value. Only finite values.
    public var metrics: [String: Double]

    public init(suite: String, workload: String, collector: String?, procs: Int, repeat: Int, metrics: [String: Double]) {
        self.suite = suite
        self.workload = workload
        self.collector = collector
        self.procs = procs
        self.repeat = `repeat`
        self.metrics = metrics.filter { $0.value.isFinite }
    }

    /// The configuration this run belongs to.
    public var configuration: BenchConfiguration {
        BenchConfiguration(suite: suite, workload: workload, collector: collector, procs: procs)
    }
}

/// A benchmark configuration: suite x workload x collector x procs.
public struct BenchConfiguration: Codable, Hashable, Sendable, CustomStringConvertible {
    public var suite: String
    public var workload: String
    public var collector: String?
    public var procs: Int

    public init(suite: String, workload: String, collector: String?, procs: Int) {
        self.suite = suite
        self.workload = workload
        self.collector = collector
        self.procs = procs
    }

    public var description: String { "\(suite)/\(workload)/\(collector ?? "-")/procs=\(procs)" }
}

/// Median, minimum and maximum of each metric over a configuration's runs.
public struct BenchSummary: Codable, Equatable, Sendable {
    public var suite: String
    public var workload: String
    public var collector: String?
    public var procs: Int
    /// Number of timed repeats summarised (the floating-garbage run is not counted).
    public var repeats: Int
    public var median: [String: Double]
    public var min: [String: Double]
    public var max: [String: Double]

    /// Metrics taken from the floating-garbage run (repeat 0) when there is one.
    public static let fromFloatingRun: Set<String> = ["floating_garbage_pct"]

    /// Summarises `runs`, which must all belong to one configuration (precondition). A
    /// metric's median, min and max are over the timed repeats, except
    /// `floating_garbage_pct`, which comes from the floating-garbage run when present.
    public init(_ runs: [BenchRun]) {
        precondition(!runs.isEmpty, "BenchSummary: no runs")
        let c = runs[0].configuration
        precondition(runs.allSatisfy { $0.configuration == c }, "BenchSummary: runs of different configurations")
        suite = c.suite
        workload = c.workload
        collector = c.collector
        procs = c.procs
        repeats = runs.filter { $0.repeat > 0 }.count
        var names: Set<String> = []
        for r in runs { names.formUnion(r.metrics.keys) }
        var med: [String: Double] = [:], lo: [String: Double] = [:], hi: [String: Double] = [:]
        let timed = runs.filter { $0.repeat > 0 }, floating = runs.filter { $0.repeat == 0 }
        for n in names {
            // Floating garbage from the floating-garbage run when there is one; everything
            // else from the timed runs (the floating run's timings are perturbed), falling
            // back to any run that has the metric.
            let preferred = Self.fromFloatingRun.contains(n) && !floating.isEmpty ? floating : timed
            var vs = preferred.compactMap { $0.metrics[n] }
            if vs.isEmpty { vs = runs.compactMap { $0.metrics[n] } }
            med[n] = Percentiles.median(vs)
            lo[n] = vs.min()
            hi[n] = vs.max()
        }
        median = med
        min = lo
        max = hi
    }

    public var configuration: BenchConfiguration {
        BenchConfiguration(suite: suite, workload: workload, collector: collector, procs: procs)
    }

    /// Groups `runs` by configuration (in order of first appearance) and summarises each.
    public static func summarise(_ runs: [BenchRun]) -> [BenchSummary] {
        var order: [BenchConfiguration] = []
        var groups: [BenchConfiguration: [BenchRun]] = [:]
        for r in runs {
            if groups[r.configuration] == nil { order.append(r.configuration) }
            groups[r.configuration, default: []].append(r)
        }
        return order.map { BenchSummary(groups[$0]!) }
    }
}
