// Running a scenario under one collector (see Scenario.swift for the language).

import TriColor
import GMP

/// What one run of a scenario produced.
public struct ScenarioOutcome: Sendable {
    public var scenario: String
    public var collector: CollectorKind
    /// One line per statement: the statement and the colours of every named object after it.
    public var log: [String]
    /// What checkmark found unmarked at `finish` (objects the sweep would free while reachable).
    public var lost: [CheckmarkViolation]
    /// Broken expectations (`expect` lines, `lost-under`), as `file:line: message`.
    public var failures: [String]
    /// The object graph after every statement (for pictures).
    public var frames: [ScenarioFrame] = []
}

extension Scenario {
    /// Runs the scenario under `collector` (a concurrent one) in deterministic mode.
    public func run(collector: CollectorKind, file: String = "scenario") throws -> ScenarioOutcome {
        precondition(collector != .markSweep, "scenarios step a concurrent mark; markSweep has none")
        let rt = try TriColorRuntime(.stepping(collector))
        let out = ScenarioBox(ScenarioOutcome(scenario: name, collector: collector, log: [], lost: [], failures: []))
        let scenario = self
        try rt.run {
            let interpreter = ScenarioInterpreter(rt, collector: collector, file: file)
            interpreter.run(scenario)
            out.value = interpreter.outcome(of: scenario)
        }
        return out.value
    }

    func describe(_ st: Statement) -> String {
        func v(_ x: Value) -> String {
            switch x {
            case .nil_: "nil"
            case .name(let n): n
            case .field(let n, let f): "\(n).\(f)"
            case .new(let t): "new \(t)"
            }
        }
        switch st {
        case .type(let n, let f): return "type \(n) \(f)"
        case .global(let n, let x): return "global \(n) = \(v(x))"
        case .slot(let n, let x): return "slot \(n) = \(v(x))"
        case .assign(let n, let x): return "\(n) = \(v(x))"
        case .store(let n, let f, let x): return "\(n).\(f) = \(v(x))"
        case .begin: return "begin"
        case .scan(let n): return "scan \(n)"
        case .scanStack: return "scan-stack"
        case .go(let n): return "go \(n)"
        case .expect(let n, let c, _): return "expect \(n) \(c)"
        case .finish: return "finish"
        }
    }
}

final class ScenarioBox: @unchecked Sendable {
    var value: ScenarioOutcome
    init(_ v: ScenarioOutcome) { value = v }
}
