import Foundation
import GMP
import Synchronization
import GCBenchKit
import TriColor

/// Suite `pause`: stop-the-world pauses under a large live heap (`live-churn`) and under
/// many goroutine stacks (`stacks`), and what a mutator feels per operation over a live
/// heap (`alloc-loop`), for every collector side by side. live-churn and stacks do a fixed
/// amount of work, so wall times compare; alloc-loop runs for a fixed time.
enum PauseSuite {
    static let workloads = ["live-churn", "stacks", "alloc-loop"]

    static var heapWorkloads: [HeapWorkload] {
        [HeapWorkload(suite: "pause", name: "live-churn", run: { s in
            liveChurn(s, live: s.quick ? 20_000 : 200_000, opsPerGoroutine: s.quick ? 20_000 : 400_000)
         }, operation: liveChurnOperation),
         HeapWorkload(suite: "pause", name: "stacks", run: { s in
            stacks(s, goroutines: s.quick ? 200 : 2_000, opsPerGoroutine: s.quick ? 200 : 400)
         }, operation: stacksOperation),
         HeapWorkload(suite: "pause", name: "alloc-loop", run: { s in
            allocLoop(s, live: s.quick ? 20_000 : 200_000, seconds: s.quick ? 0.3 : 0.5)
         }, operation: allocLoopOperation)]
    }

    static let liveChurnOperation = "64 tree edits by one of 4 goroutines (at procs < 4 its gaps include run-queue waits)"
    static let stacksOperation = "one slot replaced by one of G goroutines, which yields every 8 (gaps are mostly the other goroutines' turns)"
    static let allocLoopOperation = "one small allocation by the only mutator goroutine"

    /// With `--live N` / `--goroutines N`: the workloads at N and N/10, named by size, for
    /// the growth experiments (a filter `--workload live-churn` still selects them).
    static func workloads(_ o: Options) -> [HeapWorkload] {
        var ws: [HeapWorkload] = []
        if let l = o.liveObjects {
            for n in [l, max(1, l / 10)] {
                ws.append(HeapWorkload(suite: "pause", name: "live-churn L=\(n)", run: { s in
                    liveChurn(s, live: n, opsPerGoroutine: 400_000)
                }, operation: liveChurnOperation))
            }
        } else {
            ws.append(heapWorkloads[0])
        }
        if let g = o.stackGoroutines {
            for n in [g, max(1, g / 10)] {
                ws.append(HeapWorkload(suite: "pause", name: "stacks G=\(n)", run: { s in
                    stacks(s, goroutines: n, opsPerGoroutine: 400)
                }, operation: stacksOperation))
            }
        } else {
            ws.append(heapWorkloads[1])
        }
        if let l = o.liveObjects {
            ws.append(HeapWorkload(suite: "pause", name: "alloc-loop L=\(l)", run: { s in
                allocLoop(s, live: l, seconds: 0.5)
            }, operation: allocLoopOperation))
        } else {
            ws.append(heapWorkloads[2])
        }
        return ws
    }

    /// The options `run` hands HeapBench: a --workload filter also selects the sized
    /// variants ("live-churn" selects "live-churn L=N").
    static func filtered(_ o: Options) -> Options {
        var f = o
        f.workloads = o.workloads.flatMap { w in
            [w] + workloads(o).map(\.name).filter { $0.hasPrefix(w + " ") }
        }
        return f
    }

    /// The progress weight of every configuration `run(o)` runs, in order.
    static func configurations(_ o: Options) -> [Double] { HeapBench.configurations(workloads(o), filtered(o)) }

    static func run(_ o: Options) -> [BenchResult] {
        var out = HeapBench.run(workloads(o), filtered(o))
        // Growth of pauses between the two sizes of each experiment.
        func growth(_ prefix: String, _ c: String, _ metric: String) -> (Double, Double, String, String)? {
            let names = workloads(o).map(\.name).filter { $0.hasPrefix(prefix + " ") }
            guard names.count == 2,
                  let big = out.last(where: { $0.workload == names[0] && $0.collector == c && $0.procs == 2 }),
                  let small = out.last(where: { $0.workload == names[1] && $0.collector == c && $0.procs == 2 }) else { return nil }
            return (big.metrics[metric] ?? 0, small.metrics[metric] ?? 0, names[0], names[1])
        }
        if let (b, s, bn, sn) = growth("live-churn", "hybrid", "pause_p99_us"),
           let i = out.lastIndex(where: { $0.workload == bn && $0.collector == "hybrid" && $0.procs == 2 }) {
            let g = b / max(s, 0.001)
            out[i].notes.append("hybrid pause p99 grows \(String(format: "%.2f", g))x from \(sn) to \(bn) (target <= 1.5: \(g <= 1.5 ? "met" : "MISSED"))")
        }
        if let (b, s, bn, sn) = growth("live-churn", "markSweep", "pause_max_us"),
           let i = out.lastIndex(where: { $0.workload == bn && $0.collector == "markSweep" && $0.procs == 2 }) {
            out[i].notes.append("markSweep pause max grows \(String(format: "%.1f", b / max(s, 0.001)))x from \(sn) to \(bn)")
        }
        for c in ["insertion", "hybrid"] {
            if let (b, s, bn, sn) = growth("stacks", c, "pause_max_us"),
               let i = out.lastIndex(where: { $0.workload == bn && $0.collector == c && $0.procs == 2 }) {
                out[i].notes.append("\(c) pause max \(fmt(s)) us at \(sn) -> \(fmt(b)) us at \(bn)")
            }
        }
        // The hybrid collector's pause targets (live-churn, procs 2).
        if let i = out.firstIndex(where: { $0.workload.hasPrefix("live-churn") && $0.collector == "hybrid" && $0.procs == 2 }) {
            let p99 = out[i].metrics["pause_p99_us"] ?? 0, mx = out[i].metrics["pause_max_us"] ?? 0
            out[i].notes.append("hybrid live-churn procs 2: pause p99 \(fmt(p99)) us (target <= 100: \(p99 <= 100 ? "met" : "MISSED")), "
                + "max \(fmt(mx)) us (target <= 500: \(mx <= 500 ? "met" : "MISSED"))")
        }
        allocLoopNotes(&out)
        return out
    }

