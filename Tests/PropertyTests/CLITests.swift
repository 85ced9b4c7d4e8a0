import Testing
@testable import TricolorCLI
@testable import TriColorLab
@testable import TriColor

/// `tricolor` exit codes and output, through `TricolorCLI.run` (the executable's logic).
@Suite struct CLITests {
    func run(_ args: [String]) -> (Int32, String, String) {
        var out = "", err = ""
        let status = TricolorCLI.run(args, out: { out += $0 + "\n" }, err: { err += $0 + "\n" })
        return (status, out, err)
    }

    @Test(arguments: [[], ["frobnicate"], ["check", "--seeds"], ["check", "--seeds", "x"], ["check", "--seeds", "0"],
                      ["check", "--collector", "nope"], ["check", "--scheduler", "dfs"], ["check", "--bogus"],
                      ["replay"], ["replay", "tc1/hybrid/garbage/r1:"], ["replay", "not-a-token"]])
    func badArgumentsExitTwoWithUsage(_ args: [String]) {
        let (status, _, err) = run(args)
        #expect(status == 2)
        #expect(err.contains("usage: tricolor"))
    }

    @Test func safeCollectorExitsZeroWithSummary() {
        let (status, out, _) = run(["check", "--collector", "hybrid", "--seeds", "20", "--scheduler", "pct"])
        #expect(status == 0)
        #expect(out.hasPrefix("collector=hybrid seeds=20 failures=0 schedules_per_s="))
    }

    @Test func ablationExitsOneWithCounterexample() throws {
        let (status, out, _) = run(["check", "--collector", "hybridAllocateWhite", "--seeds", "30"])
        #expect(status == 1)
        #expect(out.contains("counterexample: collector=hybridAllocateWhite"))
        let token = try #require(out.split(separator: "\n").first { $0.hasPrefix("replay token: ") }).dropFirst("replay token: ".count)
        let (rs, rout, _) = run(["replay", String(token)])
        #expect(rs == 1)
        #expect(rout.contains("failure: GC: "))
    }

    @Test func exhaustiveSchedulerRuns() {
        let (status, out, _) = run(["check", "--collector", "deletion", "--seeds", "2", "--scheduler", "exhaustive",
                                    "--goroutines", "2", "--ops", "3", "--max-schedules", "30"])
        #expect(status == 0)
        #expect(out.hasPrefix("collector=deletion seeds=2 failures=0"))
    }

    @Test func dporSchedulerRuns() {
        let (status, out, _) = run(["check", "--collector", "deletion", "--seeds", "2", "--scheduler", "dpor",
                                    "--goroutines", "2", "--ops", "3", "--max-schedules", "30"])
        #expect(status == 0)
        #expect(out.hasPrefix("collector=deletion seeds=2 failures=0"))
        let (fs, fout, _) = run(["check", "--collector", "noBarrier", "--seeds", "40", "--scheduler", "dpor",
                                 "--goroutines", "2", "--ops", "3", "--max-schedules", "60", "--no-shrink"])
        #expect(fs == 1, "noBarrier: \(fout)")
    }

    @Test func helpExitsZero() {
        #expect(run(["help"]).0 == 0)
    }
}
