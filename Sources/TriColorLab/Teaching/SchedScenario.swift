// Scheduler scenarios: small text files (Fixtures/*.sched) that step GMP's run queues
// through the classic G/M/P cases with a `SchedulerLab` (GMP/Scheduler/SchedulerLab.swift:
// the real scheduler code, one M at a time, on one thread), checked by `expect` lines and drawn by `tricolor sched FILE --html OUT.html`.
//
// The language, one statement per line (`#` starts a comment):
//
//     procs N                  GOMAXPROCS (first statement, 1...8)
//     start                    M0 takes a P and runs the main goroutine G1
//     go M [COUNT]             M's goroutine creates COUNT (default 1) goroutines
//     exit M                   M's goroutine exits; M schedules the next one
//     schedule M               M (holding a P, running nothing: a woken M) looks for work
//     block M                  M's goroutine enters a blocking syscall: its P is handed off
//     syscall M                M's goroutine enters a syscall; its P waits in syscall status
//     retake P                 sysmon retakes P from a syscall and hands it off
//     return M                 M's syscall returns
//     expect P runnext G|none          P's runnext
//     expect P local G G ...           P's local queue, head first (nothing: empty)
//     expect P local-count N           its length
//     expect global G G ...            the global queue, head first
//     expect global-count N            its length
//     expect M STATE [G] [P]           M is running|spinning|idle|syscall (with goroutine G, on P)
//     expect M may-spin|may-not-spin   in the last event, findRunnable's spinning limit let M
//                                      spin (2 x spinning < busy Ps) or refused it
//     expect machines N                N Ms exist (threads started so far)
//
// M, P and G are written M0, P1, G5. Goroutine ids are GMP's own: G1 is the main goroutine,
// then each P hands out ids in batches of 16 (Go's goidcache), which is creation order
// while one M creates them.
// Errors are `file:line:column: message`; an `expect` that does not hold is a failure of
// the run (reported with its line), not of the parse.

import GMP

/// A parsed scheduler scenario.
public struct SchedScenario: Sendable {
    public enum Statement: Sendable, Equatable {
        case procs(Int), start, go(Int, Int), exit(Int), schedule(Int), block(Int), syscall(Int)
        case retake(Int), sysret(Int)
        case expectRunnext(Int, Int64?), expectLocal(Int, [Int64]), expectLocalCount(Int, Int)
        case expectGlobal([Int64]), expectGlobalCount(Int), expectM(Int, LabMState, Int64?, Int?), expectMachines(Int)
        case expectSpin(Int, allowed: Bool)

        var isExpect: Bool {
            switch self {
            case .expectRunnext, .expectLocal, .expectLocalCount, .expectGlobal, .expectGlobalCount, .expectM, .expectMachines,
                 .expectSpin: true
            default: false
            }
        }
    }

    public var name: String
    public var procs: Int
    public var statements: [(line: Int, statement: Statement)]
    public var source: [String]