    /// A live binary tree of `live` nodes (~104 bytes each) in global 0; 4 goroutines do
    /// `opsPerGoroutine` operations each: replace leaves with new ones, swap subtrees at
    /// random depths, and allocate short-lived garbage. The tree's build is not measured.
    static func liveChurn(_ s: RunSettings, live: Int, opsPerGoroutine: Int) -> HeapRun {
        let rt = makeRuntime(s)
        let window = Window()
        let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 80)
        let garbage = rt.registerType(name: "Garbage", pointerFields: 1, scalarBytes: 24)
        let ops = Atomic<Int>(0)
        let log = LatencyLog()
        let depth = max(5, Int(log2(Double(live + 1))))
        do {
            try rt.run {
                // A complete tree of 2^depth - 1 nodes, rooted in global 0.
                rt.setGlobal(0, buildTree(rt, node, depth: depth))
                rt.collect()
                window.begin(rt)
                runGoroutines(4) { k in
                    var rng = SplitMix64(seed: UInt64(k + 1))
                    var n = 0
                    // Goroutine k owns the subtree under path bits k (two levels down), so
                    // concurrent swaps never race on the same slots: the live size stays L.
                    func walk(_ levels: Int, _ bits: UInt64) -> Ref {
                        let path = (bits << 2) | UInt64(k)
                        var p = rt.global(0)
                        for i in 0..<levels { p = rt.load(p, Int((path >> UInt64(i)) & 1)) }
                        return p
                    }
                    var lat = OpLatency()
                    lat.start(at: nanotime())
                    while n < opsPerGoroutine {
                        for _ in 0..<64 {
                            let bits = rng.next()
                            switch bits % 8 {
                            case 0, 1:  // replace a leaf: allocate first (safe point), then walk
                                let leaf = rt.alloc(node)
                                let parent = walk(depth - 2, bits >> 3)
                                rt.store(parent, Int((bits >> 62) & 1), leaf)
                            case 2, 3:  // swap two subtrees at the same depth
                                let d = 2 + Int((bits >> 3) % UInt64(depth - 3))
                                let a = walk(d, bits >> 8), b = walk(d, bits >> 30)
                                let fa = Int((bits >> 61) & 1), fb = Int((bits >> 62) & 1)
                                let ca = rt.load(a, fa), cb = rt.load(b, fb)
                                rt.store(a, fa, cb)
                                rt.store(b, fb, ca)
                            default:  // short-lived garbage
                                let g = rt.alloc(garbage)
                                rt.store(g, 0, g)
                            }
                            n += 1
                        }
                        lat.tick(at: nanotime())
                    }
                    ops.add(n, ordering: .relaxed)
                    log.add(lat)
                }
                window.finish(rt)
            }
        } catch { fatalError("gcbench: live-churn failed: \(error)") }
        // Only the churn phase counts, not the build.
        let mops = Double(ops.load(ordering: .relaxed)) / Double(window.end - window.start) * 1e3
        return HeapRun(rt: rt, window: window, extra: ["mops_per_s": mops], latency: log.value)
    }

    /// `goroutines` goroutines, each holding 50 stack slots, replacing slots with new objects
    /// `opsPerGoroutine` times (insertion's re-scan cost grows with the stacks; hybrid's
    /// does not).
    static func stacks(_ s: RunSettings, goroutines: Int, opsPerGoroutine: Int) -> HeapRun {
        let rt = makeRuntime(s)
        let window = Window()
        let obj = rt.registerType(name: "Obj", pointerFields: 1, scalarBytes: 16)
        let ops = Atomic<Int>(0)
        let log = LatencyLog()
        do {
            try rt.run {
                window.begin(rt)
                runGoroutines(goroutines) { k in
                    var slots: [StackSlot] = []
                    for _ in 0..<50 { slots.append(rt.allocSlot(obj)) }
                    var rng = SplitMix64(seed: UInt64(k + 1))
                    var n = 0
                    var lat = OpLatency()
                    lat.start(at: nanotime())
                    while n < opsPerGoroutine {
                        let i = Int(rng.next() % 50)
                        rt[slots[i]] = rt.alloc(obj)
                        n += 1
                        lat.tick(at: nanotime())
                        if n % 8 == 0 { Goroutine.yield() }
                    }
                    ops.add(n, ordering: .relaxed)
                    log.add(lat)
                }
                window.finish(rt)
            }
        } catch { fatalError("gcbench: stacks failed: \(error)") }
        let mops = Double(ops.load(ordering: .relaxed)) / Double(window.end - window.start) * 1e3
        return HeapRun(rt: rt, window: window, extra: ["mops_per_s": mops], latency: log.value)
    }
}
