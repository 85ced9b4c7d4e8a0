import Foundation
import Testing
@testable import GCBenchKit
import TriColor

/// gcbench reports only what it measured. gcbench is an executable target, so these tests
/// run the (debug) `gcbench` that `swift build --build-tests` builds beside this test
/// bundle, with `--quick --json FILE`, and read the runs back with `BenchReport.decode`.
@Suite(.serialized) struct GCBenchHonestyTests {
    /// Runs gcbench with `args` plus `--json` to a temporary file; returns the decoded
    /// report and the program's stdout. With `openFileLimit`, through `sh -c 'ulimit -n N'`
    /// (soft and hard limit), so gcbench cannot raise RLIMIT_NOFILE past N.
    func gcbench(_ args: [String], openFileLimit: Int? = nil) throws -> (BenchReport, String) {
        let (report, text, _) = try gcbenchWithStderr(args, openFileLimit: openFileLimit)
        return (report, text)
    }

    /// `gcbench(_:openFileLimit:)`, also returning what gcbench wrote on stderr.
    func gcbenchWithStderr(_ args: [String], openFileLimit: Int? = nil) throws -> (BenchReport, String, String) {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let exe = dir.appendingPathComponent("gcbench")
        try #require(FileManager.default.isExecutableFile(atPath: exe.path),
                     "\(exe.path) is missing: `swift build` builds it (product gcbench)")
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("gcbench-honesty-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let p = Process()
        if let n = openFileLimit {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "ulimit -n \(n) && exec \"$0\" \"$@\"", exe.path] + args + ["--json", json.path]
        } else {
            p.executableURL = exe
            p.arguments = args + ["--json", json.path]
        }
        let out = Pipe()
        p.standardOutput = out
        // Standard error to a file, not a second pipe: reading one pipe to its end while
        // the other fills would deadlock.
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("gcbench-honesty-\(UUID().uuidString).err")
        try #require(FileManager.default.createFile(atPath: errFile.path, contents: nil))
        defer { try? FileManager.default.removeItem(at: errFile) }
        p.standardError = try FileHandle(forWritingTo: errFile)
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let errText = String(decoding: try Data(contentsOf: errFile), as: UTF8.self)
        try #require(p.terminationStatus == 0, "exit \(p.terminationStatus): \(text)")
        return (try BenchReport.decode(Data(contentsOf: json)), text, errText)
    }

    /// The ARC baseline of binary-trees is one configuration (procs 1) holding only measured
    /// metrics, and every collector row, at every procs, has its ratio to it.
    @Test func arcBaselineIsOneMeasuredRow() throws {
        let (report, _) = try gcbench(["--suite", "alloc", "--workload", "binary-trees", "--collector", "markSweep",
                                       "--procs", "1,2", "--quick", "--repeat", "2"])
        let arc = report.runs.filter { $0.collector == "arc" }
        #expect(arc.count == 2, "one timed run per repeat, no floating-garbage run")
        #expect(Set(arc.map(\.procs)) == [1])
        for r in arc {
            #expect(Set(r.metrics.keys).isSubset(of: ["wall_ms", "peak_rss_mb"]), "\(r.metrics)")
            #expect((r.metrics["wall_ms"] ?? 0) > 0)
        }
        let arcWall = try #require(Percentiles.median(arc.compactMap { $0.metrics["wall_ms"] }))
        let timed = report.runs.filter { $0.collector == "markSweep" && $0.repeat > 0 }
        #expect(Set(timed.map(\.procs)) == [1, 2])
        for r in timed {
            let ratio = try #require(r.metrics["ratio_vs_arc"], "\(r.configuration) has no ratio_vs_arc")
            #expect(abs(ratio - r.metrics["wall_ms"]! / arcWall) < 1e-9 * ratio)
        }
    }

    /// live-goroutines reports the goroutines it saw parked and the resident bytes they
    /// added, not the count it asked for.
    @Test func liveGoroutinesReportsWhatWasParked() throws {
        let (report, _) = try gcbench(["--suite", "sched", "--workload", "live-goroutines", "--procs", "1", "--quick", "--repeat", "1"])
        let runs = report.runs.filter { $0.workload == "live-goroutines" }
        #expect(runs.count == 1)
        for r in runs {
            #expect(Set(r.metrics.keys) == ["parked", "rss_bytes_per_goroutine"], "\(r.metrics)")
            #expect(r.metrics["parked"] == 20_000)   // --quick spawns 20,000; all of them park
            #expect((r.metrics["rss_bytes_per_goroutine"] ?? 0) > 0)
        }
    }

    /// The check suite runs once: one run per workload and repeat, one table.
    @Test func checkSuiteRunsOnce() throws {
        let (report, text) = try gcbench(["--suite", "check", "--workload", "random", "--quick", "--repeat", "1"])
        #expect(report.runs.filter { $0.suite == "check" }.count == 1)
        #expect(text.components(separatedBy: "== check/random ==").count == 2, "\(text)")
    }

    /// net/server runs per collector plus a GOGC=off baseline row that ran no cycle, and
    /// reports request rates and latencies it measured; echo-c10000 under an open-file
    /// limit too low for 20,000 sockets is skipped and says so, with no run written.
    @Test func netServerRowsAndTheSkippedEcho() throws {
        let (report, text) = try gcbench(["--suite", "net", "--workload", "server,echo-c10000", "--collector", "hybrid",
                                          "--procs", "1", "--quick", "--repeat", "1"], openFileLimit: 1000)
        let server = report.runs.filter { $0.workload == "server" }
        #expect(server.map { $0.collector ?? "-" }.sorted() == ["hybrid", "off"])
        for r in server {
            #expect((r.metrics["kreq_per_s"] ?? 0) > 0, "\(r.metrics)")
            let p50 = r.metrics["req_p50_us"] ?? 0, p99 = r.metrics["req_p99_us"] ?? 0
            #expect(p50 > 0 && p99 >= p50, "\(r.metrics)")
        }
        #expect(server.first { $0.collector == "off" }?.metrics["gc_cycles"] == 0)
        #expect(report.runs.filter { $0.workload == "echo-c10000" }.isEmpty)
        #expect(text.contains("echo-c10000 procs 1 skipped"), "\(text)")
        #expect(text.contains("raised only to 1000"), "\(text)")
    }

    /// When the open-file limit cannot hold both ends of an echo run's connections but can
    /// hold one end, the clients run in a child gcbench (`--net-echo-client`): the row says
    /// so and carries the child's measured rates and the server process's thread count with
    /// every connection open. Here echo-c100 under `ulimit -n 200` (in-process needs 264).
    @Test func echoWithClientsInAChildProcess() throws {
        let (report, text) = try gcbench(["--suite", "net", "--workload", "echo-c100", "--procs", "1",
                                          "--quick", "--repeat", "1"], openFileLimit: 200)
        let runs = report.runs.filter { $0.workload == "echo-c100" }
        #expect(runs.count == 1)
        for r in runs {
            #expect((r.metrics["roundtrips_per_s"] ?? 0) > 0, "\(r.metrics)")
            let p50 = r.metrics["rtt_p50_us"] ?? 0, p99 = r.metrics["rtt_p99_us"] ?? 0
            #expect(p50 > 0 && p99 >= p50, "\(r.metrics)")
            // 100 connections on one P are served by a handful of threads, whichever process.
            let threads = try #require(r.metrics["threads"], "\(r.metrics)")
            #expect(threads >= 1 && threads <= 16, "\(r.metrics)")
            #expect((r.metrics["client_threads"] ?? 0) >= 1, "\(r.metrics)")
        }
        #expect(text.contains("echo-c100 procs 1: clients in a child process"), "\(text)")
    }

    /// Every configuration of every selected suite prints one progress line on stderr, in
    /// run order, counting against the plan the driver made before the first suite ran
    /// ("[k/N, T s, ~L s left in run (estimate)]", k = 1...N); the last line's k is N, and
    /// the total line names each suite's time. Here N = 8: sched/yield-pingpong at procs
    /// 1 and 2, sched/raw-switch (procs 1 only), check/random, and net/server's hybrid and
    /// GOGC=off rows at procs 1 and 2.
    @Test func progressCountsEveryConfigurationOfTheRun() throws {
        let (report, text, err) = try gcbenchWithStderr(["--suite", "sched,check,net", "--workload", "yield-pingpong,raw-switch,random,server",
                                                         "--collector", "hybrid", "--procs", "1,2", "--quick", "--repeat", "1"])
        let lines = err.split(separator: "\n").filter { $0.contains("left in run (estimate)]") }
        #expect(lines.count == 8, "\(err)")
        for (k, line) in lines.enumerated() {
            #expect(line.contains("[\(k + 1)/8, "), "line \(k + 1): \(line)")
        }
        #expect(lines.last?.contains("~0 s left") == true, "\(err)")
        // Under ASan or TSan the raw switch cannot run (it bypasses their fiber hooks): its
        // progress line says so and it has no runs; otherwise it has runs like the others.
        let rawSkipped = err.contains("sched/raw-switch procs=1: not measured under a sanitizer")
        var expected: Set<String> = ["sched/yield-pingpong", "check/random", "net/server"]
        if !rawSkipped { expected.insert("sched/raw-switch") }
        #expect(Set(report.runs.map { "\($0.suite)/\($0.workload)" }) == expected)
        let total = try #require(text.split(separator: "\n").last { $0.hasPrefix("gcbench: ") && $0.hasSuffix(" s)") }, "\(text)")
        for suite in ["sched", "check", "net"] { #expect(total.contains("\(suite) "), "\(total)") }
    }
}
