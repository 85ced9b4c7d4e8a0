// The `tricolor` command line: property checks of the collectors' barriers.
//
//   tricolor check [--collector NAME] [--seeds N] [--scheduler random|pct|exhaustive|dpor] ...
//       Generates one random mutator program per seed, runs it under the chosen scheduler in
//       deterministic mode with every oracle on, prints one summary line
//           collector=hybrid seeds=10000 failures=0 schedules_per_s=2345
//       and, if something failed, the shrunk counterexample with its replay token.
//   tricolor check --ablations [--seeds N] ...
//       The same for every collector, safe ones and ablations, as a table measuring the
//       power of the test: every ablation must be caught, every safe collector must pass.
//   tricolor check ... --jobs N | --shard I/N | --json FILE;  tricolor merge REPORT...
//       Campaigns over worker processes and machines (TricolorCLI+Campaign.swift).
//   tricolor replay TOKEN [--html OUT.html]
//       Replays one run from a replay token, printing the operation trace with colours;
//       --html writes its teaching page (and `check --html DIR` the shrunk counterexample's).
//
// Exit status: 0 nothing failed (for --ablations: every safe collector passed and every
// ablation was caught; for replay: the run passed), 1 something failed, 2 bad arguments
// (with the usage text on standard error). The logic lives in `TricolorCLI.run` so tests
// call it directly.

import Foundation
import GMP
import TriColor
import TriColorLab

/// The `tricolor` command (see the essay above).
public enum TricolorCLI {
    public static let usage = """
        usage: tricolor check [--collector NAME | --ablations] [--seeds N] [--first-seed N]
                              [--scheduler random|pct|exhaustive|dpor] [--goroutines N] [--ops N]
                              [--objects N] [--schedules N] [--pct-depth N] [--bound N] [--max-schedules N]
                              [--check full|cheap] [--no-shrink] [--trace] [--generator G]
                              [--jobs N] [--shard I/N] [--json FILE] [--html DIR]
               tricolor merge REPORT...
               tricolor replay TOKEN [--html OUT.html]
               tricolor scenario FILE [--collector NAME|all] [--svg DIR] [--html OUT.html]
               tricolor sched FILE [--html OUT.html]
               tricolor help

          check      run random mutator programs against a collector's barrier; one summary
                     line per collector, the shrunk counterexample if something failed
            --collector NAME   \(CollectorKind.allNames) (default hybrid)
            --ablations        every collector, as a table (safe ones must pass, ablations must fail;
                               a registered collector counts as safe iff it claims an invariant)
            --seeds N          programs to run (default 1000)
            --first-seed N     first program seed (default 0)
            --scheduler S      random (default), pct, exhaustive (bounded DFS over schedules), or
                               dpor (the same search with partial-order reduction and sleep sets)
            --goroutines N     top-level goroutines per program (default 3)
            --ops N            operations per goroutine (default 12)
            --objects N        at most N objects in the initial heap (default 5)
            --schedules N      random/pct schedules per program (default 4)
            --pct-depth N      PCT priority-change points + 1 (default 3)
            --bound N          exhaustive, dpor: non-default choices per schedule (default 1)
            --max-schedules N  exhaustive, dpor: schedules per program (default 500)
            --check LEVEL      full (default: invariants at every step + checkmark) or cheap
            --no-shrink        print the first failure without shrinking it
            --trace            print every seed's program and operation trace (for few seeds)
            --html DIR         write the shrunk counterexample's teaching page into DIR
        \(campaignUsage)
          replay TOKEN         re-run one run from its replay token (tc1/...), with the trace;
                               --html OUT.html writes its teaching page
          scenario FILE        step through a teaching scenario (Fixtures/*.scenario) under every
                               built-in concurrent collector (or --collector NAME), colours after each line;
                               --svg DIR one picture per step, --html OUT.html the teaching page
          sched FILE           step a G/M/P scheduler scenario (Fixtures/*.sched) through GMP's run
                               queues, checking its expect lines; --html OUT.html the teaching page
        exit status: 0 no failure, 1 failure, 2 bad arguments
        """

