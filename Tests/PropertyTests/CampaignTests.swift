import CollectorExamples
import Foundation
import Testing
@testable import TricolorCLI
@testable import TriColorLab
@testable import TriColor

/// Campaigns: `--jobs` (worker processes of the `tricolor` executable that
/// `swift build --build-tests` builds beside the test bundle), `--shard` + `--json` +
/// `merge`, all printing what a serial run prints.
@Suite(.serialized) struct CampaignTests {
    func run(_ args: [String]) -> (Int32, String, String) {
        var out = "", err = ""
        let status = TricolorCLI.run(args, out: { out += $0 + "\n" }, err: { err += $0 + "\n" })
        return (status, out, err)
    }

    /// The output without the throughput figure (the only thing allowed to differ).
    func stable(_ s: String) -> String {
        s.replacing(/schedules_per_s=\d+/, with: "schedules_per_s=_")
    }

    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("campaign-\(UUID().uuidString)-\(name)").path
    }

    static let check = ["check", "--collector", "deletionNoStackFirst", "--seeds", "40", "--schedules", "2"]

    @Test func jobsPrintWhatASerialRunPrints() throws {
        let serial = run(Self.check + ["--jobs", "1"])
        let parallel = run(Self.check + ["--jobs", "2"])
        #expect(serial.0 == 1, "the ablation should fail within 40 seeds: \(serial.1)")
        #expect(parallel.0 == serial.0, "\(parallel.2)")
        #expect(stable(parallel.1) == stable(serial.1))
        #expect(serial.1.contains("counterexample: collector=deletionNoStackFirst"))
    }

    @Test func shardsMergeIntoTheSerialRun() throws {
        let serial = run(Self.check + ["--jobs", "1"])
        let files = (1...3).map { temp("shard\($0).json") }
        defer { for f in files { try? FileManager.default.removeItem(atPath: f) } }
        var seeds = 0
        for (k, f) in files.enumerated() {
            let (status, out, err) = run(Self.check + ["--shard", "\(k + 1)/3", "--json", f, "--jobs", "1"])
            #expect(status <= 1, "\(err)")
            let r = try CampaignReport.decode(try Data(contentsOf: URL(fileURLWithPath: f)), name: f)
            #expect(r.slice == SeedSlice(index: k, count: 3))
            seeds += r.runs[0].seedsRun
            #expect(out.contains("seeds=\(r.runs[0].seedsRun) "))
        }
        #expect(seeds == 40)
        let merged = run(["merge"] + files.reversed())
        #expect(merged.0 == serial.0, "\(merged.2)")
        #expect(stable(merged.1) == stable(serial.1))
        // Two of three shards do not make up a slice: the missing one is named.
        let partial = run(["merge", files[0], files[1]])
        #expect(partial.0 == 2)
        #expect(partial.2.contains("missing 3/3"))
        // The same shard twice.
        let twice = run(["merge", files[0], files[0]])
        #expect(twice.0 == 2)
        #expect(twice.2.contains("both cover slice 1/3"))
    }

    @Test func ablationTableRunsInWorkers() {
        // The workers (the tricolor executable) register the example collectors; so does
        // this process, to read their reports.
        _ = try? CollectorExamples.register()
        let args = ["check", "--ablations", "--seeds", "6", "--schedules", "1", "--ops", "6"]
        let serial = run(args + ["--jobs", "1"])
        let parallel = run(args + ["--jobs", "2"])
        // Rows of the built-in collectors: the test process's registry also holds collectors
        // other suites registered, which the worker processes (the tricolor executable) lack.
        func builtInRows(_ s: String) -> [Substring] {
            s.split(separator: "\n").filter { line in
                line.hasPrefix("collector ") || CollectorKind.builtIns.contains { line.hasPrefix($0.rawValue + " ") }
            }
        }
        #expect(builtInRows(parallel.1) == builtInRows(serial.1), "\(parallel.2)")
        #expect(builtInRows(serial.1).count == CollectorKind.builtIns.count + 1)
        #expect(serial.1.contains("hybridAllocateWhite"))
    }

    @Test(arguments: [["check", "--shard", "3/2"], ["check", "--shard", "0/2"], ["check", "--shard", "1"],
                      ["check", "--shard", "a/b"], ["check", "--jobs", "0"], ["check", "--jobs"],
                      ["check", "--json"], ["check", "--generator", "nope"], ["merge"], ["merge", "--jobs"]])
    func badCampaignArgumentsExitTwoWithUsage(_ args: [String]) {
        let (status, _, err) = run(args)
        #expect(status == 2)
        #expect(err.contains("usage: tricolor"))
    }

    @Test func malformedReportsAreReportedWithTheirPlace() throws {
        let syntax = temp("syntax.json"), field = temp("field.json"), missing = temp("missing.json")
        defer { for f in [syntax, field, missing] { try? FileManager.default.removeItem(atPath: f) } }
        try "{\n  \"format\": \"tricolor-check/1\",\n  \"ablations\": tru\n}\n".write(toFile: syntax, atomically: true, encoding: .utf8)
        let (s1, _, e1) = run(["merge", syntax])
        #expect(s1 == 2)
        #expect(e1.contains("\(syntax):3:"), "\(e1)")
        // A valid report with one field of the wrong type.
        let good = temp("good.json")
        defer { try? FileManager.default.removeItem(atPath: good) }
        _ = run(["check", "--collector", "hybrid", "--seeds", "2", "--json", good, "--jobs", "1"])
        let text = try String(contentsOfFile: good, encoding: .utf8)
        try text.replacing("\"seedsRun\" : 2", with: "\"seedsRun\" : \"two\"").write(toFile: field, atomically: true, encoding: .utf8)
        let (s2, _, e2) = run(["merge", field])
        #expect(s2 == 2)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("\"seedsRun\"") }! + 1
        #expect(e2.contains("\(field):\(line):"), "\(e2)")
        #expect(e2.contains("runs[0].seedsRun"), "\(e2)")
        let (s3, _, e3) = run(["merge", missing])
        #expect(s3 == 2)
        #expect(e3.contains("\(missing):1:1: cannot read"))
    }

    @Test func seedSlicesPartitionTheSeeds() {
        let all = (0..<3).flatMap { k in stride(from: SeedSlice(index: k, count: 3).index, to: 10, by: 3).map { $0 } }
        #expect(all.sorted() == Array(0..<10))
        #expect((0..<3).map { SeedSlice(index: $0, count: 3).size(of: 10) } == [4, 3, 3])
        let sub = SeedSlice(index: 1, count: 3).split(1, of: 2)
        #expect(sub == SeedSlice(index: 4, count: 6))
    }
}
