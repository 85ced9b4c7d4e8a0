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

/// The heap as a picture sees it after one statement: the objects reachable from the named
/// roots, their colours, and their pointers.
public struct ScenarioFrame: Sendable {
    public struct Node: Sendable {
        public var id: String          // the object's address
        public var type: String
        public var names: [String]     // roots naming it (globals: "a", slots: "c")
        public var colour: String      // white | grey | black | "-" outside a mark
    }
    public struct Edge: Sendable {
        public var from: String
        public var field: Int
        public var to: String
    }
    public var statement: String
    public var nodes: [Node]
    public var edges: [Edge]
}

extension Scenario {
    /// Runs the scenario under `collector` (a concurrent one) in deterministic mode.
    public func run(collector: CollectorKind, file: String = "scenario") throws -> ScenarioOutcome {
        precondition(collector != .markSweep, "scenarios step a concurrent mark; markSweep has none")
        var c = RuntimeConfig()
        c.collector = collector
        c.arenaBytes = 1 << 30
        c.checkLevel = .cheap
        c.gogc = nil
        c.scheduler = .deterministic(seed: 1)
        let rt = try TriColorRuntime(c)
        let out = ScenarioBox(ScenarioOutcome(scenario: name, collector: collector, log: [], lost: [], failures: []))
        let stmts = statements, lostUnder = lostUnder
        try rt.run {
            enum Place { case global(Int), slot(StackSlot) }
            var types: [String: ObjectType] = [:]
            var places: [String: Place] = [:]
            var order: [String] = []
            var nextGlobal = 0
            let gc = rt.concurrentCollector!
            let me = Goroutine.current!
            let release = Channel<Int>()
            var line = 0
            func failure(_ m: String) { out.value.failures.append("\(file):\(line): \(m)") }
            func obj(_ n: String) -> Ref? {
                switch places[n] {
                case .global(let i): return rt.global(i)
                case .slot(let s): return rt[s]
                case nil: failure("unknown name '\(n)'"); return nil
                }
            }
            func type(_ n: String) -> ObjectType? {
                if let t = types[n] { return t }
                failure("unknown type '\(n)'")
                return nil
            }
            /// Evaluates a value; `new` allocates (a safe point: names are re-read after).
            func eval(_ v: Scenario.Value) -> Ref? {
                switch v {
                case .nil_: return .nil
                case .name(let n): return obj(n)
                case .field(let n, let f):
                    guard let o = obj(n), !o.isNil else { failure("'\(n)' holds nil"); return nil }
                    guard f < rt.heap.pointerFieldCount(of: o) else { failure("\(n).\(f): no such field"); return nil }
                    return rt.load(o, f)
                case .new(let t): return type(t).map { rt.alloc($0) }
                }
            }
            func colours() -> String {
                order.compactMap { n -> String? in
                    guard let r = obj(n), !r.isNil else { return nil }
                    let col = rt.isMarking ? "\(gc.stepColor(r))" : "-"
                    return "\(n)=\(col)"
                }.joined(separator: " ")
            }
            /// The objects reachable from the named roots (at most 64), for a picture.
            func frame(_ title: String) -> ScenarioFrame {
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
                    let col = rt.isMarking ? "\(gc.stepColor(r))" : "-"
                    nodes.append(.init(id: "\(r)", type: rt.heap.typeName(of: r), names: name.map { [$0] } ?? [], colour: col))
                    queue.append(r)
                }
                for n in order { if let r = obj(n) { visit(r, name: n) } }
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
            for (ln, st) in stmts {
                line = ln
                switch st {
                case .type(let n, let f): types[n] = rt.registerType(name: n, pointerFields: f)
                case .global(let n, let v):
                    guard let r = eval(v) else { break }
                    rt.setGlobal(nextGlobal, r)
                    places[n] = .global(nextGlobal)
                    nextGlobal += 1
                    order.append(n)
                case .slot(let n, let v):
                    guard let r = eval(v) else { break }
                    places[n] = .slot(rt.push(r))
                    order.append(n)
                case .assign(let n, let v):
                    guard let r = eval(v) else { break }
                    switch places[n] {
                    case .global(let i): rt.setGlobal(i, r)
                    case .slot(let s): rt[s] = r
                    case nil: failure("unknown name '\(n)'")
                    }
                case .store(let n, let f, let v):
                    guard let r = eval(v) else { break }
                    guard let o = obj(n), !o.isNil else { failure("'\(n)' holds nil"); break }
                    guard f < rt.heap.pointerFieldCount(of: o) else { failure("\(n).\(f): no such field"); break }
                    rt.store(o, f, r)
                case .begin: gc.stepBegin()
                case .scan(let n):
                    guard let o = obj(n), !o.isNil else { failure("'\(n)' holds nil"); break }
                    if rt.heap.color(of: o) == .grey { gc.stepScan(o) } else {
                        out.value.log.append("  (scan \(n): it is \(rt.heap.color(of: o)), not grey; skipped)")
                    }
                case .scanStack: gc.stepScanStack(me)
                case .go(let n):
                    guard case .slot(let s) = places[n] else { failure("'go' takes a slot name"); break }
                    rt.go(carrying: [rt[s]]) { _ in _ = release.receive() }
                case .expect(let n, let col, let only):
                    if let only, !only.contains(collector) { break }
                    guard let o = obj(n), !o.isNil else { failure("'\(n)' holds nil"); break }
                    let actual = gc.stepColor(o)
                    if actual != col { failure("expected \(n) to be \(col) under \(collector), found \(actual)") }
                case .finish:
                    out.value.lost = gc.stepFinish()
                }
                out.value.log.append("\(String(format: "%3d", ln))  \(describe(st))".padding(toLength: 44, withPad: " ", startingAt: 0) + colours())
                out.value.frames.append(frame("\(ln): \(describe(st))"))
            }
            release.close()
            line = stmts.last?.line ?? 0
            let lost = !out.value.lost.isEmpty
            if lostUnder.contains(collector) && !lost {
                failure("expected \(collector) to lose a live object, but checkmark found none")
            } else if !lostUnder.contains(collector) && lost {
                failure("\(collector) lost a live object: \(out.value.lost[0])")
            }
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