    /// Runs the command with `arguments` (without the program name). Writes results with
    /// `out` and problems with `err`; returns the exit status. `executable` is the `tricolor`
    /// binary that `check --jobs` spawns as workers (nil: a `tricolor` beside this process's
    /// executable, as in tests).
    public static func run(_ arguments: [String], executable: URL? = nil, out: (String) -> Void, err: (String) -> Void) -> Int32 {
        guard let command = arguments.first else { return bad("missing command", err) }
        switch command {
        case "check": return check(Array(arguments.dropFirst()), executable: executable, out: out, err: err)
        case "merge": return merge(Array(arguments.dropFirst()), out: out, err: err)
        case "replay":
            if arguments.count == 4 && arguments[2] == "--html" { return replay(arguments[1], html: arguments[3], out: out, err: err) }
            guard arguments.count == 2 else { return bad("replay wants one TOKEN (and optionally --html OUT.html)", err) }
            return replay(arguments[1], html: nil, out: out, err: err)
        case "scenario": return scenario(Array(arguments.dropFirst()), out: out, err: err)
        case "sched": return sched(Array(arguments.dropFirst()), out: out, err: err)
        case "help", "--help", "-h":
            out(usage)
            return 0
        default: return bad("unknown command '\(command)'", err)
        }
    }

    static func bad(_ message: String, _ err: (String) -> Void) -> Int32 {
        err("tricolor: \(message)\n\n" + usage)
        return 2
    }

    struct Options {
        var config = CheckConfiguration(collector: .hybrid)
        var ablations = false
        var trace = false
        /// Where to write the teaching page of the shrunk counterexample.
        var htmlDir: String?
        var campaign = CampaignOptions()
    }

    /// Parses `check`'s options; nil (after reporting) on bad input.
    static func parseCheck(_ args: [String], err: (String) -> Void) -> Options? {
        var o = Options()
        var i = 0
        func value(_ name: String) -> String? {
            guard i + 1 < args.count else { _ = bad("\(name) wants a value", err); return nil }
            i += 1
            return args[i]
        }
        func number(_ name: String, min: Int, max: Int = .max) -> Int? {
            guard let v = value(name) else { return nil }
            guard let n = Int(v), n >= min, n <= max else {
                _ = bad("\(name) wants an integer in \(min)...\(max == .max ? "" : String(max)), got '\(v)'", err)
                return nil
            }
            return n
        }
        while i < args.count {
            switch args[i] {
            case "--collector":
                guard let v = value("--collector") else { return nil }
                guard let k = CollectorKind(rawValue: v) else {
                    _ = bad("unknown collector '\(v)' (want one of \(CollectorKind.allNames))", err)
                    return nil
                }
                o.config.collector = k
            case "--ablations": o.ablations = true
            case "--seeds": guard let n = number("--seeds", min: 1, max: 100_000_000) else { return nil }; o.config.seeds = n
            case "--first-seed": guard let n = number("--first-seed", min: 0, max: Int(Int64.max) - 100_000_000) else { return nil }; o.config.firstSeed = UInt64(n)
            case "--scheduler":
                guard let v = value("--scheduler") else { return nil }
                guard let s = ExplorationScheduler(rawValue: v) else {
                    _ = bad("unknown scheduler '\(v)' (want random, pct, exhaustive or dpor)", err)
                    return nil
                }
                o.config.scheduler = s
            case "--goroutines": guard let n = number("--goroutines", min: 1, max: 16) else { return nil }; o.config.shape.goroutines = n
            case "--ops": guard let n = number("--ops", min: 0, max: 1_000) else { return nil }; o.config.shape.ops = n
            case "--objects": guard let n = number("--objects", min: 2, max: 64) else { return nil }; o.config.shape.maxObjects = n
            case "--schedules": guard let n = number("--schedules", min: 1, max: 10_000) else { return nil }; o.config.schedulesPerSeed = n
            case "--pct-depth": guard let n = number("--pct-depth", min: 1, max: 64) else { return nil }; o.config.pctDepth = n
            case "--bound": guard let n = number("--bound", min: 0, max: 16) else { return nil }; o.config.exhaustiveBound = n
            case "--max-schedules": guard let n = number("--max-schedules", min: 1, max: 100_000_000) else { return nil }; o.config.exhaustiveMaxSchedules = n
            case "--check":
                guard let v = value("--check") else { return nil }
                guard let l = CheckLevel(rawValue: v), l != .off else { _ = bad("--check wants full or cheap, got '\(v)'", err); return nil }
                o.config.checkLevel = l
            case "--no-shrink": o.config.shrink = false
            case "--trace": o.trace = true
            case "--html":
                guard let v = value("--html") else { return nil }
                o.htmlDir = v
            default:
                if let ok = parseCampaignOption(args, &i, &o, err: err) {
                    if !ok { return nil }
                } else {
                    _ = bad("unknown option '\(args[i])'", err)
                    return nil
                }
            }
            i += 1
        }
        return o
    }

