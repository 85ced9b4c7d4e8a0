import Foundation
import GMP
import GCBenchKit
import TriColor

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
        let log = LatencyLog()
        do {
            try rt.run {
                rt.setGlobal(0, buildTree(rt, node, depth: depth))
                rt.collect()
                window.begin(rt)
                let deadline = window.start + Int64(seconds * 1e9)
                var lat = OpLatency()
                var now = nanotime()
                lat.start(at: now)
                while now < deadline {
                    let o = rt.alloc(small)
                    rt.store(o, 0, o)
                    now = nanotime()
                    lat.tick(at: now)
                }
                log.add(lat)
                window.finish(rt)
            }
        } catch { fatalError("gcbench: alloc-loop failed: \(error)") }
        let ops = Double(log.value.count)
        return HeapRun(rt: rt, window: window, extra: ["mops_per_s": ops / Double(window.end - window.start) * 1e3],
                       latency: log.value)
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
