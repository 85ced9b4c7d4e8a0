import Foundation
import GMP
import GCBenchKit
import TriColor
import TriColorLab

/// Suite `check`: property-test throughput, `schedules_per_s` for each exploration
/// scheduler (random, pct) on programs of 3 goroutines x 20 operations, one core
/// (deterministic mode runs everything on one M), check level full, collector hybrid.
/// Every schedule builds a fresh runtime, so this includes the per-run setup cost (arena
/// reservation, scheduler and its thread). Target: >= 2,000 schedules/s.
enum CheckSuite {
    static let workloads = ["random", "pct"]

    static func run(_ o: Options) -> [BenchResult] {
        var out: [BenchResult] = []
        for w in workloads where o.workloads.isEmpty || o.workloads.contains(w) {
            let seeds = o.quick ? 200 : 1_000
            _ = one(w, seeds: seeds / 10)   // warm-up: a tenth of a run is enough
            let (m, r, runs) = measure(repeats: o.repeats, warmup: false) { one(w, seeds: seeds) }
            var res = BenchResult(suite: "check", workload: w, procs: 1, metrics: m, ranges: r, repeats: o.repeats)
            res.runs = runs
            if let v = m["schedules_per_s"] {
                res.notes = ["target schedules_per_s >= 2000: \(fmt(v)) -> \(v >= 2_000 ? "met" : "MISSED")"]
            }
            out.append(res)
            RunProgress.shared.report("check/\(w) procs=1", "schedules_per_s \(fmt(m["schedules_per_s"] ?? 0))",
                                      workload: w, repeats: o.repeats)
        }
        return out
    }

    /// The progress weight of every configuration `run(o)` runs, in order.
    static func configurations(_ o: Options) -> [Double] {
        workloads.filter { o.workloads.isEmpty || o.workloads.contains($0) }.map { RunProgress.weight($0, repeats: o.repeats) }
    }

    static func one(_ w: String, seeds: Int) -> [String: Double] {
        var c = CheckConfiguration(collector: .hybrid)
        c.scheduler = ExplorationScheduler(rawValue: w) ?? .random
        c.seeds = seeds
        c.schedulesPerSeed = 1
        c.shape = ProgramShape(goroutines: 3, ops: 20)
        c.shrink = false
        let r = PropertyCheck.run(c)
        return ["schedules_per_s": r.schedulesPerSecond, "failures": Double(r.failures)]
    }
}
