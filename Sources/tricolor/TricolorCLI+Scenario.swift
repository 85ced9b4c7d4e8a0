// `tricolor scenario FILE [--collector NAME | all] [--svg DIR] [--html OUT.html]`: steps
// through a teaching scenario (Fixtures/*.scenario, language in
// Sources/TriColorLab/Scenario/Scenario.swift) and prints the colour of every named object
// after every line, then what checkmark found. Without --collector (or with `all`) it runs
// every concurrent collector, one after another. --html writes the teaching page
// (Sources/TriColorLab/Teaching/), the collectors side by side.
// Exit status: 0 when every expectation in the file held, 1 when one did not, 2 for a
// malformed file (reported as file:line:column) or bad arguments.

import Foundation
import TriColor
import TriColorLab

extension TricolorCLI {
    static let scenarioUsage = """
          scenario FILE [--collector NAME|all] [--svg DIR] [--html OUT.html]
                     step through a teaching scenario, printing colours after every line;
                     --svg writes one picture of the object graph per step, --html one
                     interactive page (every collector side by side without --collector)
        """

    static func scenario(_ args: [String], out: (String) -> Void, err: (String) -> Void) -> Int32 {
        guard let file = args.first, !file.hasPrefix("--") else { return bad("scenario wants a FILE", err) }
        // A fixture's expectations name built-ins; a registered collector runs when named.
        var collectors = CollectorKind.builtIns.filter { $0 != .markSweep }
        var svgDir: String? = nil
        var htmlPath: String? = nil
        var i = 1
        while i < args.count {
            switch args[i] {
            case "--collector" where i + 1 < args.count && args[i + 1] == "all":
                i += 2
            case "--collector":
                guard i + 1 < args.count, let k = CollectorKind(rawValue: args[i + 1]), k != .markSweep else {
                    return bad("--collector wants a concurrent collector: "
                        + CollectorKind.allCases.filter { $0 != .markSweep }.map(\.rawValue).joined(separator: ", "), err)
                }
                collectors = [k]
                i += 2
            case "--svg":
                guard i + 1 < args.count else { return bad("--svg wants a directory", err) }
                svgDir = args[i + 1]
                i += 2
            case "--html":
                guard i + 1 < args.count, !args[i + 1].hasPrefix("--") else { return bad("--html wants an output file", err) }
                htmlPath = args[i + 1]
                i += 2
            default: return bad("unknown argument '\(args[i])'", err)
            }
        }
        guard let s = readAndParse(file, err: err, { try Scenario.parse($0, file: file) }) else { return 2 }
        var failed = false
        var outcomes: [ScenarioOutcome] = []
        for c in collectors {
            do {
                let o = try s.run(collector: c, file: file)
                outcomes.append(o)
                out("== \(s.name) under \(c) ==")
                for l in o.log { out(l) }
                out(o.lost.isEmpty ? "outcome: nothing lost" : "outcome: LOST \(o.lost.count) live object(s): \(o.lost[0])")
                for f in o.failures { out("EXPECTATION FAILED: \(f)") }
                if let dir = svgDir {
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    let layout = GraphLayout(frames: o.frames)
                    for (k, fr) in o.frames.enumerated() {
                        let path = "\(dir)/\(s.name)-\(c.rawValue)-\(String(format: "%03d", k)).svg"
                        try fr.svg(layout, title: "\(s.name) under \(c): \(fr.statement)", defs: true)
                            .write(toFile: path, atomically: true, encoding: .utf8)
                    }
                    out("wrote \(o.frames.count) pictures to \(dir)")
                }
                if !o.failures.isEmpty { failed = true }
                out("")
            } catch {
                err("tricolor: \(error)")
                return 1
            }
        }
        if let htmlPath {
            do {
                try TeachingDocument(scenario: s, outcomes: outcomes).html.write(toFile: htmlPath, atomically: true, encoding: .utf8)
            } catch {
                err("tricolor: cannot write \(htmlPath): \(error)")
                return 1
            }
            out("wrote \(htmlPath) (\(outcomes.first?.frames.count ?? 0) steps, \(outcomes.count) collector(s))")
        }
        return failed ? 1 : 0
    }

    /// Reads `file` and parses it; nil after reporting an unreadable file or the parser's
    /// `file:line:column` error.
    static func readAndParse<T>(_ file: String, err: (String) -> Void, _ parse: (String) throws -> T) -> T? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            err("tricolor: cannot read \(file)")
            return nil
        }
        do { return try parse(text) } catch {
            err("\(error)")
            return nil
        }
    }
}
