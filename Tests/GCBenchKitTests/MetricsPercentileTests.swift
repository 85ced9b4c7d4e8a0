import Testing
@testable import GCBenchKit
@testable import TriColor

/// Nearest-rank percentiles, medians and log histograms on hand-computed samples.
@Suite struct MetricsPercentileTests {
    @Test func nearestRank() {
        let xs: [Int64] = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
        #expect(Percentiles.nearestRank(xs, 0) == 1)
        #expect(Percentiles.nearestRank(xs, 0.5) == 5)      // ceil(5) = 5th
        #expect(Percentiles.nearestRank(xs, 0.51) == 6)     // ceil(5.1) = 6th
        #expect(Percentiles.nearestRank(xs, 0.9) == 9)
        #expect(Percentiles.nearestRank(xs, 0.99) == 10)    // ceil(9.9) = 10th: the max
        #expect(Percentiles.nearestRank(xs, 1) == 10)
        #expect(Percentiles.nearestRank([Int64](), 0.5) == 0)
        #expect(Percentiles.nearestRank([7 as Int64], 0.99) == 7)
        // 200 values 1...200: p99 is the 198th.
        #expect(Percentiles.nearestRank(Array(1...200).map { Double($0) }, 0.99) == 198)
    }

    @Test func median() {
        #expect(Percentiles.median([]) == nil)
        #expect(Percentiles.median([3]) == 3)
        #expect(Percentiles.median([4, 1, 3, 2]) == 2.5)
        #expect(Percentiles.median([5, 1, 3]) == 3)
    }

    @Test func logHistogram() {
        let h = LogHistogram([1, 2, 9.99, 10, 11, 99, 150, 0, -3], binsPerDecade: 1)
        #expect(h.nonPositive == 2)
        #expect(h.bins.map(\.count) == [3, 3, 1])
        #expect(h.bins.map(\.lower) == [1, 10, 100])
        #expect(h.bins.map(\.upper) == [10, 100, 1000])
        // Empty bins between occupied ones are kept.
        let g = LogHistogram([1, 1000], binsPerDecade: 1)
        #expect(g.bins.map(\.count) == [1, 0, 0, 1])
        #expect(LogHistogram([]).bins.isEmpty)
    }
}