    /// Parses scenario text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ScenarioError) -> SchedScenario {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var stmts: [(Int, Statement)] = []
        var procs: Int?
        for (i, raw) in lines.enumerated() {
            guard let l = ScenarioLine(file: file, number: i + 1, text: raw) else { continue }
            let st = try statement(l)
            if case .procs(let n) = st {
                if procs != nil || !stmts.isEmpty { throw l.fail(0, "'procs' must be the first statement, once") }
                procs = n
            } else if procs == nil {
                throw l.fail(0, "the first statement must be 'procs N'")
            }
            stmts.append((l.number, st))
        }
        guard let procs else { throw ScenarioError(file: file, line: max(1, lines.count), column: 1, message: "missing 'procs N'") }
        let name = file.split(separator: "/").last.map { String($0.split(separator: ".").first ?? $0) } ?? file
        return SchedScenario(name: name, procs: procs, statements: stmts, source: lines)
    }

    private static func statement(_ l: ScenarioLine) throws(ScenarioError) -> Statement {
        func num(_ t: Int, _ prefix: Character, _ what: String) throws(ScenarioError) -> Int {
            guard let s = l.token(t), s.first == prefix, let n = Int(s.dropFirst()), n >= 0 else {
                throw l.fail(t, "expected \(what) (\(prefix)0, \(prefix)1, ...)")
            }
            return n
        }
        func m(_ t: Int) throws(ScenarioError) -> Int { try num(t, "M", "an M") }
        func p(_ t: Int) throws(ScenarioError) -> Int { try num(t, "P", "a P") }
        func g(_ t: Int) throws(ScenarioError) -> Int64 { Int64(try num(t, "G", "a goroutine")) }
        func count(_ t: Int, _ range: ClosedRange<Int>) throws(ScenarioError) -> Int {
            guard let n = l.int(t), range.contains(n) else { throw l.fail(t, "expected a count \(range.lowerBound)...\(range.upperBound)") }
            return n
        }
        func end(_ t: Int, _ st: Statement) throws(ScenarioError) -> Statement { try l.expectEnd(t); return st }
        switch l.head {
        case "procs": return try end(2, .procs(try count(1, 1...8)))
        case "start": return try end(1, .start)
        case "go":
            let mm = try m(1)
            return try end(l.count > 2 ? 3 : 2, .go(mm, l.count > 2 ? try count(2, 1...1000) : 1))
        case "exit": return try end(2, .exit(try m(1)))
        case "schedule": return try end(2, .schedule(try m(1)))
        case "block": return try end(2, .block(try m(1)))
        case "syscall": return try end(2, .syscall(try m(1)))
        case "retake": return try end(2, .retake(try p(1)))
        case "return": return try end(2, .sysret(try m(1)))
        case "expect":
            guard let what = l.token(1) else { throw l.fail(1, "expected P, M, 'global' or 'machines'") }
            if what == "machines" { return try end(3, .expectMachines(try count(2, 0...64))) }
            if what == "global-count" { return try end(3, .expectGlobalCount(try count(2, 0...100_000))) }
            if what == "global" {
                return .expectGlobal(try (2..<max(2, l.count)).map { (t: Int) throws(ScenarioError) -> Int64 in try g(t) })
            }
            if what.hasPrefix("P") {
                let pp = try p(1)
                switch l.token(2) {
                case "runnext": return try end(4, .expectRunnext(pp, l.token(3) == "none" ? nil : try g(3)))
                case "local": return .expectLocal(pp, try (3..<max(3, l.count)).map { (t: Int) throws(ScenarioError) -> Int64 in try g(t) })
                case "local-count": return try end(4, .expectLocalCount(pp, try count(3, 0...256)))
                default: throw l.fail(2, "expected runnext, local or local-count")
                }
            }
            if what.hasPrefix("M") {
                let mm = try m(1)
                if let d = l.token(2), d == "may-spin" || d == "may-not-spin" { return try end(3, .expectSpin(mm, allowed: d == "may-spin")) }
                guard let s = l.token(2).flatMap(LabMState.init(rawValue:)) else {
                    throw l.fail(2, "expected running, spinning, idle, syscall, may-spin or may-not-spin")
                }
                var gg: Int64?, pp: Int?
                var t = 3
                if let s = l.token(t), s.hasPrefix("G") { gg = try g(t); t += 1 }
                if let s = l.token(t), s.hasPrefix("P") { pp = try p(t); t += 1 }
                return try end(t, .expectM(mm, s, gg, pp))
            }
            throw l.fail(1, "expected P, M, 'global' or 'machines'")
        default: throw l.fail(0, "unknown statement '\(l.head)'")
        }
    }
}

/// One step of a scheduler scenario: the event, what happened, and the state after it.
public struct SchedFrame: Sendable, Equatable {
    public struct M: Sendable, Equatable {
        public var id: Int
        public var state: LabMState
        public var g: Int64?
        public var p: Int?
    }
    public var line: Int
    public var statement: String
    public var what: String
    public var queues: SchedulerSnapshot
    public var machines: [M]
}

/// What running a scheduler scenario produced.
public struct SchedOutcome: Sendable {
    public var frames: [SchedFrame]
    /// Broken `expect` lines and misuse, as `file:line: message`.
    public var failures: [String]
}

