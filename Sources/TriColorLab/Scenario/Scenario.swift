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

import TriColor

/// A parse error with its position.
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
