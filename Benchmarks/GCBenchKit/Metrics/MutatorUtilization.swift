// Minimum mutator utilization (MMU), Cheng & Blelloch, "A Parallel, Real-Time Garbage
// Collector" (PLDI 2001), computed the way `go tool trace` does: from per-P utilization.
//
// Pause percentiles say how long a pause is; they do not say how much work the program
// gets done in a window of time: ten 1 ms pauses in a row hurt a 10 ms deadline as much as
// one 10 ms pause. MMU answers that. For a window size w, the mutator utilization of the
// window [t, t+w] is the fraction of the machine's time in it that the mutator had:
//
//     u(t, w) = 1 - gc(t, t+w) / w        gc(a, b) = GC time inside [a, b] / GOMAXPROCS
//
// and the minimum mutator utilization is the worst window of that size in the run:
//
//     MMU(w) = min over S <= t <= E - w of u(t, w)        [S, E] = the measured run
//
// "GC time" is every P-interval not available to mutators: a stop-the-world pause takes
// every P (from the stop request to the restart); a background worker's burst, an idle
// worker's burst, the coordinator's stack scans and a mark assist take the P they ran on
// (event kinds .worker and .assist, with their P). So at GOMAXPROCS = 2 a worker running
// for 10 ms costs the window half of it. Overlapping intervals on the same P count once.
// As `go tool trace` can ("include: sweep"), the MMU may also count sweeping as GC time:
// every span sweep (lazy in an allocation, background, or before a cycle) is an event on
// the P that swept it (`countingSweep`). By default it is mutator time, as Go's default.
//
// Computing the minimum exactly. The GC density d(t) (busy Ps / GOMAXPROCS) is a step
// function, so its integral G(t) is piecewise linear with breakpoints where an interval
// starts or ends. gc(t, t+w) = G(t+w) - G(t) is piecewise linear in t with breakpoints where
// t or t+w crosses one of G's, so its maximum lies at one of
//
//     S,  E - w,  x_k,  x_k - w        x_k = a breakpoint of G
//
// (clamped into [S, E - w]). With G tabulated at its breakpoints, the candidates visited in
// increasing order (a merge of the two sorted families) and each end of the window walking
// the breakpoints forward, MMU(w) costs O(n) for n intervals after an O(n log n) set-up.
// Windows longer than the run are clamped: MMU(w >= E - S) is the overall utilization.

import TriColor
import Foundation

/// A stretch of time in which GC held a P (`p`), or every P (`p == nil`: the world was
/// stopped).
public struct GCInterval: Sendable, Equatable {
    public var range: Range<Int64>
    public var p: Int?
    public init(_ range: Range<Int64>, p: Int?) {
        self.range = range
        self.p = p
    }
}

/// Minimum mutator utilization of one run, from its GC intervals.
public struct MutatorUtilization: Sendable {
    /// The run: [start, end] in nanotime.
    public let start: Int64
    public let end: Int64
    /// Breakpoints of G (sorted, from `start` to `end`) and G at each: GC time in
    /// [start, times[i]] in machine-ns (P-ns / GOMAXPROCS).
    private let times: [Int64]
    private let integral: [Double]
    /// The stop-the-world intervals, clipped, merged and sorted.
    public let pauses: [Range<Int64>]

    /// - Parameters:
    ///   - intervals: GC intervals (any order; may overlap or stick out of the run; clipped
    ///     and merged per P). Intervals whose P is outside `0..<procs` count as P 0.
    ///   - procs: GOMAXPROCS of the run, at least 1.
    ///   - start, end: the measured run (nanotime); `end` must be after `start`.
    /// - Complexity: O(n log n).
    public init(intervals: [GCInterval], procs: Int, start: Int64, end: Int64) {
        precondition(end > start, "MutatorUtilization: the run must have a positive length (start \(start), end \(end))")
        precondition(procs >= 1, "MutatorUtilization: procs must be at least 1, got \(procs)")
        self.start = start
        self.end = end
        func clip(_ r: Range<Int64>) -> Range<Int64>? {
            let lo = max(r.lowerBound, start), hi = min(r.upperBound, end)
            return lo < hi ? lo..<hi : nil
        }
        func merge(_ rs: [Range<Int64>]) -> [Range<Int64>] {
            var out: [Range<Int64>] = []
            for r in rs.sorted(by: { $0.lowerBound < $1.lowerBound }) {
                if let last = out.last, r.lowerBound <= last.upperBound {
                    out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
                } else {
                    out.append(r)
                }
            }
            return out
        }
        let stw = intervals.filter { $0.p == nil }.compactMap { clip($0.range) }
        pauses = merge(stw)
        // Each P's busy time: its own intervals together with every pause.
        var perP = [[Range<Int64>]](repeating: stw, count: procs)
        for i in intervals {
            guard let p = i.p, let r = clip(i.range) else { continue }
            perP[(0..<procs).contains(p) ? p : 0].append(r)
        }
        var deltas: [(t: Int64, d: Int)] = []
        for track in perP {
            for r in merge(track) {
                deltas.append((r.lowerBound, 1))
                deltas.append((r.upperBound, -1))
            }
        }
        deltas.sort { $0.t < $1.t }
        var ts: [Int64] = [start], gs: [Double] = [0]
        var busy = 0
        var at = start
        for (t, d) in deltas {
            if t > at {
                gs.append(gs.last! + Double(busy) * Double(t - at) / Double(procs))
                ts.append(t)
                at = t
            }
            busy += d
        }
        if at < end {
            gs.append(gs.last! + Double(busy) * Double(end - at) / Double(procs))
            ts.append(end)
        }
        times = ts
        integral = gs
    }

