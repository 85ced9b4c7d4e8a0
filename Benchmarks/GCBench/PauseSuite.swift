import Foundation
import GMP
import Synchronization
import TriColor

/// Suite `pause`: stop-the-world pauses under a large live heap (`live-churn`) and under
/// many goroutine stacks (`stacks`), for every collector side by side.
enum PauseSuite {
    static let workloads = ["live-churn", "stacks"]

    static func run(_ o: Options) -> [BenchResult] {
        var out: [BenchResult] = []
        let collectors = o.collectorsGiven ? o.collectors : CollectorKind.safe
        for w in workloads where o.workloads.isEmpty || o.workloads.contains(w) {
            let sizes: [Int] = w == "live-churn"
                ? (o.quick ? [100_000, 10_000] : [1_000_000, 100_000])
                : (o.quick ? [1_000, 100] : [10_000, 1_000])
            for size in sizes {
                for p in o.procs {
                    for c in collectors {
                        let (m, r) = measure(repeats: o.repeats, warmup: false) {
                            w == "live-churn"
                                ? liveChurn(collector: c, procs: p, live: size, seconds: o.quick ? 0.3 : 1.0)
                                : stacks(collector: c, procs: p, goroutines: size, seconds: o.quick ? 0.3 : 1.0)
                        }
                        let name = w == "live-churn" ? "live-churn L=\(size)" : "stacks G=\(size)"
                        out.append(BenchResult(suite: "pause", workload: name, collector: c.rawValue, procs: p,
                                               metrics: m, ranges: r, repeats: o.repeats))
                    }
                }
            }
        }
        out += notes(out)
        return out
    }

    /// Target checks, computed from the results of this run.
    static func notes(_ rs: [BenchResult]) -> [BenchResult] {
        func find(_ w: String, _ c: String, _ p: Int) -> BenchResult? {
            rs.first { $0.workload == w && $0.collector == c && $0.procs == p }
        }
        var notes: [String] = []
        let bigs = rs.filter { $0.workload.hasPrefix("live-churn") }.map(\.workload)
        if let big = bigs.first, let small = bigs.last, big != small, let h = find(big, "hybrid", 2), let hs = find(small, "hybrid", 2) {
            let p99 = h.metrics["pause_p99_us"] ?? 0, mx = h.metrics["pause_max_us"] ?? 0
            let growth = p99 / max(1, hs.metrics["pause_p99_us"] ?? 1)
            notes.append("hybrid \(big) procs 2: pause p99 \(fmt(p99)) us (target <= 100: \(p99 <= 100 ? "met" : "MISSED")), "
                + "max \(fmt(mx)) us (target <= 500: \(mx <= 500 ? "met" : "MISSED")), p99 growth over \(small): "
                + "\(String(format: "%.2f", growth))x (target <= 1.5: \(growth <= 1.5 ? "met" : "MISSED"))")
        }
        if let big = bigs.first, let small = bigs.last, big != small, let m = find(big, "markSweep", 2), let ms = find(small, "markSweep", 2) {
            notes.append("markSweep pause max grows \(String(format: "%.1f", (m.metrics["pause_max_us"] ?? 0) / max(1, ms.metrics["pause_max_us"] ?? 1)))x "
                + "from \(small) to \(big) (linear in the live heap)")
        }
        let st = rs.filter { $0.workload.hasPrefix("stacks") }.map(\.workload)
        if let big = st.first, let small = st.last, big != small {
            for c in ["insertion", "hybrid"] {
                if let b = find(big, c, 2), let s = find(small, c, 2) {
                    notes.append("\(c): pause max \(fmt(s.metrics["pause_max_us"] ?? 0)) us at \(small) -> "
                        + "\(fmt(b.metrics["pause_max_us"] ?? 0)) us at \(big)")
                }
            }
        }
        guard !notes.isEmpty, var last = rs.last else { return [] }
        // Attach the notes to the last row so they print after the tables.
        last.notes = notes
        last.metrics = [:]
        last.workload = "targets"
        return [last]
    }

