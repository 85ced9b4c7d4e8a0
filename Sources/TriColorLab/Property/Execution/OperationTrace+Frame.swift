// Pictures of a traced run, one per operation, for the teaching page of a replay or a
// counterexample: the same ScenarioFrame a teaching scenario produces. The roots are the
// globals (G0, G1, ...) and every program goroutine's stack slots (g1.s0, ...); objects are
// named as in the trace (o0, n0, ...); what the operation wrote, what turned grey or black
// and which barrier half did it are worked out as for scenarios (ScenarioInterpreter).
// Read on the one M of a deterministic run, so the other goroutines' slots stand still.

import TriColor
import GMP

extension OperationTrace {
    /// What a write is about to overwrite and store, read before the operation: the write's
    /// picture, the overwritten value (deletion half's `*slot`) and the stored one (`ptr`).
    struct PendingWrite {
        var write: ScenarioFrame.Write
        var overwritten: Ref
        var stored: Ref
        var barriered: Bool
    }

    func written(_ rt: TriColorRuntime, _ me: String, _ op: MutatorOp, _ s: [StackSlot]) -> PendingWrite? {
        func field(_ o: Int, _ f: Int, _ v: Ref?) -> PendingWrite? {
            let obj = rt[s[o]]
            if obj.isNil { return nil }
            return PendingWrite(write: .init(from: label(obj), field: f, to: v.map(label)), overwritten: rt.load(obj, f),
                                stored: v ?? .nil, barriered: true)
        }
        func slot(_ d: Int) -> PendingWrite { .init(write: .init(root: "\(me).s\(d)"), overwritten: .nil, stored: .nil, barriered: false) }
        switch op {
        case .store(let o, let f, let from), .put(let o, let f, let from): return field(o, f, rt[s[from]])
        case .clearField(let o, let f): return field(o, f, nil)
        case .allocInto(let o, let f): return field(o, f, nil)
        case .setGlobal(let g, let from):
            return .init(write: .init(root: "G\(g)"), overwritten: rt.global(g), stored: rt[s[from]], barriered: true)
        case .clearGlobal(let g): return .init(write: .init(root: "G\(g)"), overwritten: rt.global(g), stored: .nil, barriered: true)
        case .alloc(let d), .load(let d, _, _), .take(let d, _, _), .loadGlobal(let d, _), .copy(let d, _), .clear(let d), .receive(_, let d):
            return slot(d)
        default: return nil
        }
    }

    private func colour(_ rt: TriColorRuntime, _ r: Ref) -> String {
        if rt.heap.validate(r) != nil { return "freed" }
        return rt.isMarking ? "\(rt.heap.color(of: r))" : "-"
    }

