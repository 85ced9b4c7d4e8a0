// Order statistics for benchmark numbers: nearest-rank percentiles, the median of repeats,
// and logarithmic histograms of pause times.
//
// Percentiles use the nearest-rank definition (Hyndman & Fan type 1, the one latency
// reports usually mean): the q-quantile of n values is the smallest value v such that at
// least q·n of the values are <= v, i.e. `sorted[ceil(q·n) - 1]` for 0 < q <= 1 and the
// minimum for q = 0. It is always one of the observed values, never an interpolation, so
// "p99 pause = 312 us" means some pause really took 312 us. With fewer than 100 pauses p99
// is the maximum: that is honest, not a bug.
//
// The median of repeated runs is the usual one (mean of the two middle values for an even
// count): repeats are few, and a benchmark table wants the centre, not an observed run.

import TriColor
import Foundation

/// Order statistics over a sample of numbers.
public enum Percentiles {
    /// The nearest-rank `q`-quantile of `values` (need not be sorted).
    ///
    /// - Parameters:
    ///   - values: the sample; empty gives 0.
    ///   - q: the quantile in 0...1 (0.5 for p50, 0.99 for p99). Outside that range is a
    ///     precondition failure.
    /// - Returns: one of `values`: `sorted[ceil(q·n) - 1]`, or the minimum for q = 0.
    /// - Complexity: O(n log n) (sorts a copy).
    public static func nearestRank<T: BinaryInteger>(_ values: [T], _ q: Double) -> T {
        nearestRank(sorted: values.sorted(), q)
    }

    /// As `nearestRank(_:_:)` for floating-point samples.
    public static func nearestRank(_ values: [Double], _ q: Double) -> Double {
        nearestRank(sorted: values.sorted(), q)
    }

    /// The nearest-rank `q`-quantile of an already sorted (ascending) sample; empty gives 0.
    /// - Complexity: O(1).
    public static func nearestRank<T: Comparable & ExpressibleByIntegerLiteral>(sorted s: [T], _ q: Double) -> T {
        precondition(q >= 0 && q <= 1, "Percentiles: quantile \(q) is outside 0...1")
        guard !s.isEmpty else { return 0 }
        let rank = Int((q * Double(s.count)).rounded(.up))
        return s[min(s.count - 1, max(0, rank - 1))]
    }

    /// The median: the middle value, or the mean of the two middle values for an even count.
    /// Empty gives nil.
    /// - Complexity: O(n log n).
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }
}

/// A histogram with logarithmic bins: `binsPerDecade` equal-ratio bins per power of ten,
/// aligned on powers of ten (with 3 per decade: [1, 2.15), [2.15, 4.64), [4.64, 10), ...).
/// Pause times span microseconds to hundreds of milliseconds, which linear bins cannot show.
public struct LogHistogram: Sendable, Equatable {
    /// One bin: values in `lower ..< upper` and how many there were.
    public struct Bin: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var count: Int
    }

    /// The bins from the one holding the smallest value to the one holding the largest,
    /// empty bins in between included. Empty when there were no positive values.
    public private(set) var bins: [Bin] = []
    /// Values <= 0 (which a log scale cannot place).
    public private(set) var nonPositive = 0

    /// Bins `values`.
    /// - Parameter binsPerDecade: bins per factor of ten; must be at least 1.
    /// - Complexity: O(n + number of bins).
    public init(_ values: [Double], binsPerDecade: Int = 5) {
        precondition(binsPerDecade >= 1, "LogHistogram: binsPerDecade must be at least 1")
        let k = Double(binsPerDecade)
        var counts: [Int: Int] = [:]
        for v in values {
            guard v > 0 else { nonPositive += 1; continue }
            // The tiny epsilon keeps exact bin edges (10, 100) in the bin they start.
            let i = Int((log10(v) * k + 1e-9).rounded(.down))
            counts[i, default: 0] += 1
        }
        guard let lo = counts.keys.min(), let hi = counts.keys.max() else { return }
        bins = (lo...hi).map { i in
            Bin(lower: pow(10, Double(i) / k), upper: pow(10, Double(i + 1) / k), count: counts[i] ?? 0)
        }
    }
}
