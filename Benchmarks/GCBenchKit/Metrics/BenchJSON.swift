// JSON encoding of benchmark results (gcbench --json FILE).
//
// Document shape (schema "tricolor-gcbench/1"):
//
//     {
//       "schema": "tricolor-gcbench/1",
//       "command": "gcbench --repeat 3",      // how the file was produced
//       "cores": 2, "debugBuild": false,
//       "runs":      [ BenchRun ],           // every run: configuration, repeat, metrics
//       "summaries": [ BenchSummary ]        // per configuration: repeats, median, min, max
//     }
//
// A BenchRun is {"suite","workload","collector"?,"procs","repeat","metrics":{name: number}};
// a BenchSummary is {"suite","workload","collector"?,"procs","repeats","median","min","max"}.
// Keys are sorted; metrics are finite numbers (non-finite values are dropped).

import TriColor
import Foundation

/// A complete gcbench result file.
public struct BenchReport: Codable, Equatable, Sendable {
    /// The schema identifier written by this version.
    public static let currentSchema = "tricolor-gcbench/1"

    public var schema: String
    public var command: String
    public var cores: Int
    public var debugBuild: Bool
    public var runs: [BenchRun]
    public var summaries: [BenchSummary]

    /// A report of `runs`, with the summaries computed from them.
    public init(command: String, cores: Int, debugBuild: Bool, runs: [BenchRun]) {
        schema = Self.currentSchema
        self.command = command
        self.cores = cores
        self.debugBuild = debugBuild
        self.runs = runs
        summaries = BenchSummary.summarise(runs)
    }

    /// The JSON text (pretty-printed, sorted keys).
    /// - Throws: only if encoding fails, which finite metrics never do.
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    /// Parses a report written by `jsonData()`.
    /// - Throws: `DecodingError` for malformed input or another schema's shape.
    public static func decode(_ data: Data) throws -> BenchReport {
        try JSONDecoder().decode(BenchReport.self, from: data)
    }
}
