// What a mutator felt, operation by operation (golang/benchmarks gc_latency's measure):
// the gap between consecutive operations of one goroutine, so a stall of any cause (a
// pause, an assist, a worker holding the P, waiting in a run queue) shows as a long gap.
// Gaps under 10 us go to 100 ns buckets; longer ones are kept exactly (they are rare, and
// they are the stalls that matter).

import Foundation
import Synchronization

/// One goroutine's (or, merged, a run's) operation gaps.
public struct OpLatency: Sendable {
    private var small = [Int](repeating: 0, count: 100)
    public private(set) var large: [Int64] = []
    public private(set) var count = 0
    /// nanotime of the previous operation's end (`tick`).
    private var last: Int64 = 0

    public init() {}

    /// Starts timing: the next `tick` measures from now.
    public mutating func start(at now: Int64) { last = now }

    /// One operation ended at `now`: records the gap since the previous one.
    @inline(__always)
    public mutating func tick(at now: Int64) {
        record(now - last)
        last = now
    }

    @inline(__always)
    public mutating func record(_ ns: Int64) {
        count += 1
        if ns < 10_000 { small[Int(max(0, ns) / 100)] += 1 } else { large.append(ns) }
    }

    /// Adds another goroutine's gaps.
    public mutating func merge(_ o: OpLatency) {
        for i in small.indices { small[i] += o.small[i] }
        large += o.large
        count += o.count
    }

    /// Nearest-rank percentile (ns); bucketed values report their bucket's upper edge.
    public func percentile(_ q: Double) -> Double { percentile(q, sortedLarge: large.sorted()) }

    /// `percentile(q)` with `large` sorted by the caller, so several percentiles of one
    /// run sort it once (a run of many goroutines can hold millions of long gaps).
    private func percentile(_ q: Double, sortedLarge sorted: [Int64]) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((q * Double(count)).rounded(.up)))
        var seen = 0
        for (i, c) in small.enumerated() {
            seen += c
            if seen >= rank { return Double(i + 1) * 100 }
        }
        return Double(sorted[min(sorted.count - 1, rank - seen - 1)])
    }

    /// The standard metrics: op_p50_us, op_p99_us, op_p999_us, op_max_us, stall_ms (time
    /// in gaps over 1 ms), gaps_over_1ms, stall_pct (stall time / `wallNS`). Empty when no
    /// operation was recorded.
    public func metrics(wallNS: Int64) -> [String: Double] {
        guard count > 0 else { return [:] }
        let sorted = large.sorted()
        let stalls = sorted.drop { $0 <= 1_000_000 }
        let stallNS = Double(stalls.reduce(0, +))
        let maxNS = sorted.last.map(Double.init) ?? percentile(1, sortedLarge: sorted)
        return ["op_p50_us": percentile(0.5, sortedLarge: sorted) / 1e3, "op_p99_us": percentile(0.99, sortedLarge: sorted) / 1e3,
                "op_p999_us": percentile(0.999, sortedLarge: sorted) / 1e3, "op_max_us": maxNS / 1e3,
                "stall_ms": stallNS / 1e6, "gaps_over_1ms": Double(stalls.count),
                "stall_pct": stallNS / Double(max(1, wallNS)) * 100]
    }

    /// The distribution as CDF points (gap in us, fraction of operations at or below it),
    /// at most about `maxPoints` of them, for a plot.
    public func cdf(maxPoints: Int = 400) -> [(x: Double, y: Double)] {
        guard count > 0 else { return [] }
        var pts: [(x: Double, y: Double)] = []
        var seen = 0
        for (i, c) in small.enumerated() where c > 0 {
            seen += c
            pts.append((Double(i + 1) / 10, Double(seen) / Double(count)))
        }
        let sorted = large.sorted()
        let step = max(1, sorted.count / max(1, maxPoints - pts.count))
        for (j, v) in sorted.enumerated() where j % step == 0 || j == sorted.count - 1 {
            pts.append((Double(v) / 1e3, Double(seen + j + 1) / Double(count)))
        }
        return pts
    }
}

/// The gaps of every goroutine of a run, merged (each goroutine adds its own when done).
public final class LatencyLog: Sendable {
    private let merged = Mutex(OpLatency())
    public init() {}
    public func add(_ l: OpLatency) { merged.withLock { $0.merge(l) } }
    public var value: OpLatency { merged.withLock { $0 } }
}
