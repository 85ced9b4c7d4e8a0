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
    /// Picture names of the objects allocated so far (ScenarioFrame.Node.id), by address.
    private var labels: [UInt64: String] = [:]
    private var typeCounts: [String: Int] = [:]
    /// Goroutines started by `go`: their picture name, the Ref they carry, and the
    /// goroutine once it has run (for its stack colour).
    private var spawned: [(name: String, ref: Ref, box: GoroutineBox)] = []
    /// What the statement being executed did, for its frame.
    private var written: ScenarioFrame.Write?
    private var notes: [String] = []
    /// The value a barriered write overwrote (the deletion half's `*slot`) and the one it
    /// stored (the insertion half's `ptr`), to name the half that shaded an object.
    private var overwritten: Ref = .nil
    private var stored: Ref = .nil
    /// Whether the statement wrote through the write barrier (a field or a global).
    private var barriered = false

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
            written = nil
            notes = []
            overwritten = .nil
            stored = .nil
            barriered = false
            execute(st)
            let text = scenario.describe(st)
            log.append("\(String(format: "%3d", ln))  \(text)".padding(toLength: 44, withPad: " ", startingAt: 0) + colours())
            frames.append(frame(line: ln, statement: text, st))
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
            written = .init(root: n, to: label(r))
            switch places[n] {
            case .global(let i):
                overwritten = rt.global(i)
                stored = r
                barriered = true
                rt.setGlobal(i, r)
            case .slot(let s):
                rt[s] = r
                notes.append("\(n) is a stack slot: stack writes have no barrier")
            case nil: failure("unknown name '\(n)'")
            }
        case .store(let n, let f, let v):
            guard let r = eval(v), let o = object(n, field: f) else { return }
            overwritten = rt.load(o, f)
            stored = r
            barriered = true
            written = .init(from: label(o), field: f, to: label(r))
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
            let release = release, box = GoroutineBox()
            spawned.append(("g\(spawned.count + 2)", rt[s], box))
            stored = rt[s]
            rt.go(carrying: [rt[s]]) { _ in
                box.goroutine = Goroutine.current
                _ = release.receive()
            }
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
            let r = rt.alloc(type)
            let k = typeCounts[t, default: 0] + 1
            typeCounts[t] = k
            labels[r.offset] = k == 1 ? t : "\(t)\(k)"
            return r
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

    /// The picture name of `r` (nil for nil).
    private func label(_ r: Ref) -> String? { r.isNil ? nil : labels[r.offset] ?? "\(r)" }

    /// The frame after statement `st` on line `ln`: the objects reachable from the roots
    /// (at most 64), the lanes, what the statement shaded (by comparing colours with the
    /// previous frame) and which barrier half or scan did it, the invariants, the verdict.
    private func frame(line ln: Int, statement text: String, _ st: Scenario.Statement) -> ScenarioFrame {
        let finished = st == .finish
        // After `finish` the mark bits still hold the mark's result (the sweep has not run
        // on this goroutine yet): show them, so the lost object stands out white.
        func colourAfter(_ r: Ref) -> String { finished ? "\(rt.heap.color(of: r))" : colour(r) }
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
            nodes.append(.init(id: label(r)!, type: rt.heap.typeName(of: r), names: name.map { [$0] } ?? [], colour: colourAfter(r)))
            queue.append(r)
        }
        var globals = ScenarioFrame.Lane(name: "globals", colour: "-", roots: [])
        let marking = rt.isMarking && !finished
        var mainStack = ScenarioFrame.Lane(name: "main stack", colour: marking ? (gc.isStackBlack(me) ? "black" : "grey") : "-", roots: [])
        for n in order {
            guard let r = root(n) else { continue }
            visit(r, name: n)
            if case .global = places[n] { globals.roots.append(.init(name: n, target: label(r))) } else {
                mainStack.roots.append(.init(name: n, target: label(r)))
            }
        }
        var lanes = [globals, mainStack]
        for s in spawned {
            visit(s.ref, name: "\(s.name).0")
            let colour = marking ? s.box.goroutine.map { gc.isStackBlack($0) ? "black" : "grey" } ?? "grey" : "-"
            lanes.append(.init(name: "\(s.name) stack", colour: colour, roots: [.init(name: "\(s.name).0", target: label(s.ref))]))
        }
        var head = 0
        while head < queue.count {
            let r = queue[head]
            head += 1
            for f in 0..<rt.heap.pointerFieldCount(of: r) {
                let v = rt.load(r, f)
                if v.isNil { continue }
                visit(v, name: nil)
                if index[v.offset] != nil { edges.append(.init(from: label(r)!, field: f, to: label(v)!)) }
            }
        }
        // What turned from white to grey or black, and why.
        let before = Dictionary((frames.last?.nodes ?? []).map { ($0.id, $0.colour) }, uniquingKeysWith: { a, _ in a })
        var shaded: [String] = []
        for n in nodes where n.colour != "white" && n.colour != "-" {
            if before[n.id] == "white" { shaded.append(n.id) } else if before[n.id] == nil, case .new? = newValue(st) {
                notes.append("\(n.id) allocated \(n.colour) while marking")
            }
        }
        if !finished {
            for id in shaded {
                switch st {
                case .store, .assign:
                    if id == label(overwritten) { notes.append("deletion half: shade(*slot) shaded \(id), the pointer overwritten") }
                    else if id == label(stored) { notes.append("insertion half: shade(ptr) shaded \(id), the pointer written") }
                    else { notes.append("\(id) shaded") }
                case .go: notes.append("go statement: the pointer moved to the new stack, \(id), is shaded")
                case .scan(let n): notes.append("scan \(n): its field shaded \(id)")
                case .scanStack: notes.append("stack scan: slot shaded \(id)")
                case .begin: notes.append("begin: global shaded \(id)")
                default: notes.append("\(id) shaded")
                }
            }
        }
        if barriered && shaded.isEmpty && rt.isMarking { notes.append("the write barrier shaded nothing") }
        switch st {
        case .scan(let n): notes.append("scan \(n): \(n) is black")
        case .scanStack: notes.append("the main stack is scanned: black, never re-scanned by a hybrid collector")
        case .begin: notes.append("stop the world, barrier on, globals grey")
        default: break
        }
        func describe(_ e: (from: Ref, field: Int, to: Ref)?) -> String? {
            e.map { "black \(label($0.from)!).\($0.field) -> white \(label($0.to)!)" }
        }
        var lostHere: [ScenarioFrame.Lost] = []
        var verdict: String?
        if finished {
            lostHere = lost.map { v in
                let path = v.path.split(separator: " ").compactMap { t -> String? in
                    t.hasPrefix("0x") ? labels[UInt64(t.dropFirst(2), radix: 16) ?? 0] : nil
                }
                return .init(object: label(v.object)!, path: path, text: "reachable via " + path.joined(separator: " -> ")
                             + " (\(v.path.split(separator: " ").prefix(2).joined(separator: " "))) but not marked")
            }
            verdict = lost.isEmpty ? "checkmark: every reachable object is marked; nothing lost"
                : "checkmark: LOST \(lost.count) live object(s): " + lostHere.map { "\($0.object), \($0.text)" }.joined(separator: "; ")
        }
        return ScenarioFrame(line: ln, statement: text,
                             phase: finished ? "mark termination" : rt.isMarking ? "marking" : "off",
                             nodes: nodes, edges: edges, lanes: lanes, written: written, notes: notes, shaded: shaded,
                             strongBreak: finished ? nil : describe(gc.stepInvariantViolation(.strong)),
                             weakBreak: finished ? nil : describe(gc.stepInvariantViolation(.weak)),
                             lost: lostHere, verdict: verdict)
    }

    /// The value a statement stores or declares.
    private func newValue(_ st: Scenario.Statement) -> Scenario.Value? {
        switch st {
        case .global(_, let v), .slot(_, let v), .assign(_, let v), .store(_, _, let v): v
        default: nil
        }
    }
}

/// A goroutine started by `go`, recorded when it first runs (for its stack colour). Written
/// and read on the one M of the deterministic runtime.
final class GoroutineBox: @unchecked Sendable {
    var goroutine: Goroutine?
}