    /// Stop-the-world intervals only (every P stopped), for a run at any GOMAXPROCS.
    public init(pauses: [Range<Int64>], start: Int64, end: Int64) {
        self.init(intervals: pauses.map { GCInterval($0, p: nil) }, procs: 1, start: start, end: end)
    }

    /// Builds the intervals from an event log: `.stw` events take every P; `.worker` and
    /// `.assist` events take their own P, and so do `.sweep` events when `countingSweep`.
    public init(events: [GCEvent], procs: Int = 1, start: Int64, end: Int64, countingSweep: Bool = false) {
        let intervals = events.compactMap { e -> GCInterval? in
            guard e.end > e.start else { return nil }
            switch e.kind {
            case .stw: return GCInterval(e.start..<e.end, p: nil)
            case .worker, .assist: return GCInterval(e.start..<e.end, p: max(0, e.p))
            case .sweep where countingSweep: return GCInterval(e.start..<e.end, p: max(0, e.p))
            default: return nil
            }
        }
        self.init(intervals: intervals, procs: procs, start: start, end: end)
    }

    /// The run's length (ns).
    public var duration: Int64 { end - start }

    /// Total stop-the-world time inside the run (ns).
    public var pausedTotal: Int64 { pauses.reduce(0) { $0 + Int64($1.count) } }

    /// Total GC time inside the run, in machine-ns (P-ns / GOMAXPROCS).
    public var gcTotal: Double { integral.last! }

    /// The fraction of the run's machine time the mutators had.
    public var overall: Double { (Double(duration) - gcTotal) / Double(duration) }

    /// GC time inside `[a, b]` (machine-ns).
    /// - Complexity: O(log n).
    public func gcTime(from a: Int64, to b: Int64) -> Double {
        guard b > a else { return 0 }
        return gcBefore(b) - gcBefore(a)
    }

    /// G(t): GC time in [start, t], interpolated between breakpoints.
    private func gcBefore(_ t: Int64) -> Double {
        if t <= start { return 0 }
        if t >= end { return integral.last! }
        var lo = 0, hi = times.count - 1   // times[lo] <= t < times[hi]
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if times[mid] <= t { lo = mid } else { hi = mid }
        }
        let span = Double(times[hi] - times[lo])
        return integral[lo] + (integral[hi] - integral[lo]) * Double(t - times[lo]) / span
    }

    /// MMU for windows of `window` nanoseconds: the smallest mutator utilization of any
    /// window of that size inside the run, in 0...1. A window at least as long as the run
    /// gives `overall`.
    ///
    /// The candidate starts (the essay) are S, E - w and every x_k and x_k - w, clamped.
    /// Both families are sorted already, so one merge visits them in increasing order, and
    /// the window's two ends, t and t + w, only move right: each end keeps its own index
    /// into the breakpoints, so G is interpolated without a search.
    /// - Parameter window: must be positive.
    /// - Complexity: O(n) for n intervals.
    public func minimum(window w: Int64) -> Double {
        precondition(w > 0, "MutatorUtilization: window must be positive, got \(w)")
        if w >= duration { return overall }
        let lastStart = end - w
        var lo = 0, hi = 0          // times[lo] <= t < times[lo + 1]; likewise hi for t + w
        func g(_ t: Int64, _ i: inout Int) -> Double {
            while i + 1 < times.count && times[i + 1] <= t { i += 1 }
            if i + 1 >= times.count { return integral[i] }
            let span = Double(times[i + 1] - times[i])
            return integral[i] + (integral[i + 1] - integral[i]) * Double(t - times[i]) / span
        }
        var worst = 0.0
        func consider(_ t: Int64) {
            let s = min(max(t, start), lastStart)
            // Clamping keeps the candidates in order: max/min with constants are monotone.
            worst = max(worst, g(s + w, &hi) - g(s, &lo))
        }
        consider(start)
        var a = 0, b = 0            // next x_k, next x_k - w
        while a < times.count || b < times.count {
            if b < times.count && (a >= times.count || times[b] - w <= times[a]) {
                consider(times[b] - w)
                b += 1
            } else {
                consider(times[a])
                a += 1
            }
        }
        consider(lastStart)
        return max(0, (Double(w) - worst) / Double(w))
    }

    /// The MMU curve at the given window sizes (ns), in order.
    public func curve(windows: [Int64]) -> [(window: Int64, mmu: Double)] {
        windows.map { ($0, minimum(window: $0)) }
    }

    /// Window sizes for an MMU plot: `perDecade` log-spaced sizes per factor of ten from
    /// `from` up to the run's duration (which is included).
    public func standardWindows(from: Int64 = 10_000, perDecade: Int = 6) -> [Int64] {
        var ws: [Int64] = []
        var k = 0
        while true {
            let w = Int64((Double(from) * pow(10, Double(k) / Double(perDecade))).rounded())
            if w >= duration { break }
            if ws.last != w { ws.append(w) }
            k += 1
        }
        ws.append(duration)
        return ws
    }
}