    /// Records the picture after operation `index` of goroutine `thread`.
    func frame(_ rt: TriColorRuntime, thread: Int, index: Int, _ op: MutatorOp, _ pending: PendingWrite?) {
        var nodes: [ScenarioFrame.Node] = [], edges: [ScenarioFrame.Edge] = []
        var at: [UInt64: Int] = [:]
        var queue: [Ref] = []
        func visit(_ r: Ref, _ name: String) {
            if r.isNil { return }
            if let i = at[r.offset] { nodes[i].names.append(name); return }
            at[r.offset] = nodes.count
            let valid = rt.heap.validate(r) == nil
            nodes.append(.init(id: label(r), type: valid ? rt.heap.typeName(of: r) : "?", names: [name], colour: colour(rt, r)))
            if valid { queue.append(r) }
        }
        var lanes = [ScenarioFrame.Lane(name: "globals", colour: "-", roots: [])]
        for g in 0..<MutatorProgram.globals {
            let r = rt.global(g)
            lanes[0].roots.append(.init(name: "G\(g)", target: r.isNil ? nil : label(r)))
            visit(r, "G\(g)")
        }
        let gc = rt.concurrentCollector
        var stacks: [(String, Goroutine)] = []
        rt.scheduler.forEachGoroutine { g in
            let st = g.currentStatus
            if st != .dead && st != .idle, let name = goroutineNames[g.id] { stacks.append((name, g)) }
        }
        for (name, g) in stacks.sorted(by: { $0.0 < $1.0 }) {
            let black = rt.isMarking && (gc?.isStackBlack(g) ?? false)
            var lane = ScenarioFrame.Lane(name: "\(name) stack", colour: rt.isMarking ? (black ? "black" : "grey") : "-", roots: [])
            let roots = g.roots
            for i in 0..<roots.count {
                let r = Ref(offset: roots[i])
                lane.roots.append(.init(name: "\(name).s\(i)", target: r.isNil ? nil : label(r)))
                visit(r, "\(name).s\(i)")
            }
            lanes.append(lane)
        }
        var head = 0
        while head < queue.count {
            let r = queue[head]
            head += 1
            for f in 0..<rt.heap.pointerFieldCount(of: r) {
                let v = rt.load(r, f)
                if v.isNil { continue }
                visit(v, "")
                nodes[at[v.offset]!].names.removeAll { $0.isEmpty }
                edges.append(.init(from: label(r), field: f, to: label(v)))
            }
        }
        var write = pending?.write
        if case .allocInto = op, let w = write, let from = w.from {
            // The new object's name is known only now.
            write?.to = edges.first { $0.from == from && $0.field == w.field }?.to
        }
        let before = Dictionary((frames.last?.nodes ?? []).map { ($0.id, $0.colour) }, uniquingKeysWith: { a, _ in a })
        var shaded: [String] = [], notes: [String] = []
        for n in nodes where n.colour == "grey" || n.colour == "black" {
            if before[n.id] == "white" { shaded.append(n.id) }
        }
        for id in shaded {
            if let p = pending, p.barriered, id == label(p.overwritten) { notes.append("deletion half: shade(*slot) shaded \(id), the pointer overwritten") }
            else if let p = pending, p.barriered, id == label(p.stored) { notes.append("insertion half: shade(ptr) shaded \(id), the pointer written") }
            else { notes.append("\(id) turned \(nodes.first { $0.id == id }!.colour) (marking ran, or the barrier shaded it)") }
        }
        if let p = pending, !p.barriered { notes.append("\(p.write.root ?? "a slot") is a stack slot: no barrier") }
        else if let p = pending, p.barriered, rt.isMarking, shaded.isEmpty { notes.append("the write barrier shaded nothing") }
        func edge(_ v: (from: Ref, field: Int, to: Ref)?) -> String? { v.map { "black \(label($0.from)).\($0.field) -> white \(label($0.to))" } }
        let inv = showInvariants && rt.isMarking
        frames.append(ScenarioFrame(line: 0, statement: "g\(thread) #\(index)  \(op.listing)",
                                    phase: rt.isMarking ? "marking" : "off", nodes: nodes, edges: edges, lanes: lanes,
                                    written: write, notes: notes, shaded: shaded,
                                    strongBreak: inv ? edge(gc?.stepInvariantViolation(.strong)) : nil,
                                    weakBreak: inv ? edge(gc?.stepInvariantViolation(.weak)) : nil, lost: [], verdict: nil))
    }

    /// Adds the verdict as a last picture: the last state, with the run's result and the
    /// objects the failure names (by trace name or address) marked lost along the path
    /// the message gives.
    func finish(_ frames: inout [ScenarioFrame], _ outcome: RunOutcome) {
        guard var last = frames.last else { return }
        last.statement = "verdict"
        last.written = nil
        last.shaded = []
        last.notes = []
        var message = "the run passed: every reachable object stayed alive"
        if case .gcFailure(let m) = outcome.verdict { message = m }
        if case .error(let m) = outcome.verdict { message = m }
        last.verdict = message
        if outcome.failed {
            var byAddress: [String: String] = [:]
            for (offset, n) in names { byAddress["0x" + String(offset, radix: 16)] = n }
            let ids = Set(last.nodes.map(\.id))
            let path = message.split(whereSeparator: { " :(),.".contains($0) }).compactMap { t -> String? in
                let s = String(t)
                if ids.contains(s) { return s }
                return byAddress[s].flatMap { ids.contains($0) ? $0 : nil }
            }
            if let object = path.last {
                last.lost = [.init(object: object, path: path, text: message)]
            }
        }
        frames.append(last)
    }
}
