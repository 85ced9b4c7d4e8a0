import Foundation
import GMP
import GCBenchKit
import TriColor

/// Suite `alloc`: allocation-heavy workloads on the managed heap. `binary-trees` runs
/// beside the same program on native Swift classes under ARC (collector name `arc`, one
/// single-threaded row at procs 1); `gcbench` is Boehm's GCBench (Ellis and Kovac),
/// GCBench.swift.
enum AllocSuite {
    static let workloads = ["binary-trees", "gcbench"]

    /// The default binary-trees depth (--depth overrides; --quick uses 10).
    static let defaultDepth = 14

    static var heapWorkloads: [HeapWorkload] {
        [HeapWorkload(suite: "alloc", name: "binary-trees",
                      run: { s in BinaryTrees.heap(s, depth: depth(s)) },
                      operation: "one short-lived tree built and checked (depth 4 to N: the gap grows with the depth, not only with GC)",
                      baseline: { s in BinaryTrees.arc(depth: depth(s)) }),
         HeapWorkload(suite: "alloc", name: "gcbench", run: { s in EllisKovac.run(s) },
                      operation: "one temporary tree built (depth 4 to 16: the gap grows with the depth, not only with GC)")]
    }

    /// The progress weight of every configuration `run(o)` runs, in order.
    static func configurations(_ o: Options) -> [Double] { HeapBench.configurations(heapWorkloads, o) }

    static func depth(_ s: RunSettings) -> Int { s.quick ? 10 : (s.depth ?? defaultDepth) }

    static func run(_ o: Options) -> [BenchResult] {
        var out = HeapBench.run(heapWorkloads, o)
        // ratio_vs_arc: each collector row's median wall time (at its procs) over the median
        // wall time of the one ARC row (single-threaded, run once at procs 1); per run, that
        // run's wall time over the same ARC median.
        guard let arc = out.first(where: { $0.workload == "binary-trees" && $0.collector == "arc" }),
              let a = arc.metrics["wall_ms"], a > 0 else { return out }
        for i in out.indices where out[i].workload == "binary-trees" && out[i].collector != "arc" {
            guard let mine = out[i].metrics["wall_ms"] else { continue }
            out[i].metrics["ratio_vs_arc"] = mine / a
            for j in out[i].runs.indices {
                if let w = out[i].runs[j]["wall_ms"] { out[i].runs[j]["ratio_vs_arc"] = w / a }
            }
            if out[i].collector == "markSweep" {
                out[i].notes.append("binary-trees N=\(depthNote(o)): markSweep procs=\(out[i].procs) / arc (single-threaded, "
                    + "procs 1) wall ratio \(String(format: "%.2f", mine / a)) (target <= 1.0: \(mine / a <= 1.0 ? "met" : "MISSED"))")
            }
        }
        return out
    }

    static func depthNote(_ o: Options) -> Int { o.quick ? 10 : (o.depth ?? defaultDepth) }
}

/// The Benchmarks Game's binary-trees: a stretch tree of depth N+1, a long-lived tree of
/// depth N, and 2^(N-d+4) short-lived trees of each depth d = 4, 6, ..., N.
enum BinaryTrees {
    static let minDepth = 4

