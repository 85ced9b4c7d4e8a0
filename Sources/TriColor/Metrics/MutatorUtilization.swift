// Minimum mutator utilization (MMU), Cheng & Blelloch, "A Parallel, Real-Time Garbage
// Collector" (PLDI 2001).
//
// Pause percentiles say how long a pause is; they do not say how much work the program
// gets done in a window of time: ten 1 ms pauses in a row hurt a 10 ms deadline as much as
// one 10 ms pause. MMU answers that. For a window size w, the mutator utilization of the
// window [t, t+w] is the fraction of it in which the mutator ran:
//
//     u(t, w) = (w - gc(t, t+w)) / w        gc(a, b) = GC time inside [a, b]
//
// and the minimum mutator utilization is the worst window of that size in the run:
//
//     MMU(w) = min over S <= t <= E - w of u(t, w)        [S, E] = the measured run
//
// MMU(w) is 0 while w is at most the longest pause, and rises towards the run's overall
// utilization 1 - gc(S, E)/(E - S) as w grows. (Cheng & Blelloch define it with the max
// pause below and the overall utilization above; plotted against log w it is the "MMU
// curve" of the gcbench plots.)
//
// Here "GC time" is stop-the-world time: the intervals in which no mutator could run
// (GCEvent kind .stw in the event log, from the stop request to the restart). Concurrent
// marking also takes processor time (workers, assists), but it shares the machine with
// the mutators rather than excluding them, so it is not in this MMU; gc_cpu_pct reports it.
//
// Computing the minimum exactly. For a fixed w, gc(t, t+w) is a piecewise-linear function
// of t whose slope, ind(t+w) - ind(t) (ind = 1 inside a pause), changes only when t or t+w
// crosses a pause boundary. A maximum of a piecewise-linear function lies at a breakpoint
// or an end, so the worst window starts at one of
//
//     S,  E - w,  a_k,  b_k,  a_k - w,  b_k - w        [a_k, b_k] = pause k
//
// (clamped into [S, E - w]). With the pauses merged, sorted and prefix-summed, gc(t, t+w)
// is two binary searches, so MMU(w) costs O(n log n) for n pauses.
//
// Windows longer than the run are clamped: MMU(w >= E - S) is the overall utilization.

import Foundation

/// Minimum mutator utilization of one run, from its stop-the-world intervals.
public struct MutatorUtilization: Sendable {
    /// The run: [start, end] in nanotime.
    public let start: Int64
    public let end: Int64
    /// The pauses clipped to the run, merged where they overlap, sorted. Each is
    /// start..<end in nanotime.
    public let pauses: [Range<Int64>]
    /// prefix[i] = total length of pauses[0..<i].
    private let prefix: [Int64]

    /// - Parameters:
    ///   - pauses: stop-the-world intervals (any order, may overlap or stick out of the run;
    ///     they are clipped and merged). Empty ranges are ignored.
    ///   - start: the start of the measured run (nanotime).
    ///   - end: its end; must be after `start`.
    /// - Complexity: O(n log n).
    public init(pauses: [Range<Int64>], start: Int64, end: Int64) {
        precondition(end > start, "MutatorUtilization: the run must have a positive length (start \(start), end \(end))")
        self.start = start
        self.end = end
        let clipped = pauses.compactMap { r -> Range<Int64>? in
            let lo = max(r.lowerBound, start), hi = min(r.upperBound, end)
            return lo < hi ? lo..<hi : nil
        }.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int64>] = []
        for r in clipped {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        self.pauses = merged
        var p: [Int64] = [0]
        p.reserveCapacity(merged.count + 1)
        for r in merged { p.append(p.last! + Int64(r.count)) }
        prefix = p
    }

    /// Builds the pauses from an event log: every `.stw` event.
    public init(events: [GCEvent], start: Int64, end: Int64) {
        self.init(pauses: events.filter { $0.kind == .stw && $0.end > $0.start }.map { $0.start..<$0.end },
                  start: start, end: end)
    }

    /// The run's length (ns).
    public var duration: Int64 { end - start }

    /// Total stop-the-world time inside the run (ns).
    public var pausedTotal: Int64 { prefix.last! }

    /// The fraction of the whole run in which mutators could run: 1 - paused / duration.
    public var overall: Double { 1 - Double(pausedTotal) / Double(duration) }

    /// Stop-the-world time inside `[a, b]` (ns).
    /// - Complexity: O(log n).
    public func paused(from a: Int64, to b: Int64) -> Int64 {
        guard b > a else { return 0 }
        return pausedBefore(b) - pausedBefore(a)
    }

    /// Pause time in [start, t].
    private func pausedBefore(_ t: Int64) -> Int64 {
        // First pause whose lower bound is >= t: everything before it started before t.
        var lo = 0, hi = pauses.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pauses[mid].lowerBound < t { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return 0 }
        let last = pauses[lo - 1]
        return prefix[lo - 1] + min(last.upperBound, t) - last.lowerBound
    }

    /// MMU for windows of `window` nanoseconds: the smallest mutator utilization of any
    /// window of that size inside the run, in 0...1. A window at least as long as the run
    /// gives `overall`.
    /// - Parameter window: must be positive.
    /// - Complexity: O(n log n) for n pauses.
    public func minimum(window w: Int64) -> Double {
        precondition(w > 0, "MutatorUtilization: window must be positive, got \(w)")
        if w >= duration { return overall }
        let lastStart = end - w
        var worst: Int64 = paused(from: start, to: start + w)
        func consider(_ t: Int64) {
            let s = min(max(t, start), lastStart)
            worst = max(worst, paused(from: s, to: s + w))
        }
        consider(lastStart)
        for r in pauses {
            consider(r.lowerBound)
            consider(r.upperBound)
            consider(r.lowerBound - w)
            consider(r.upperBound - w)
        }
        return Double(w - worst) / Double(w)
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
