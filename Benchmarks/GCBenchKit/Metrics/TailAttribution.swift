// What the slow requests of a server overlapped: the GC activity inside each request's
// interval, for the requests at or above the p99 latency, against the same for all requests.
//
// A request's latency is wall time from the client's write to the reply's last byte. Any GC
// activity on the P that serves it, inside that interval, can delay it: a stop of the world,
// a mark worker's burst (dedicated, fractional, idle, the coordinator's stack scans), a mark
// assist by the handler itself, a span sweep. So for every request we sum, per kind, the time
// of the runtime's recorded GC events that lies inside [start, end] (clipped; on every P, so
// at GOMAXPROCS > 1 it is an upper bound on what delayed the request), and report the mean
// per request over the tail (latency >= p99) and over all requests. A tail that is made of
// worker bursts shows a large `worker` mean in the tail and a small one overall; a tail that
// overlaps no GC at all is queueing or the machine's other load.

import TriColor

/// The GC time that lay inside requests, per event kind.
public struct TailAttribution: Sendable, Equatable {
    /// Kinds reported: "stw", "assist", "dedicated", "fractional", "idle", "coordinator",
    /// "sweep" (worker events by their name).
    public static let kinds = ["stw", "assist", "dedicated", "fractional", "idle", "coordinator", "sweep"]

    /// Requests in the tail (latency >= the p99 latency).
    public let tailCount: Int
    /// Mean latency of the tail requests (ns).
    public let tailMeanNS: Double
    /// Mean GC time (ns) per tail request, per kind.
    public let tail: [String: Double]
    /// Mean GC time (ns) per request over all requests, per kind.
    public let all: [String: Double]
    /// Fraction of tail requests that overlapped a mark phase (a `.cycle` event).
    public let tailInCycle: Double

    /// - Parameters:
    ///   - requests: every request's [start, end) in nanotime.
    ///   - events: the run's GC event log.
    public init(requests: [Range<Int64>], events: [GCEvent]) {
        func kind(_ e: GCEvent) -> String? {
            switch e.kind {
            case .stw: return "stw"
            case .assist: return "assist"
            case .sweep: return "sweep"
            case .worker: return TailAttribution.kinds.contains(e.name) ? e.name : nil
            case .cycle, .mark, .run: return nil
            }
        }
        let gc = events.compactMap { e in kind(e).map { ($0, e.start..<max(e.start, e.end)) } }.sorted { $0.1.lowerBound < $1.1.lowerBound }
        let cycles = events.filter { $0.kind == .cycle }.map { $0.start..<max($0.start, $0.end) }
        let starts = gc.map(\.1.lowerBound)
        let longest = gc.map { $0.1.count }.max() ?? 0
        /// GC time per kind inside `r`.
        func overlap(_ r: Range<Int64>) -> [String: Int64] {
            var out: [String: Int64] = [:]
            // Events starting before r.lowerBound - longest cannot reach into r.
            var lo = 0, hi = starts.count
            let from = r.lowerBound - Int64(longest)
            while lo < hi { let m = (lo + hi) / 2; if starts[m] < from { lo = m + 1 } else { hi = m } }
            var i = lo
            while i < gc.count && gc[i].1.lowerBound < r.upperBound {
                let a = max(gc[i].1.lowerBound, r.lowerBound), b = min(gc[i].1.upperBound, r.upperBound)
                if a < b { out[gc[i].0, default: 0] += b - a }
                i += 1
            }
            return out
        }
        let lat = requests.map { $0.count }.sorted()
        let p99 = lat.isEmpty ? 0 : lat[min(lat.count - 1, max(0, Int((0.99 * Double(lat.count)).rounded(.up)) - 1))]
        let tailReqs = requests.filter { $0.count >= p99 }
        func mean(_ rs: [Range<Int64>]) -> [String: Double] {
            var sum: [String: Int64] = [:]
            for r in rs { for (k, v) in overlap(r) { sum[k, default: 0] += v } }
            return Dictionary(uniqueKeysWithValues: TailAttribution.kinds.map { ($0, Double(sum[$0] ?? 0) / Double(max(1, rs.count))) })
        }
        tailCount = tailReqs.count
        tailMeanNS = tailReqs.isEmpty ? 0 : Double(tailReqs.map { $0.count }.reduce(0, +)) / Double(tailReqs.count)
        tail = mean(tailReqs)
        all = mean(requests)
        tailInCycle = tailReqs.isEmpty ? 0
            : Double(tailReqs.filter { r in cycles.contains { $0.overlaps(r) } }.count) / Double(tailReqs.count)
    }

    /// As metrics: `tail_req_us` (mean tail latency), `tail_in_cycle_pct`, and per kind
    /// `tail_<kind>_us` and `all_<kind>_us` (mean GC time of that kind per request).
    public var metrics: [String: Double] {
        var m: [String: Double] = ["tail_req_us": tailMeanNS / 1e3, "tail_in_cycle_pct": tailInCycle * 100]
        for k in TailAttribution.kinds {
            m["tail_\(k)_us"] = (tail[k] ?? 0) / 1e3
            m["all_\(k)_us"] = (all[k] ?? 0) / 1e3
        }
        return m
    }
}
