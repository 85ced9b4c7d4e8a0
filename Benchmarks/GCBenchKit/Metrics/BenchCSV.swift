// CSV encoding of benchmark runs (gcbench --csv FILE): one row per run.
//
// Columns: suite, workload, collector, procs, repeat, then one column per metric (the
// standard metrics of RunMetrics.names first, in that order, then any other metric in
// alphabetical order). A metric a run does not have is an empty cell; a run without a
// collector has an empty collector cell. Numbers are written with full precision
// (Swift's shortest round-tripping form), so decoding gives back the same values. Fields
// containing a comma, quote or newline are quoted, with quotes doubled (RFC 4180); rows end
// with "\n".

import TriColor
import Foundation

/// CSV encoding and decoding of `BenchRun`s.
public enum BenchCSV {
    /// The configuration columns, before the metrics.
    public static let keyColumns = ["suite", "workload", "collector", "procs", "repeat"]

    /// Encodes `runs` with a header row.
    /// - Complexity: O(runs x metrics).
    public static func encode(_ runs: [BenchRun]) -> String {
        var names = Set<String>()
        for r in runs { names.formUnion(r.metrics.keys) }
        let metrics = RunMetrics.names.filter { names.contains($0) } + names.subtracting(RunMetrics.names).sorted()
        var out = (keyColumns + metrics).map(field).joined(separator: ",") + "\n"
        for r in runs {
            var row = [r.suite, r.workload, r.collector ?? "", String(r.procs), String(r.repeat)]
            row += metrics.map { r.metrics[$0].map { "\($0)" } ?? "" }
            out += row.map(field).joined(separator: ",") + "\n"
        }
        return out
    }

    /// Decodes text written by `encode`.
    /// - Throws: `BenchCSVError` naming the line for a missing header column, a wrong cell
    ///   count or a non-numeric value.
    public static func decode(_ text: String) throws -> [BenchRun] {
        let rows = try parseRows(text)
        guard let header = rows.first else { return [] }
        guard Array(header.prefix(keyColumns.count)) == keyColumns else {
            throw BenchCSVError(line: 1, message: "header must start with \(keyColumns.joined(separator: ","))")
        }
        let metrics = Array(header.dropFirst(keyColumns.count))
        var runs: [BenchRun] = []
        for (i, row) in rows.enumerated().dropFirst() {
            guard row.count == header.count else {
                throw BenchCSVError(line: i + 1, message: "\(row.count) cells, header has \(header.count)")
            }
            guard let procs = Int(row[3]), let rep = Int(row[4]) else {
                throw BenchCSVError(line: i + 1, message: "procs and repeat must be integers")
            }
            var m: [String: Double] = [:]
            for (j, name) in metrics.enumerated() {
                let cell = row[keyColumns.count + j]
                if cell.isEmpty { continue }
                guard let v = Double(cell) else {
                    throw BenchCSVError(line: i + 1, message: "\(name): '\(cell)' is not a number")
                }
                m[name] = v
            }
            runs.append(BenchRun(suite: row[0], workload: row[1], collector: row[2].isEmpty ? nil : row[2],
                                 procs: procs, repeat: rep, metrics: m))
        }
        return runs
    }

    /// Quotes a field when it needs it (RFC 4180).
    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Splits CSV text into rows of fields, honouring quotes. Blank lines are skipped.
    static func parseRows(_ text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell = ""
        var quoted = false
        var line = 1
        var it = Array(text).makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let p = pending { pending = nil; return p }
            return it.next()
        }
        func endRow() {
            row.append(cell)
            cell = ""
            if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
            row = []
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let d = next() {
                        if d == "\"" { cell.append("\"") } else { quoted = false; pending = d }
                    } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    cell.append(c)
                }
                continue
            }
            switch c {
            case "\"" where cell.isEmpty: quoted = true
            case ",": row.append(cell); cell = ""
            case "\n", "\r\n": endRow(); line += 1
            case "\r": break
            default: cell.append(c)
            }
        }
        if quoted { throw BenchCSVError(line: line, message: "unterminated quoted field") }
        if !cell.isEmpty || !row.isEmpty { endRow() }
        return rows
    }
}

/// A CSV file that `BenchCSV.decode` cannot read.
public struct BenchCSVError: Error, CustomStringConvertible, Equatable {
    /// 1-based line of the problem.
    public var line: Int
    public var message: String
    public var description: String { "CSV line \(line): \(message)" }
}
