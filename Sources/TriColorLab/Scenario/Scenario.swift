// Teaching scenarios: small text files (Fixtures/*.scenario) that script a GC cycle step by
// step — build a heap, begin a mark, scan chosen objects or stacks, run mutator writes, and
// finish — with the colours and outcome each collector is expected to produce. The tests run
// every fixture under every concurrent collector; the `tricolor scenario` command steps
// through one and prints the colours after every line.
//
// The language, one statement per line (`#` starts a comment):
//
//     type NAME FIELDS                 declare an object type with FIELDS pointer fields
//     global NAME = new TYPE           allocate into a new global root named NAME
//     slot NAME = new TYPE | nil | NAME | NAME.F
//                                      a new stack slot of the main goroutine (a root)
//     NAME = nil | NAME | NAME.F       overwrite a global or slot (globals go through the
//                                      write barrier, slots never do)
//     NAME.F = nil | NAME | new TYPE   store into field F of the object NAME holds (barrier)
//     begin                            stop the world, begin a mark (globals grey)
//     scan NAME                        blacken the grey object NAME holds
//     scan-stack                       scan (blacken) the main goroutine's stack
//     go NAME                          start a goroutine whose stack takes the object in
//                                      slot NAME (it parks until the scenario ends)
//     expect NAME COLOUR [for C,C...]  the object NAME holds is white|grey|black
//     finish                           finish the mark; checkmark decides what was lost
//     lost-under C C ...               the collectors expected to lose a live object; every
//                                      other concurrent collector must keep everything
//
// Errors are reported as `file:line:column: message`.

/// A parse error with its position.

import TriColor
public struct ScenarioError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// A parsed scenario.
public struct Scenario: Sendable {
    public enum Value: Sendable, Equatable {
        case nil_
        case name(String)
        case field(String, Int)
        case new(String)
    }

    public enum Statement: Sendable, Equatable {
        case type(String, Int)
        case global(String, Value)
        case slot(String, Value)
        case assign(String, Value)
        case store(String, Int, Value)
        case begin
        case scan(String)
        case scanStack
        case go(String)
        case expect(String, ObjectColor, [CollectorKind]?)
        case finish
    }

    public var name: String
    /// Statements with their 1-based line numbers.
    public var statements: [(line: Int, statement: Statement)]
    public var lostUnder: Set<CollectorKind>
    public var source: [String]

    /// Parses scenario text; `file` names it in error messages.
    public static func parse(_ text: String, file: String) throws(ScenarioError) -> Scenario {
        var stmts: [(Int, Statement)] = []
        var lost = Set<CollectorKind>()
        var sawLost = false, sawFinish = false
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (i, raw) in lines.enumerated() {
            let lineNo = i + 1
            let code = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            // Tokens with their 1-based columns.
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
            if tokens.isEmpty { continue }
            func fail(_ t: Int, _ msg: String) -> ScenarioError {
                let c = t < tokens.count ? tokens[t].1 : col + 1
                return ScenarioError(file: file, line: lineNo, column: c, message: msg)
            }
            func ident(_ t: Int, _ what: String) throws(ScenarioError) -> String {
                guard t < tokens.count else { throw fail(t, "expected \(what)") }
                let s = tokens[t].0
                guard let f = s.first, f.isLetter, s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw fail(t, "expected \(what), found '\(s)'")
                }
                return s
            }
            func value(_ t: Int) throws(ScenarioError) -> Value {
                guard t < tokens.count else { throw fail(t, "expected a value (nil, NAME, NAME.FIELD or new TYPE)") }
                let s = tokens[t].0
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
                if t < tokens.count { throw fail(t, "unexpected '\(tokens[t].0)'") }
            }
            func equals(_ t: Int) throws(ScenarioError) {
                guard t < tokens.count, tokens[t].0 == "=" else { throw fail(t, "expected '='") }
            }
            let head = tokens[0].0
            switch head {
            case "type":
                let n = try ident(1, "a type name")
                guard tokens.count > 2, let f = Int(tokens[2].0), f >= 0, f <= 64 else {
                    throw fail(2, "expected a pointer-field count 0...64")
                }
                try expectEnd(3)
                stmts.append((lineNo, .type(n, f)))
            case "global", "slot":
                let n = try ident(1, "a name")
                try equals(2)
                let v = try value(3)
                let isNew: Bool
                if case .new = v { isNew = true } else { isNew = false }
                try expectEnd(isNew ? 5 : 4)
                if head == "global" && !isNew { throw fail(3, "a global starts as 'new TYPE'") }
                stmts.append((lineNo, head == "global" ? .global(n, v) : .slot(n, v)))
            case "begin": try expectEnd(1); stmts.append((lineNo, .begin))
            case "scan-stack": try expectEnd(1); stmts.append((lineNo, .scanStack))
            case "finish": try expectEnd(1); stmts.append((lineNo, .finish)); sawFinish = true
            case "scan": let n = try ident(1, "a name"); try expectEnd(2); stmts.append((lineNo, .scan(n)))
            case "go": let n = try ident(1, "a slot name"); try expectEnd(2); stmts.append((lineNo, .go(n)))
            case "expect":
                let n = try ident(1, "a name")
                guard tokens.count > 2, let c = ObjectColor(name: tokens[2].0) else { throw fail(2, "expected white, grey or black") }
                var only: [CollectorKind]? = nil
                if tokens.count > 3 {
                    guard tokens[3].0 == "for", tokens.count == 5 else { throw fail(3, "expected 'for C,C,...'") }
                    only = try tokens[4].0.split(separator: ",").map { (s: Substring) throws(ScenarioError) -> CollectorKind in
                        guard let k = CollectorKind(rawValue: String(s)) else { throw fail(4, "unknown collector '\(s)'") }
                        return k
                    }
                }
                stmts.append((lineNo, .expect(n, c, only)))
            case "lost-under":
                sawLost = true
                for t in 1..<tokens.count {
                    guard let k = CollectorKind(rawValue: tokens[t].0) else { throw fail(t, "unknown collector '\(tokens[t].0)'") }
                    lost.insert(k)
                }
            default:
                // NAME = value  |  NAME.F = value
                let parts = head.split(separator: ".")
                if parts.count == 2, let f = Int(parts[1]) {
                    try equals(1)
                    let v = try value(2)
                    stmts.append((lineNo, .store(String(parts[0]), f, v)))
                } else if parts.count == 1, tokens.count >= 3, tokens[1].0 == "=" {
                    let n = try ident(0, "a name")
                    let v = try value(2)
                    if case .new = v { throw fail(2, "use 'slot NAME = new TYPE' or a field store to allocate") }
                    stmts.append((lineNo, .assign(n, v)))
                } else {
                    throw fail(0, "unknown statement '\(head)'")
                }
            }
        }
        if !sawFinish { throw ScenarioError(file: file, line: lines.count, column: 1, message: "missing 'finish'") }
        if !sawLost { throw ScenarioError(file: file, line: lines.count, column: 1, message: "missing 'lost-under' (write 'lost-under' with no collectors if nothing is lost)") }
        let name = file.split(separator: "/").last.map { String($0.split(separator: ".").first ?? $0) } ?? file
        return Scenario(name: name, statements: stmts, lostUnder: lost, source: lines)
    }
}

extension ObjectColor {
    init?(name: String) {
        switch name {
        case "white": self = .white
        case "grey", "gray": self = .grey
        case "black": self = .black
        default: return nil
        }
    }
}