    static func check(_ args: [String], executable: URL?, out: (String) -> Void, err: (String) -> Void) -> Int32 {
        guard let o = parseCheck(args, err: err) else { return 2 }
        if o.ablations && o.htmlDir != nil {
            return bad("--html writes the page of one collector's shrunk counterexample; not with --ablations", err)
        }
        let c = o.config
        if o.trace {
            for i in 0..<c.seeds {
                let seed = c.firstSeed &+ UInt64(i)
                let p = ProgramGenerator.program(seed: seed, shape: c.shape)
                let sc = PropertyCheck.schedule(for: seed, c.scheduler, pctDepth: c.pctDepth)
                let t = ProgramRunner(collector: c.collector, checkLevel: c.checkLevel, traceOperations: true).run(p, schedule: sc)
                out("seed \(seed): \(t.message) (decisions \(t.decisions), cycles \(t.cycles), replay \(t.replay))")
                out(p.listing)
                out(t.trace.map { "  " + $0 }.joined(separator: "\n"))
            }
        }
        return campaign(o, arguments: args, executable: executable, out: out, err: err)
    }

    /// The ablation table of `reports` (one per collector, from `--ablations`); status 0
    /// iff safe collectors pass and every ablation is caught.
    static func ablationTable(_ reports: [CheckReport], shape: ProgramShape, out: (String) -> Void) -> Int32 {
        out("collector               kind      seeds  failures  first_failure_at  schedules_to_failure  verdict")
        var ok = true
        for r in reports {
            let kind = r.collector
            let verdict: String
            if kind.isSafe {
                verdict = r.failures == 0 ? "ok (no failure)" : "BUG: safe collector failed"
            } else {
                verdict = r.failures > 0 ? "ok (caught)" : "NOT CAUGHT"
            }
            if verdict.hasPrefix("BUG") || verdict == "NOT CAUGHT" { ok = false }
            func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0) }
            out(pad(kind.rawValue, 24) + pad(kind.isSafe ? "safe" : "ablation", 10)
                + pad(String(r.seedsRun), 7) + pad(String(r.failures), 10)
                + pad(r.seedsUntilFirstFailure.map(String.init) ?? "-", 18)
                + pad(r.schedulesUntilFirstFailure.map(String.init) ?? "-", 22) + verdict)
            if r.errors > 0, let f = r.firstFailure { out("  \(r.errors) runs failed other than by an oracle; first: \(f.message.prefix(300))") }
            if kind.isSafe, let f = r.firstFailure, let seed = r.firstFailureSeed {
                out("  first failure (seed \(seed)): \(f.message)\n  replay token: "
                    + ReplayToken(collector: kind, program: ProgramGenerator.program(seed: seed, shape: shape), replay: f.replay).encoded)
            }
        }
        return ok ? 0 : 1
    }

    static func replay(_ text: String, html: String?, out: (String) -> Void, err: (String) -> Void) -> Int32 {
        let token: ReplayToken
        do { token = try ReplayToken(parsing: text) } catch { return bad("\(error)", err) }
        let o = token.run()
        if let html {
            do { try TeachingDocument(token: token, outcome: o).html.write(toFile: html, atomically: true, encoding: .utf8) } catch {
                err("tricolor: cannot write \(html): \(error)")
                return 1
            }
            out("wrote \(html) (\(o.frames.count) steps)")
        }
        out("collector=\(token.collector.rawValue) decisions=\(o.decisions) cycles=\(o.cycles) result=\(o.failed ? "FAIL" : "pass")")
        out("program:\n" + token.program.listing)
        out("operation trace:\n" + o.trace.map { "  " + $0 }.joined(separator: "\n"))
        if o.failed { out("failure: \(o.message)") }
        return o.failed ? 1 : 0
    }
}
