import Testing
@testable import GCBenchKit

/// Operation-gap statistics on constructed gaps: short gaps in 100 ns buckets, long ones
/// exact; stalls are the gaps over 1 ms.
@Suite struct MetricsOpLatencyTests {
    /// 990 gaps of 250 ns (bucket [200, 300) -> 300), 8 of 50 us, one of 2 ms, one of 5 ms.
    var latency: OpLatency {
        var l = OpLatency()
        for _ in 0..<990 { l.record(250) }
        for _ in 0..<8 { l.record(50_000) }
        l.record(2_000_000)
        l.record(5_000_000)
        return l
    }

    @Test func percentilesCrossFromBucketsToExactGaps() {
        let l = latency
        #expect(l.count == 1_000)
        #expect(l.percentile(0.5) == 300)
        #expect(l.percentile(0.99) == 300)          // rank 990: the last bucketed gap
        #expect(l.percentile(0.995) == 50_000)      // rank 995
        #expect(l.percentile(0.999) == 2_000_000)   // rank 999
        #expect(l.percentile(1) == 5_000_000)
    }

    @Test func metricsCountStallsOverOneMillisecond() {
        let m = latency.metrics(wallNS: 100_000_000)
        #expect(m["op_p50_us"] == 0.3)
        #expect(m["op_p999_us"] == 2_000)
        #expect(m["op_max_us"] == 5_000)
        #expect(m["gaps_over_1ms"] == 2)
        #expect(m["stall_ms"] == 7)
        #expect(abs(m["stall_pct"]! - 7) < 1e-9)
    }

    @Test func mergedLogsAddUp() {
        var a = OpLatency(), b = OpLatency()
        a.record(100); a.record(20_000)
        b.record(3_000_000)
        a.merge(b)
        #expect(a.count == 3)
        #expect(a.percentile(1) == 3_000_000)
        #expect(a.metrics(wallNS: 10_000_000)["gaps_over_1ms"] == 1)
        #expect(OpLatency().metrics(wallNS: 1).isEmpty)
    }
}
