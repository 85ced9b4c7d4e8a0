// gcbench's argument parser never traps: 10,000 random argument vectors either parse or
// throw a BenchUsageError with a message; absurd sizes are refused up front.

import Testing
import GCBenchKit

@Suite struct OptionsFuzzTests {
    @Test func randomArgumentVectorsParseOrAreRefused() {
        let flags = ["--suite", "--workload", "--procs", "--repeat", "--collector", "--depth", "--quick", "--live",
                     "--goroutines", "--small-stacks", "--json", "--csv", "--out", "--trace", "-h", "--help", "--nope", "", "-"]
        let values = ["0", "1", "-3", "2", "24", "25", "1000", "1001", "99999999999999", "99999999999999999999999",
                      "9223372036854775807", "hybrid", "markSweep", "all", "pause", "alloc", "sched", "nope", "/tmp/x", "", "1.5"]
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var accepted = 0, refused = 0
        for _ in 0..<10_000 {
            var args: [String] = []
            for _ in 0..<next(7) { args.append(next(2) == 0 ? values[next(values.count)] : flags[next(flags.count)]) }
            do {
                _ = try BenchOptions.parse(args, suites: ["sched", "alloc", "pause"], workloads: ["binary-trees", "alloc-loop"])
                accepted += 1
            } catch {
                refused += 1
                #expect(!"\(error)".isEmpty, "\(args)")
            }
        }
        #expect(accepted > 100 && refused > 1_000, "accepted \(accepted), refused \(refused)")
    }
}
