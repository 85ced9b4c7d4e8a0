// The scenario interpreter: executes statements on the main goroutine of a deterministic
// runtime, stepping the collector's mark by hand (ConcurrentCollector+Stepping.swift), and
// records the colours and a frame after every statement.

import GMP
import TriColor

/// Runs one scenario's statements. Lives on the runtime's main goroutine for one run.
final class ScenarioInterpreter {
    private enum Place { case global(Int), slot(StackSlot) }

    private let rt: TriColorRuntime
    private let gc: ConcurrentCollector
    private let me: Goroutine
    private let collector: CollectorKind
    private let file: String
    /// Goroutines started by `go` park on it until the scenario ends.
    private let release = Channel<Int>()
    private var types: [String: ObjectType] = [:]
    private var places: [String: Place] = [:]
    /// Root names in declaration order (the colour line and the picture list them so).
    private var order: [String] = []
    private var nextGlobal = 0
    /// The line being executed, for failure messages.
    private var line = 0
    private var log: [String] = []
    private var failures: [String] = []
    private var frames: [ScenarioFrame] = []
    private var lost: [CheckmarkViolation] = []

    init(_ rt: TriColorRuntime, collector: CollectorKind, file: String) {
        self.rt = rt
        gc = rt.concurrentCollector!
        me = Goroutine.current!
        self.collector = collector
        self.file = file
    }

    func run(_ scenario: Scenario) {
        for (ln, st) in scenario.statements {
            line = ln
            execute(st)
            let text = scenario.describe(st)
            log.append("\(String(format: "%3d", ln))  \(text)".padding(toLength: 44, withPad: " ", startingAt: 0) + colours())
            frames.append(frame("\(ln): \(text)"))
        }
        release.close()
        line = scenario.statements.last?.line ?? 0
        let lostSomething = !lost.isEmpty
        if scenario.lostUnder.contains(collector) && !lostSomething {
            failure("expected \(collector) to lose a live object, but checkmark found none")
        } else if !scenario.lostUnder.contains(collector) && lostSomething {
            failure("\(collector) lost a live object: \(lost[0])")
        }
    }

    func outcome(of scenario: Scenario) -> ScenarioOutcome {
        ScenarioOutcome(scenario: scenario.name, collector: collector, log: log, lost: lost,
                        failures: failures, frames: frames)
    }

    // MARK: Statements

    private func execute(_ st: Scenario.Statement) {
        switch st {
        case .type(let n, let f): types[n] = rt.registerType(name: n, pointerFields: f)
        case .global(let n, let v):
            guard let r = eval(v) else { return }
            rt.setGlobal(nextGlobal, r)
            places[n] = .global(nextGlobal)
            nextGlobal += 1
            order.append(n)
        case .slot(let n, let v):
            guard let r = eval(v) else { return }
            places[n] = .slot(rt.push(r))
            order.append(n)
        case .assign(let n, let v):
            guard let r = eval(v) else { return }
            switch places[n] {
            case .global(let i): rt.setGlobal(i, r)
            case .slot(let s): rt[s] = r
            case nil: failure("unknown name '\(n)'")
            }
        case .store(let n, let f, let v):
            guard let r = eval(v), let o = object(n, field: f) else { return }
            rt.store(o, f, r)
        case .begin: gc.stepBegin()
        case .scan(let n):
            guard let o = object(n) else { return }
            if rt.heap.color(of: o) == .grey { gc.stepScan(o) } else {
                log.append("  (scan \(n): it is \(rt.heap.color(of: o)), not grey; skipped)")
            }
        case .scanStack: gc.stepScanStack(me)
        case .go(let n):
            guard case .slot(let s) = places[n] else { return failure("'go' takes a slot name") }
            let release = release
            rt.go(carrying: [rt[s]]) { _ in _ = release.receive() }
        case .expect(let n, let col, let only):
            if let only, !only.contains(collector) { return }
            guard let o = object(n) else { return }
            let actual = gc.stepColor(o)
            if actual != col { failure("expected \(n) to be \(col) under \(collector), found \(actual)") }
        case .finish:
            lost = gc.stepFinish()
        }
    }

    private func failure(_ m: String) { failures.append("\(file):\(line): \(m)") }

    /// The Ref the root `n` holds (nil Ref allowed), or nil after reporting an unknown name.
    private func root(_ n: String) -> Ref? {
        switch places[n] {
        case .global(let i): return rt.global(i)
        case .slot(let s): return rt[s]
        case nil: failure("unknown name '\(n)'"); return nil
        }
    }

    /// The object root `n` holds; with `field`, that field must exist. Reports and returns
    /// nil otherwise.
    private func object(_ n: String, field: Int? = nil) -> Ref? {
        guard let o = root(n) else { return nil }
        if o.isNil { failure("'\(n)' holds nil"); return nil }
        if let f = field, f >= rt.heap.pointerFieldCount(of: o) { failure("\(n).\(f): no such field"); return nil }
        return o
    }

    /// Evaluates a value; `new` allocates (a safe point: names are re-read after).
    private func eval(_ v: Scenario.Value) -> Ref? {
        switch v {
        case .nil_: return .nil
        case .name(let n): return root(n)
        case .field(let n, let f): return object(n, field: f).map { rt.load($0, f) }
        case .new(let t):
            guard let type = types[t] else { failure("unknown type '\(t)'"); return nil }
            return rt.alloc(type)
        }
    }

    // MARK: What is shown after each statement

    private func colour(_ r: Ref) -> String { rt.isMarking ? "\(gc.stepColor(r))" : "-" }

    private func colours() -> String {
        order.compactMap { n -> String? in
            guard let r = root(n), !r.isNil else { return nil }
            return "\(n)=\(colour(r))"
        }.joined(separator: " ")
    }

    /// The objects reachable from the named roots (at most 64), for a picture.
    private func frame(_ title: String) -> ScenarioFrame {
        var nodes: [ScenarioFrame.Node] = [], edges: [ScenarioFrame.Edge] = []
        var index: [UInt64: Int] = [:]
        var queue: [Ref] = []
        func visit(_ r: Ref, name: String?) {
            if r.isNil { return }
            if let i = index[r.offset] {
                if let name { nodes[i].names.append(name) }
                return
            }
            guard nodes.count < 64 else { return }
            index[r.offset] = nodes.count
            nodes.append(.init(id: "\(r)", type: rt.heap.typeName(of: r), names: name.map { [$0] } ?? [], colour: colour(r)))
            queue.append(r)
        }
        for n in order { if let r = root(n) { visit(r, name: n) } }
        var head = 0
        while head < queue.count {
            let r = queue[head]
            head += 1
            for f in 0..<rt.heap.pointerFieldCount(of: r) {
                let v = rt.load(r, f)
                if v.isNil { continue }
                visit(v, name: nil)
                if index[v.offset] != nil { edges.append(.init(from: "\(r)", field: f, to: "\(v)")) }
            }
        }
        return ScenarioFrame(statement: title, nodes: nodes, edges: edges)
    }
}
