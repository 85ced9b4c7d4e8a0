// `tricolor scenario FILE [--collector NAME]`: steps through a teaching scenario
// (Fixtures/*.scenario, language in Sources/TriColor/Scenario/Scenario.swift) and prints the
// colour of every named object after every line, then what checkmark found. Without
// --collector it runs every concurrent collector, one after another.
// Exit status: 0 when every expectation in the file held, 1 when one did not, 2 for a
// malformed file (reported as file:line:column) or bad arguments.

import Foundation
import TriColor

extension TricolorCLI {
    static let scenarioUsage = """
          scenario FILE [--collector NAME]
                     step through a teaching scenario, printing colours after every line
        """

    static func scenario(_ args: [String], out: (String) -> Void, err: (String) -> Void) -> Int32 {
        guard let file = args.first else { return bad("scenario wants a FILE", err) }
        var collectors = CollectorKind.allCases.filter { $0 != .markSweep }
        var i = 1
        while i < args.count {
            switch args[i] {
            case "--collector":
                guard i + 1 < args.count, let k = CollectorKind(rawValue: args[i + 1]), k != .markSweep else {
                    return bad("--collector wants a concurrent collector: "
                        + CollectorKind.allCases.filter { $0 != .markSweep }.map(\.rawValue).joined(separator: ", "), err)
                }
                collectors = [k]
                i += 2
            default: return bad("unknown argument '\(args[i])'", err)
            }
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            err("tricolor: cannot read \(file)")
            return 2
        }
        let s: Scenario
        do { s = try Scenario.parse(text, file: file) } catch {
            err(error.description)
            return 2
        }
        var failed = false
        for c in collectors {
            do {
                let o = try s.run(collector: c, file: file)
                out("== \(s.name) under \(c) ==")
                for l in o.log { out(l) }
                out(o.lost.isEmpty ? "outcome: nothing lost" : "outcome: LOST \(o.lost.count) live object(s): \(o.lost[0])")
                for f in o.failures { out("EXPECTATION FAILED: \(f)") }
                if !o.failures.isEmpty { failed = true }
                out("")
            } catch {
                err("tricolor: \(error)")
                return 1
            }
        }
        return failed ? 1 : 0
    }
}