    static func percentile(_ xs: [Int64], _ q: Double) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        let i = min(s.count - 1, max(0, Int((q * Double(s.count)).rounded(.up)) - 1))
        return Double(s[i])
    }

    /// Pause metrics over the cycles that started at or after `since` (nanotime).
    static func pauseMetrics(_ rt: TriColorRuntime, since: Int64) -> [String: Double] {
        let recs = rt.stats.records.filter { $0.start >= since }
        let pauses = recs.flatMap(\.pauses)
        return ["gc_cycles": Double(recs.count),
                "pause_p50_us": percentile(pauses, 0.5) / 1e3,
                "pause_p99_us": percentile(pauses, 0.99) / 1e3,
                "pause_max_us": Double(pauses.max() ?? 0) / 1e3,
                "assist_ms": Double(rt.stats.assistNS) / 1e6,
                "mark_ms": Double(recs.reduce(0) { $0 + $1.markNS }) / 1e6]
    }

    static func makeRuntime(_ c: CollectorKind, procs: Int) -> TriColorRuntime {
        var cfg = RuntimeConfig.fromEnvironment()   // TRICOLOR_DEBUG=gccheckmark=1 etc. apply
        cfg.collector = c
        cfg.scheduler.procs = procs
        do { return try TriColorRuntime(cfg) } catch { fatalError("gcbench: \(error)") }
    }

    /// A live binary tree of `live` nodes (~104 bytes each) in global 0; 4 goroutines for
    /// `seconds`: replace leaves with new ones, swap subtrees at random depths, and
    /// allocate short-lived garbage.
    static func liveChurn(collector: CollectorKind, procs: Int, live: Int, seconds: Double) -> [String: Double] {
        let rt = makeRuntime(collector, procs: procs)
        let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 80)
        let garbage = rt.registerType(name: "Garbage", pointerFields: 1, scalarBytes: 24)
        let ops = Atomic<Int>(0)
        let depth = max(5, Int(log2(Double(live + 1))))
        let elapsed = Box(0.0)
        let since = Box<Int64>(0)
        do {
            try rt.run {
                // Build a complete tree of 2^depth - 1 nodes, top-down, rooted in global 0.
                func build(_ d: Int) -> Ref {
                    rt.withFrame {
                        let n = rt.allocSlot(node)
                        if d > 1 {
                            let l = build(d - 1)
                            rt.store(rt[n], 0, l)
                            let r = build(d - 1)
                            rt.store(rt[n], 1, r)
                        }
                        return rt[n]
                    }
                }
                let root = build(depth)
                rt.setGlobal(0, root)
                rt.collect()
                let t0 = nanotime()
                since.value = t0
                let deadline = t0 + Int64(seconds * 1e9)
                let wg = WaitGroup()
                for k in 0..<4 {
                    wg.add(1)
                    go {
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
                        while nanotime() < deadline {
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
                        }
                        ops.add(n, ordering: .relaxed)
                        wg.done()
                    }
                }
                wg.wait()
                elapsed.value = Double(nanotime() - t0)
            }
        } catch { fatalError("gcbench: live-churn failed: \(error)") }
        // Only the churn phase's cycles count, not the build's.
        var m = pauseMetrics(rt, since: since.value)
        m["mops_per_s"] = Double(ops.load(ordering: .relaxed)) / elapsed.value * 1e3
        return m
    }

    /// `goroutines` goroutines, each holding 50 stack slots, replacing slots with new objects
    /// for `seconds` (insertion's re-scan cost grows with the stacks; hybrid's does not).
    static func stacks(collector: CollectorKind, procs: Int, goroutines: Int, seconds: Double) -> [String: Double] {
        let rt = makeRuntime(collector, procs: procs)
        let obj = rt.registerType(name: "Obj", pointerFields: 1, scalarBytes: 16)
        let ops = Atomic<Int>(0)
        let elapsed = Box(0.0)
        let since = Box<Int64>(0)
        do {
            try rt.run {
                let t0 = nanotime()
                since.value = t0
                let deadline = t0 + Int64(seconds * 1e9)
                let wg = WaitGroup()
                for k in 0..<goroutines {
                    wg.add(1)
                    go {
                        var slots: [StackSlot] = []
                        for _ in 0..<50 { slots.append(rt.allocSlot(obj)) }
                        var rng = SplitMix64(seed: UInt64(k + 1))
                        var n = 0
                        while nanotime() < deadline {
                            let i = Int(rng.next() % 50)
                            rt[slots[i]] = rt.alloc(obj)
                            n += 1
                            if n % 8 == 0 { Goroutine.yield() }
                        }
                        ops.add(n, ordering: .relaxed)
                        wg.done()
                    }
                }
                wg.wait()
                elapsed.value = Double(nanotime() - t0)
            }
        } catch { fatalError("gcbench: stacks failed: \(error)") }
        var m = pauseMetrics(rt, since: since.value)
        m["mops_per_s"] = Double(ops.load(ordering: .relaxed)) / elapsed.value * 1e3
        return m
    }
}
