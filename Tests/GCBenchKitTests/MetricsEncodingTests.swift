import Foundation
import Testing
@testable import GCBenchKit
@testable import TriColor

/// JSON and CSV results parse back and hold every configuration and metric.
@Suite struct MetricsEncodingTests {
    /// Every configuration of a small grid, 3 repeats plus a floating-garbage run each, with
    /// awkward names and values.
    static func grid() -> [BenchRun] {
        var runs: [BenchRun] = []
        var x = 0.1
        for (suite, workloads) in [("alloc", ["binary-trees", "gcbench"]), ("mutator", ["lru-cache", "odd, \"quoted\"\nname"])] {
            for w in workloads {
                for c in ["arc", "markSweep", "insertion", "deletion", "hybrid"] {
                    for p in [1, 2] {
                        for rep in 0...3 {
                            var m: [String: Double] = [:]
                            for n in RunMetrics.names { x = x * 1.37 + 0.013; m[n] = x.truncatingRemainder(dividingBy: 1e4) }
                            m["tiny"] = 1e-300 * Double(rep + 1)
                            m["ratio_vs_arc"] = 1.0 / 3.0
                            if rep == 0 { m = ["floating_garbage_pct": 12.5] }
                            runs.append(BenchRun(suite: suite, workload: w, collector: c, procs: p, repeat: rep, metrics: m))
                        }
                    }
                }
            }
        }
        runs.append(BenchRun(suite: "sched", workload: "spawn", collector: nil, procs: 2, repeat: 1, metrics: ["ns_per_goroutine": 1005]))
        runs.append(BenchRun(suite: "sched", workload: "nan", collector: nil, procs: 1, repeat: 1, metrics: ["x": .nan, "y": 1]))
        return runs
    }

    /// 2 suites x 2 workloads x 5 collectors x 2 procs, plus the two sched runs.
    static let configurations = 42

    @Test func csvRoundTrips() throws {
        let runs = Self.grid()
        let text = BenchCSV.encode(runs)
        let back = try BenchCSV.decode(text)
        #expect(back == runs)
        let configs = Set(back.map(\.configuration))
        #expect(configs.count == Self.configurations)
        let last: [String: Double]? = back.last?.metrics
        #expect(last == ["y": 1])                                 // NaN dropped
        let header = text.split(separator: "\n").first!.split(separator: ",").map(String.init)
        let expected: [String] = BenchCSV.keyColumns + ["wall_ms"]
        let firstSix: [String] = Array(header.prefix(6))
        #expect(firstSix == expected)
    }

    @Test func csvRejectsMalformedInput() {
        #expect(throws: BenchCSVError.self) { try BenchCSV.decode("suite,workload\nx,y\n") }
        #expect(throws: BenchCSVError.self) { try BenchCSV.decode("suite,workload,collector,procs,repeat,wall_ms\na,b,c,1,1,fast\n") }
        #expect(throws: BenchCSVError.self) { try BenchCSV.decode("suite,workload,collector,procs,repeat\na,b,c,1\n") }
        #expect(throws: BenchCSVError.self) { try BenchCSV.decode("suite,workload,collector,procs,repeat\n\"a,b,c,1,1\n") }
    }

    @Test func jsonRoundTripsWithSummaries() throws {
        let runs = Self.grid()
        let report = BenchReport(command: "gcbench --repeat 3", cores: 2, debugBuild: false, runs: runs)
        let data = try report.jsonData()
        let back = try BenchReport.decode(data)
        #expect(back == report)
        #expect(back.schema == BenchReport.currentSchema)
        #expect(back.summaries.count == Self.configurations)
        // Summaries: the median of the timed repeats, floating garbage from repeat 0.
        let s = back.summaries.first { $0.workload == "gcbench" && $0.collector == "hybrid" && $0.procs == 2 }!
        #expect(s.repeats == 3)
        let timed = runs.filter { $0.configuration == s.configuration && $0.repeat > 0 }.map { $0.metrics["wall_ms"]! }
        #expect(s.median["wall_ms"] == timed.sorted()[1])
        #expect(s.min["wall_ms"] == timed.min())
        #expect(s.max["wall_ms"] == timed.max())
        #expect(s.median["floating_garbage_pct"] == 12.5)
        // Readable by any JSON parser, with the documented top-level keys.
        let obj = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(Set(obj.keys) == ["schema", "command", "cores", "debugBuild", "runs", "summaries"])
        #expect((obj["runs"] as! [Any]).count == runs.count)
    }
}
