// `tricolor sched FILE [--html OUT.html]`: steps a scheduler scenario (Fixtures/*.sched,
// language in Sources/TriColorLab/Teaching/SchedScenario.swift) through GMP's own
// scheduler code (a SchedulerLab), printing what happened at every event and checking
// every `expect` line; --html writes the teaching page. Exit status: 0 when every
// expectation held, 1 when one did not, 2 for a malformed file (file:line:column) or bad
// arguments.

import Foundation
import TriColorLab

extension TricolorCLI {
    static let schedUsage = """
          sched FILE [--html OUT.html]
                     step a G/M/P scheduler scenario (Fixtures/*.sched); --html writes its page
        """

    static func sched(_ args: [String], out: (String) -> Void, err: (String) -> Void) -> Int32 {
        guard let file = args.first, !file.hasPrefix("--") else { return bad("sched wants a FILE", err) }
        var htmlPath: String?
        var i = 1
        while i < args.count {
            switch args[i] {
            case "--html":
                guard i + 1 < args.count, !args[i + 1].hasPrefix("--") else { return bad("--html wants an output file", err) }
                htmlPath = args[i + 1]
                i += 2
            default: return bad("unknown argument '\(args[i])'", err)
            }
        }
        guard let s = readAndParse(file, err: err, { try SchedScenario.parse($0, file: file) }) else { return 2 }
        let o = s.run(file: file)
        for f in o.frames { out(String(format: "%3d  ", f.line) + f.statement.padding(toLength: 22, withPad: " ", startingAt: 0) + f.what) }
        for f in o.failures { out("EXPECTATION FAILED: \(f)") }
        if let htmlPath {
            do { try s.html(o).write(toFile: htmlPath, atomically: true, encoding: .utf8) } catch {
                err("tricolor: cannot write \(htmlPath): \(error)")
                return 1
            }
            out("wrote \(htmlPath) (\(o.frames.count) steps)")
        }
        return o.failures.isEmpty ? 0 : 1
    }
}