    /// One run on the managed heap (the whole program is the measured region).
    static func heap(_ s: RunSettings, depth n: Int) -> HeapRun {
        let rt = makeRuntime(s)
        let window = Window()
        let node = rt.registerType(name: "TreeNode", pointerFields: 2)
        let checks = Box(0)
        let log = LatencyLog()

        /// Builds a tree top-down; the returned Ref is valid until the next safe point.
        /// One stack slot per level (`levels[d]`) roots the node under construction at depth
        /// d while its subtrees allocate; siblings reuse it, since a finished node is linked
        /// into its parent (rooted by the slot one level up) before the next allocation. A
        /// leaf needs no slot: nothing allocates between its allocation and that link.
        @Sendable func build(_ d: Int, _ levels: UnsafeBufferPointer<StackSlot>) -> Ref {
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
        @Sendable func build(_ d: Int) -> Ref {
            rt.withFrame {
                let levels = (0...d).map { _ in rt.push(nil) }
                return levels.withUnsafeBufferPointer { build(d, $0) }
            }
        }
        @Sendable func check(_ t: Ref) -> Int {
            let l = rt.load(t, 0)
            if l.isNil { return 1 }
            return 1 + check(l) + check(rt.load(t, 1))
        }

        let maxDepth = max(minDepth + 2, n)
        do {
            try rt.run {
                window.begin(rt)
                defer { window.finish(rt) }
                var total = check(build(maxDepth + 1))
                let longLived = rt.push(build(maxDepth))
                var lat = OpLatency()
                lat.start(at: nanotime())
                for d in stride(from: minDepth, through: maxDepth, by: 2) {
                    let iterations = 1 << (maxDepth - d + minDepth)
                    for _ in 0..<iterations {
                        total += check(build(d))
                        lat.tick(at: nanotime())
                    }
                }
                log.add(lat)
                total += check(rt[longLived])
                checks.value = total
            }
        } catch { fatalError("gcbench: binary-trees failed: \(error)") }
        precondition(checks.value == expectedChecks(maxDepth), "binary-trees: wrong check sum \(checks.value)")
        return HeapRun(rt: rt, window: window, latency: log.value)
    }

    final class ArcNode {
        let left: ArcNode?
        let right: ArcNode?
        init(_ l: ArcNode?, _ r: ArcNode?) { left = l; right = r }
    }

    /// The same program on `final class` nodes under ARC, on the calling thread. Returns what
    /// it measured: `wall_ms`, and `peak_rss_mb` when the kernel lets the run reset the
    /// process's resident-set high-water mark first (see `PeakRSS`). ARC has no collector, so
    /// no GC, pause, MMU or heap-size metric is reported for it.
    static func arc(depth n: Int) -> [String: Double] {
        func build(_ d: Int) -> ArcNode {
            d == 0 ? ArcNode(nil, nil) : ArcNode(build(d - 1), build(d - 1))
        }
        func check(_ t: ArcNode) -> Int {
            guard let l = t.left, let r = t.right else { return 1 }
            return 1 + check(l) + check(r)
        }
        let maxDepth = max(minDepth + 2, n)
        let peakReset = PeakRSS.reset()
        let t0 = nanotime()
        var total = check(build(maxDepth + 1))
        let longLived = build(maxDepth)
        for d in stride(from: minDepth, through: maxDepth, by: 2) {
            let iterations = 1 << (maxDepth - d + minDepth)
            for _ in 0..<iterations { total += check(build(d)) }
        }
        total += check(longLived)
        let wall = Double(nanotime() - t0) / 1e6
        let peak = peakReset ? PeakRSS.bytes() : nil
        precondition(total == expectedChecks(maxDepth), "binary-trees (arc): wrong check sum")
        var m: [String: Double] = ["wall_ms": wall]
        if let peak { m["peak_rss_mb"] = Double(peak) / 1_048_576 }
        return m
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

/// The process's peak resident set size over a stretch of code (Linux): `reset` sets the
/// kernel's high-water mark (VmHWM) to the current resident size, `bytes` reads it. The
/// value is process-wide: everything resident counts (the Swift runtime, memory earlier
/// suites left mapped), not just what the code between the two calls allocated.
enum PeakRSS {
    /// Resets the high-water mark by writing "5" to /proc/self/clear_refs (Linux 4.0+).
    /// Returns false when that is not possible (no /proc, or the write is refused); the peak
    /// must then not be reported, since VmHWM would cover the whole process lifetime.
    static func reset() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// VmHWM from /proc/self/status, in bytes (nil if unreadable).
    static func bytes() -> Int? {
        guard let data = FileHandle(forReadingAtPath: "/proc/self/status")?.readDataToEndOfFile(),
              let text = String(data: data, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") else { return nil }
        return kb * 1024
    }
}
