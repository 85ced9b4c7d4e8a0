// The scenario parser: a line lexer (tokens with their columns) and one function per
// statement form. Every error names `file:line:column`.

import TriColor

extension Scenario {
    /// Parses scenario text; `file` names it in error messages.
    public static func parse(_ text: String, file: String) throws(ScenarioError) -> Scenario {
        var stmts: [(Int, Statement)] = []
        var lost = Set<CollectorKind>()
        var sawLost = false
        var order = StatementOrder()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (i, raw) in lines.enumerated() {
            guard let line = ScenarioLine(file: file, number: i + 1, text: raw) else { continue }
            if sawLost { throw line.fail(0, "nothing may follow 'lost-under'") }
            if line.head == "lost-under" {
                sawLost = true
                lost.formUnion(try line.collectors(from: 1))
                continue
            }
            let st = try statement(line)
            try order.admit(st, line)
            stmts.append((line.number, st))
        }
        let sawFinish = order.phase == .finished
        if !sawFinish { throw ScenarioError(file: file, line: lines.count, column: 1, message: "missing 'finish'") }
        if !sawLost {
            throw ScenarioError(file: file, line: lines.count, column: 1,
                                message: "missing 'lost-under' (write 'lost-under' with no collectors if nothing is lost)")
        }
        let name = file.split(separator: "/").last.map { String($0.split(separator: ".").first ?? $0) } ?? file
        return Scenario(name: name, statements: stmts, lostUnder: lost, source: lines)
    }

    /// One statement (every form but `lost-under`).
    private static func statement(_ line: ScenarioLine) throws(ScenarioError) -> Statement {
        switch line.head {
        case "type":
            let n = try line.ident(1, "a type name")
            guard let f = line.int(2), f >= 0, f <= 64 else { throw line.fail(2, "expected a pointer-field count 0...64") }
            try line.expectEnd(3)
            return .type(n, f)
        case "global", "slot":
            return try declaration(line)
        case "begin": try line.expectEnd(1); return .begin
        case "scan-stack": try line.expectEnd(1); return .scanStack
        case "finish": try line.expectEnd(1); return .finish
        case "scan": let n = try line.ident(1, "a name"); try line.expectEnd(2); return .scan(n)
        case "go": let n = try line.ident(1, "a slot name"); try line.expectEnd(2); return .go(n)
        case "expect": return try expectation(line)
        default: return try assignment(line)
        }
    }

    /// `global NAME = new TYPE` or `slot NAME = VALUE`.
    private static func declaration(_ line: ScenarioLine) throws(ScenarioError) -> Statement {
        let n = try line.ident(1, "a name")
        try line.equals(2)
        let v = try line.value(3)
        try line.expectEnd(v.isNew ? 5 : 4)
        if line.head == "global" {
            if !v.isNew { throw line.fail(3, "a global starts as 'new TYPE'") }
            return .global(n, v)
        }
        return .slot(n, v)
    }

    /// `expect NAME COLOUR [for C,C...]`.
    private static func expectation(_ line: ScenarioLine) throws(ScenarioError) -> Statement {
        let n = try line.ident(1, "a name")
        guard let text = line.token(2), let c = ObjectColor(name: text) else { throw line.fail(2, "expected white, grey or black") }
        var only: [CollectorKind]? = nil
        if line.count > 3 {
            guard line.token(3) == "for", line.count == 5 else { throw line.fail(3, "expected 'for C,C,...'") }
            only = try line.collectorList(4)
        }
        return .expect(n, c, only)
    }

    /// `NAME = VALUE` or `NAME.F = VALUE`.
    private static func assignment(_ line: ScenarioLine) throws(ScenarioError) -> Statement {
        let parts = line.head.split(separator: ".")
        if parts.count == 2, let f = Int(parts[1]) {
            try line.equals(1)
            let v = try line.value(2)
            try line.expectEnd(v.isNew ? 4 : 3)
            return .store(String(parts[0]), f, v)
        }
        if parts.count == 1, line.count >= 3, line.token(1) == "=" {
            let n = try line.ident(0, "a name")
            let v = try line.value(2)
            if v.isNew { throw line.fail(2, "use 'slot NAME = new TYPE' or a field store to allocate") }
            try line.expectEnd(3)
            return .assign(n, v)
        }
        throw line.fail(0, "unknown statement '\(line.head)'")
    }
}

extension Scenario.Value {
    var isNew: Bool {
        if case .new = self { return true }
        return false
    }
}

/// The order a scenario's statements must follow: building before `begin`, marking
/// statements (`scan`, `scan-stack`, `expect`) only between `begin` and `finish`, each of
/// those two once.
struct StatementOrder {
    enum Phase { case building, marking, finished }
    private(set) var phase = Phase.building