extension SchedScenario {
    /// Runs the scenario on a fresh lab. Misuse (an M that cannot do that now) stops the run
    /// with a failure naming the line.
    public func run(file: String) -> SchedOutcome {
        let lab = SchedulerLab(procs: procs)
        var frames: [SchedFrame] = [], failures: [String] = []
        for (ln, st) in statements {
            var what = ""
            do throws(SchedulerLab.Misuse) {
                switch st {
                case .procs(let n): what = "GOMAXPROCS = \(n): \(n) idle P(s), no M yet"
                case .start: what = try lab.start()
                case .go(let m, let n):
                    var last = ""
                    for _ in 0..<n { last = try lab.go(m) }
                    what = n == 1 ? last : "\(n) x go; the last: " + last
                case .exit(let m): what = try lab.exit(m)
                case .schedule(let m): what = try lab.findWork(m)
                case .block(let m): what = try lab.block(m)
                case .syscall(let m): what = try lab.syscall(m)
                case .retake(let p): what = try lab.retake(p)
                case .sysret(let m): what = try lab.sysret(m)
                default: what = ""
                }
            } catch {
                failures.append("\(file):\(ln): \(error)")
                break
            }
            let (q, ms) = lab.snapshot()
            if st.isExpect, let f = Self.check(st, q, ms, lab.spinDecisions) { failures.append("\(file):\(ln): \(f)") }
            // An expectation is not an event: it checks the state the last event left.
            if st.isExpect { continue }
            frames.append(SchedFrame(line: ln, statement: source[ln - 1].split(separator: "#").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "",
                                     what: what, queues: q, machines: ms.map { .init(id: $0.id, state: $0.state, g: $0.g, p: $0.p) }))
        }
        return SchedOutcome(frames: frames, failures: failures)
    }

    static func check(_ st: Statement, _ q: SchedulerSnapshot, _ ms: [(id: Int, state: LabMState, g: Int64?, p: Int?)],
                      _ spins: [(m: Int, allowed: Bool)]) -> String? {
        func gs(_ a: [Int64]) -> String { a.isEmpty ? "empty" : a.map { "G\($0)" }.joined(separator: " ") }
        func proc(_ p: Int) -> SchedulerSnapshot.P? { p < q.procs.count ? q.procs[p] : nil }
        switch st {
        case .expectRunnext(let p, let g):
            guard let pp = proc(p) else { return "no P\(p)" }
            return pp.runnext == g ? nil : "expected P\(p) runnext \(g.map { "G\($0)" } ?? "none"), found \(pp.runnext.map { "G\($0)" } ?? "none")"
        case .expectLocal(let p, let g):
            guard let pp = proc(p) else { return "no P\(p)" }
            return pp.local == g ? nil : "expected P\(p) local \(gs(g)), found \(gs(pp.local))"
        case .expectLocalCount(let p, let n):
            guard let pp = proc(p) else { return "no P\(p)" }
            return pp.local.count == n ? nil : "expected P\(p) local-count \(n), found \(pp.local.count)"
        case .expectGlobal(let g): return q.global == g ? nil : "expected global \(gs(g)), found \(gs(q.global))"
        case .expectGlobalCount(let n): return q.global.count == n ? nil : "expected global-count \(n), found \(q.global.count)"
        case .expectM(let m, let s, let g, let p):
            guard let mm = ms.first(where: { $0.id == m }) else { return "no M\(m) yet" }
            if mm.state != s || (g != nil && mm.g != g) || (p != nil && mm.p != p) {
                return "expected M\(m) \(s)\(g.map { " G\($0)" } ?? "")\(p.map { " P\($0)" } ?? ""), found \(mm.state)"
                    + (mm.g.map { " G\($0)" } ?? "") + (mm.p.map { " P\($0)" } ?? "")
            }
            return nil
        case .expectMachines(let n): return ms.count == n ? nil : "expected \(n) Ms, found \(ms.count)"
        case .expectSpin(let m, let allowed):
            let want = allowed ? "may-spin" : "may-not-spin"
            guard let d = spins.last(where: { $0.m == m }) else {
                return "expected M\(m) \(want), but findRunnable did not reach its spinning limit for M\(m) in the last event"
            }
            return d.allowed == allowed ? nil : "expected M\(m) \(want), found \(d.allowed ? "may-spin" : "may-not-spin")"
        default: return nil
        }
    }
}
