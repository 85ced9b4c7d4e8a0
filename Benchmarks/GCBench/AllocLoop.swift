import Foundation
import GMP
import GCBenchKit
import TriColor

/// What the mutator felt, per operation (golang/benchmarks gc_latency's measure): the gap
/// between consecutive operations of one goroutine. Gaps under 10 us go to 100 ns buckets;
/// longer ones are kept exactly (they are rare, and they are the stalls that matter).
struct OpLatency {
    private var small = [Int](repeating: 0, count: 100)
    private(set) var large: [Int64] = []
    private(set) var count = 0

    @inline(__always)
    mutating func record(_ ns: Int64) {
        count += 1
        if ns < 10_000 { small[Int(ns / 100)] += 1 } else { large.append(ns) }
    }

    /// Nearest-rank percentile (ns); bucketed values report their bucket's upper edge.
    func percentile(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((q * Double(count)).rounded(.up)))
        var seen = 0
        for (i, c) in small.enumerated() {
            seen += c
            if seen >= rank { return Double(i + 1) * 100 }
        }
        let sorted = large.sorted()
        return Double(sorted[min(sorted.count - 1, rank - seen - 1)])
    }

    /// The standard metrics: op_p50_us, op_p99_us, op_p999_us, op_max_us, stall_ms (time
    /// in gaps over 1 ms), gaps_over_1ms, stall_pct (stall time / `wallNS`).
    func metrics(wallNS: Int64) -> [String: Double] {
        let stalls = large.filter { $0 > 1_000_000 }
        let stallNS = Double(stalls.reduce(0, +))
        return ["op_p50_us": percentile(0.5) / 1e3, "op_p99_us": percentile(0.99) / 1e3,
                "op_p999_us": percentile(0.999) / 1e3, "op_max_us": Double(large.max() ?? 0) / 1e3,
                "stall_ms": stallNS / 1e6, "gaps_over_1ms": Double(stalls.count),
                "stall_pct": stallNS / Double(max(1, wallNS)) * 100]
    }
}

extension PauseSuite {
    /// `pause/alloc-loop`: a live binary tree of `live` nodes in global 0 and one goroutine
    /// that allocates one small object per iteration for `seconds`, timing the gap between
    /// consecutive iterations: the mutator latency a concurrent collector should keep small.
    /// The tree's build is not measured.
    static func allocLoop(_ s: RunSettings, live: Int, seconds: Double) -> HeapRun {
        let rt = makeRuntime(s)
        let window = Window()
        let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 16)
        let small = rt.registerType(name: "Small", pointerFields: 1, scalarBytes: 8)
        let depth = max(2, Int(log2(Double(live + 1))))
        let result = Box(OpLatency())
        do {
            try rt.run {
                rt.setGlobal(0, buildTree(rt, node, depth: depth))
                rt.collect()
                window.begin(rt)
                let deadline = window.start + Int64(seconds * 1e9)
                var lat = OpLatency()
                var last = nanotime()
                while last < deadline {
                    let o = rt.alloc(small)
                    rt.store(o, 0, o)
                    let now = nanotime()
                    lat.record(now - last)
                    last = now
                }
                result.value = lat
                window.finish(rt)
            }
        } catch { fatalError("gcbench: alloc-loop failed: \(error)") }
        var extra = result.value.metrics(wallNS: window.end - window.start)
        extra["mops_per_s"] = Double(result.value.count) / Double(window.end - window.start) * 1e3
        return HeapRun(rt: rt, window: window, extra: extra)
    }

    /// Target notes for hybrid on alloc-loop (issue targets; benchmarks, not tests).
    static func allocLoopNotes(_ out: inout [BenchResult]) {
        for i in out.indices where out[i].workload.hasPrefix("alloc-loop") && out[i].collector == "hybrid" {
            let m = out[i].metrics
            guard let worst = m["op_max_us"], let stall = m["stall_pct"], let mmu10 = m["mmu_10ms"] else { continue }
            let (wantWorst, wantStall) = out[i].procs == 1 ? (3_000.0, 5.0) : (2_000.0, 1.0)
            var note = "hybrid alloc-loop procs \(out[i].procs): worst gap \(fmt(worst)) us (target <= \(fmt(wantWorst)): "
                + "\(worst <= wantWorst ? "met" : "MISSED")), stalled \(String(format: "%.2f", stall))% of wall "
                + "(target <= \(fmt(wantStall)): \(stall <= wantStall ? "met" : "MISSED"))"
            if out[i].procs == 1 {
                note += ", mmu 10ms \(String(format: "%.2f", mmu10)) (target >= 0.6: \(mmu10 >= 0.6 ? "met" : "MISSED"))"
            }
            out[i].notes.append(note)
        }
    }
}