    mutating func admit(_ st: Scenario.Statement, _ line: ScenarioLine) throws(ScenarioError) {
        switch st {
        case .begin:
            if phase == .marking { throw line.fail(0, "'begin': a mark is already in progress") }
            if phase == .finished { throw line.fail(0, "'begin' after 'finish': a scenario steps one mark") }
            phase = .marking
        case .finish:
            if phase == .building { throw line.fail(0, "'finish' without 'begin'") }
            if phase == .finished { throw line.fail(0, "a second 'finish'") }
            phase = .finished
        case .scan, .scanStack, .expect:
            if phase != .marking {
                throw line.fail(0, "'\(line.head)' outside the mark: it must come between 'begin' and 'finish'")
            }
        case .type, .global, .slot, .assign, .store, .go:
            if phase == .finished { throw line.fail(0, "'\(line.head)' after 'finish': only 'lost-under' may follow") }
        }
    }
}

/// One non-empty line of a scenario: its tokens with their 1-based columns (a `#` starts a
/// comment), and readers for the grammar's pieces that fail with the token's position.
struct ScenarioLine {
    let file: String
    let number: Int
    private let tokens: [(text: String, column: Int)]
    /// The column just past the line's code, for "expected ..." at the end of a line.
    private let endColumn: Int

    /// nil for a blank or comment-only line.
    init?(file: String, number: Int, text: String) {
        let code = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var tokens: [(String, Int)] = []
        var col = 0, cur = "", start = 0
        for ch in code {
            col += 1
            if ch == " " || ch == "\t" {
                if !cur.isEmpty { tokens.append((cur, start)); cur = "" }
            } else {
                if cur.isEmpty { start = col }
                cur.append(ch)
            }
        }
        if !cur.isEmpty { tokens.append((cur, start)) }
        if tokens.isEmpty { return nil }
        self.file = file
        self.number = number
        self.tokens = tokens
        endColumn = col + 1
    }

    var head: String { tokens[0].text }
    var count: Int { tokens.count }
    func token(_ t: Int) -> String? { t < tokens.count ? tokens[t].text : nil }
    func int(_ t: Int) -> Int? { token(t).flatMap { Int($0) } }

    func fail(_ t: Int, _ message: String) -> ScenarioError {
        ScenarioError(file: file, line: number, column: t < tokens.count ? tokens[t].column : endColumn, message: message)
    }

    func ident(_ t: Int, _ what: String) throws(ScenarioError) -> String {
        guard let s = token(t) else { throw fail(t, "expected \(what)") }
        guard let f = s.first, f.isLetter, s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw fail(t, "expected \(what), found '\(s)'")
        }
        return s
    }

    /// `nil`, `NAME`, `NAME.FIELD` or `new TYPE`.
    func value(_ t: Int) throws(ScenarioError) -> Scenario.Value {
        guard let s = token(t) else { throw fail(t, "expected a value (nil, NAME, NAME.FIELD or new TYPE)") }
        if s == "nil" { return .nil_ }
        if s == "new" { return .new(try ident(t + 1, "a type name after 'new'")) }
        let parts = s.split(separator: ".")
        if parts.count == 2 {
            guard let f = Int(parts[1]), f >= 0 else { throw fail(t, "field index in '\(s)' must be a number") }
            return .field(String(parts[0]), f)
        }
        return .name(try ident(t, "a value"))
    }

    func expectEnd(_ t: Int) throws(ScenarioError) {
        if let s = token(t) { throw fail(t, "unexpected '\(s)'") }
    }

    func equals(_ t: Int) throws(ScenarioError) {
        guard token(t) == "=" else { throw fail(t, "expected '='") }
    }

    /// Collector names, one per token from `t` on.
    func collectors(from t: Int) throws(ScenarioError) -> Set<CollectorKind> {
        var out = Set<CollectorKind>()
        for i in t..<max(t, tokens.count) { out.insert(try collector(tokens[i].text, at: i)) }
        return out
    }

    /// A comma-separated list of collector names in token `t`.
    func collectorList(_ t: Int) throws(ScenarioError) -> [CollectorKind] {
        var out: [CollectorKind] = []
        for s in (token(t) ?? "").split(separator: ",") { out.append(try collector(String(s), at: t)) }
        return out
    }

    private func collector(_ name: String, at t: Int) throws(ScenarioError) -> CollectorKind {
        guard let k = CollectorKind(rawValue: name) else { throw fail(t, "unknown collector '\(name)'") }
        return k
    }
}
