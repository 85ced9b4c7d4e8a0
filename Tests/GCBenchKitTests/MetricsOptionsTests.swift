import Testing
@testable import GCBenchKit
@testable import TriColor

/// gcbench's command line: defaults, filters, and exit status 2 on bad arguments.
@Suite struct MetricsOptionsTests {
    let suites = ["sched", "alloc", "pause", "mutator"]
    let workloads = ["binary-trees", "gcbench", "live-churn", "stacks", "write-heavy", "producer-consumer", "lru-cache"]

    func parse(_ args: [String]) throws(BenchUsageError) -> BenchOptions {
        try BenchOptions.parse(args, suites: suites, workloads: workloads)
    }

    @Test func defaults() throws {
        let o = try parse([])
        #expect(o.collectors == CollectorKind.safe)
        #expect(o.procs == [1, 2])
        #expect(o.repeats == 3)
        #expect(!o.collectorsGiven && !o.quick && o.suites.isEmpty && o.workloads.isEmpty)
    }

    @Test func everyOption() throws {
        let o = try parse(["--suite", "alloc,pause", "--workload", "gcbench", "--collector", "hybrid,noBarrier",
                           "--procs", "1,2,4", "--repeat", "5", "--quick", "--depth", "16", "--json", "r.json",
                           "--csv", "r.csv", "--out", "plots", "--trace", "t.json", "--small-stacks", "--mmu-sweep"])
        #expect(o.suites == ["alloc", "pause"])
        #expect(o.workloads == ["gcbench"])
        #expect(o.collectors == [.hybrid, .noBarrier] && o.collectorsGiven)
        #expect(o.procs == [1, 2, 4] && o.repeats == 5 && o.quick && o.depth == 16 && o.smallStacks)
        #expect(o.jsonPath == "r.json" && o.csvPath == "r.csv" && o.outDir == "plots" && o.tracePath == "t.json")
        let plain = try parse([])
        #expect(o.mmuCountsSweep && !plain.mmuCountsSweep)
        #expect(try parse(["--help"]).help)
    }

    @Test(arguments: [
        ["--bogus"], ["--suite", "nope"], ["--workload", "nope"], ["--collector", "boehm"], ["--procs", "0"],
        ["--procs", "x"], ["--repeat", "0"], ["--repeat"], ["--depth", "30"], ["--json"], ["--out", "--quick"],
        ["quick"], ["--live", "99999999999999"], ["--goroutines", "99999999999"], ["--repeat", "100000"],
        ["--procs", "1,100000"], ["--live", "-5"],
    ])
    func badArgumentsThrow(_ args: [String]) {
        #expect(throws: BenchUsageError.self) { try parse(args) }
    }

    @Test func badArgumentsExitWithStatus2() async {
        await #expect(processExitsWith: .exitCode(2), observing: [\.standardErrorContent]) {
            _ = BenchOptions.parseOrExit(["--procs", "zero"], suites: ["sched"], workloads: [])
        }
        #expect(BenchUsageError.exitStatus == 2)
    }

    /// A size the machine cannot hold is refused with the limit, before anything runs.
    @Test func absurdSizesNameTheLimit() throws {
        do {
            _ = try parse(["--live", "99999999999999"])
            Issue.record("accepted --live 99999999999999")
        } catch {
            #expect(error.description.contains("--live 99999999999999 is more than"))
        }
        #expect(try parse(["--live", "2000000"]).liveObjects == 2_000_000)
    }

    @Test func usageNamesSuitesWorkloadsAndAblations() {
        let u = BenchOptions.usage(suites: suites, workloads: workloads)
        for s in suites + workloads { #expect(u.contains(s)) }
        for a in CollectorKind.ablations { #expect(u.contains(a.rawValue)) }
    }
}
