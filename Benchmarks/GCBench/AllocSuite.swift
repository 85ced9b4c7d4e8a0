import Foundation
import GMP
import TriColor

/// Suite `alloc`: allocation-heavy workloads on the managed heap, side by side with the
/// same program on native Swift classes under ARC (collector name `arc`).
enum AllocSuite {
    static let workloads = ["binary-trees"]

    static func run(_ o: Options) -> [BenchResult] {
        var out: [BenchResult] = []
        let n = o.quick ? 14 : (o.binaryTreesDepth ?? 18)
        for w in workloads where o.workloads.isEmpty || o.workloads.contains(w) {
            for p in o.procs {
                var wallByCollector: [String: Double] = [:]
                for c in ["arc"] + o.collectors.map(\.rawValue) {
                    let (m, r) = measure(repeats: o.repeats, warmup: false) {
                        c == "arc" ? BinaryTrees.arc(depth: n) : BinaryTrees.heap(depth: n, procs: p, collector: CollectorKind(rawValue: c)!)
                    }
                    wallByCollector[c] = m["wall_ms"]
                    var res = BenchResult(suite: "alloc", workload: "\(w)", collector: c, procs: p, metrics: m, ranges: r, repeats: o.repeats)
                    if c != "arc", let a = wallByCollector["arc"], let mine = m["wall_ms"] {
                        let ratio = mine / a
                        res.metrics["ratio_vs_arc"] = (ratio * 100).rounded() / 100
                        res.ranges["ratio_vs_arc"] = (res.metrics["ratio_vs_arc"]!, res.metrics["ratio_vs_arc"]!)
                        if c == "markSweep" {
                            res.notes.append("binary-trees N=\(n) procs=\(p): markSweep/arc wall ratio \(String(format: "%.2f", ratio)) (target <= 1.0: \(ratio <= 1.0 ? "met" : "MISSED"))")
                        }
                    }
                    out.append(res)
                }
            }
        }
        return out
    }
}

/// The Benchmarks Game's binary-trees: a stretch tree of depth N+1, a long-lived tree of
/// depth N, and 2^(N-d+4) short-lived trees of each depth d = 4, 6, ..., N.
enum BinaryTrees {
    static let minDepth = 4

    /// Returns the metrics of one run on the managed heap.
    static func heap(depth n: Int, procs: Int, collector: CollectorKind) -> [String: Double] {
        var c = RuntimeConfig()
        c.collector = collector
        c.scheduler.procs = procs
        let rt: TriColorRuntime
        do { rt = try TriColorRuntime(c) } catch { fatalError("gcbench: \(error)") }
        let node = rt.registerType(name: "TreeNode", pointerFields: 2)
        let checks = Box(0)

        /// Builds a tree top-down; the returned Ref is valid until the next safe point.
        /// One stack slot per level (`levels[d]`) roots the node under construction at depth
        /// d while its subtrees allocate; siblings reuse it, since a finished node is linked
        /// into its parent (rooted by the slot one level up) before the next allocation. A
        /// leaf needs no slot: nothing allocates between its allocation and that link.
        func build(_ d: Int, _ levels: UnsafeBufferPointer<StackSlot>) -> Ref {
            let n = rt.alloc(node)
            if d == 0 { return n }
            let slot = levels[d]
            rt[slot] = n
            let l = build(d - 1, levels)
            rt.store(rt[slot], 0, l)
            let r = build(d - 1, levels)
            rt.store(rt[slot], 1, r)
            return rt[slot]
        }
        func build(_ d: Int) -> Ref {
            rt.withFrame {
                let levels = (0...d).map { _ in rt.push(nil) }
                return levels.withUnsafeBufferPointer { build(d, $0) }
            }
        }
        func check(_ t: Ref) -> Int {
            let l = rt.load(t, 0)
            if l.isNil { return 1 }
            return 1 + check(l) + check(rt.load(t, 1))
        }

        let maxDepth = max(minDepth + 2, n)
        let t0 = nanotime()
        do {
            try rt.run {
                var total = check(build(maxDepth + 1))
                let longLived = rt.push(build(maxDepth))
                for d in stride(from: minDepth, through: maxDepth, by: 2) {
                    let iterations = 1 << (maxDepth - d + minDepth)
                    for _ in 0..<iterations { total += check(build(d)) }
                }
                total += check(rt[longLived])
                checks.value = total
            }
        } catch { fatalError("gcbench: binary-trees failed: \(error)") }
        let wall = Double(nanotime() - t0) / 1e6
        precondition(checks.value == expectedChecks(maxDepth), "binary-trees: wrong check sum \(checks.value)")
        let s = rt.stats
        return ["wall_ms": wall, "gc_cycles": Double(s.cycles),
                "pause_max_us": Double(s.maxPauseNS) / 1e3, "pause_total_ms": Double(s.totalPauseNS) / 1e6,
                "peak_heap_mb": Double(s.peakHeapInUse) / 1_048_576]
    }

    final class ArcNode {
        let left: ArcNode?
        let right: ArcNode?
        init(_ l: ArcNode?, _ r: ArcNode?) { left = l; right = r }
    }

    /// The same program on `final class` nodes under ARC.
    static func arc(depth n: Int) -> [String: Double] {
        func build(_ d: Int) -> ArcNode {
            d == 0 ? ArcNode(nil, nil) : ArcNode(build(d - 1), build(d - 1))
        }
        func check(_ t: ArcNode) -> Int {
            guard let l = t.left, let r = t.right else { return 1 }
            return 1 + check(l) + check(r)
        }
        let maxDepth = max(minDepth + 2, n)
        let t0 = nanotime()
        var total = check(build(maxDepth + 1))
        let longLived = build(maxDepth)
        for d in stride(from: minDepth, through: maxDepth, by: 2) {
            let iterations = 1 << (maxDepth - d + minDepth)
            for _ in 0..<iterations { total += check(build(d)) }
        }
        total += check(longLived)
        let wall = Double(nanotime() - t0) / 1e6
        precondition(total == expectedChecks(maxDepth), "binary-trees (arc): wrong check sum")
        // A node is 16 bytes of header + 2 references, 32 bytes in malloc's 32-byte class.
        let peakNodes = (1 << (maxDepth + 2)) - 1
        return ["wall_ms": wall, "gc_cycles": 0, "pause_max_us": 0, "pause_total_ms": 0,
                "peak_heap_mb": Double(peakNodes * 32) / 1_048_576]
    }

    static func expectedChecks(_ maxDepth: Int) -> Int {
        func nodes(_ d: Int) -> Int { (1 << (d + 1)) - 1 }
        var total = nodes(maxDepth + 1) + nodes(maxDepth)
        for d in stride(from: minDepth, through: maxDepth, by: 2) {
            total += (1 << (maxDepth - d + minDepth)) * nodes(d)
        }
        return total
    }
}
