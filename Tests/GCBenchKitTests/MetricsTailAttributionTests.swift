import Testing
@testable import GCBenchKit
import TriColor

/// TailAttribution sums, per kind, the GC time inside each request (clipped to it) and
/// averages it over the tail (latency >= p99) and over all requests.
@Suite struct MetricsTailAttributionTests {
    @Test func tailRequestsCarryTheGCTimeInsideThem() {
        // 49 fast requests of 10 ns, none overlapping GC, then one slow one of 1,000 ns (the p99 of 50 is the 50th)
        // that a 300 ns fractional burst, a 100 ns assist and a 50 ns pause lie in (the
        // burst sticks out of the request by 100 ns, which does not count).
        var reqs: [Range<Int64>] = (0..<49).map { Int64($0) * 100..<Int64($0) * 100 + 10 }
        let slow: Range<Int64> = 100_000..<101_000
        reqs.append(slow)
        let events = [
            GCEvent(kind: .cycle, name: "GC 1", start: 99_000, end: 102_000),
            GCEvent(kind: .worker, name: "fractional", start: 99_900, end: 100_200, p: 0),
            GCEvent(kind: .assist, name: "assist", start: 100_500, end: 100_600, p: 0),
            GCEvent(kind: .stw, name: "mark termination", start: 100_900, end: 100_950),
            GCEvent(kind: .worker, name: "fractional", start: 200_000, end: 300_000, p: 0),  // after every request
        ]
        let a = TailAttribution(requests: reqs, events: events)
        #expect(a.tailCount == 1)
        #expect(a.tailMeanNS == 1_000)
        #expect(a.tail["fractional"] == 200)
        #expect(a.tail["assist"] == 100)
        #expect(a.tail["stw"] == 50)
        #expect(a.tail["sweep"] == 0)
        #expect(a.all["fractional"] == 4)   // 200 ns over 50 requests
        #expect(a.tailInCycle == 1)
        #expect(a.metrics["tail_fractional_us"] == 0.2)
        #expect(a.metrics["tail_in_cycle_pct"] == 100)
    }

    @Test func noRequestsNoTail() {
        let a = TailAttribution(requests: [], events: [])
        #expect(a.tailCount == 0)
        #expect(a.metrics["tail_req_us"] == 0)
    }
}
