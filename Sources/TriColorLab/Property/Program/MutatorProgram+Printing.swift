// Printing programs: a listing for people and Swift source for tests.
//
// `listing` reads like pseudo-code, one line per operation, with the goroutine's slots
// written s0, s1, s2, globals G0, G1 and initial objects o0, o1, ...:
//
//     heap: o0.f0 = o1; G0 = o0
//     g0 (starts with s0 = o0):
//       0  s1 = s0.f0
//       1  s0.f0 = nil
//
// `swiftSource` is a `MutatorProgram(...)` expression that compiles as-is in a test that
// imports TriColor, so a shrunk counterexample can be pasted next to the other scenarios.

import TriColor

extension MutatorOp {
    /// The operation as one line of pseudo-code (`s0.f1 = s2`, `go g3(s1)`, ...).
    public var listing: String {
        switch self {
        case .alloc(let s): "s\(s) = new"
        case .allocInto(let o, let f): "s\(o).f\(f) = new"
        case .store(let o, let f, let s): "s\(o).f\(f) = s\(s)"
        case .clearField(let o, let f): "s\(o).f\(f) = nil"
        case .load(let d, let o, let f): "s\(d) = s\(o).f\(f)"
        case .take(let d, let o, let f): "s\(d), s\(o).f\(f) = s\(o).f\(f), nil"
        case .put(let o, let f, let s): "s\(o).f\(f), s\(s) = s\(s), nil"
        case .setGlobal(let g, let s): "G\(g) = s\(s)"
        case .clearGlobal(let g): "G\(g) = nil"
        case .loadGlobal(let s, let g): "s\(s) = G\(g)"
        case .copy(let d, let s): "s\(d) = s\(s)"
        case .clear(let s): "s\(s) = nil"
        case .send(let c, let s): "ch\(c) <- s\(s)"
        case .receive(let c, let s): "s\(s) = <-ch\(c)"
        case .spawn(let c, let s): "go g\(c)(s\(s))"
        case .yield: "yield"
        case .startGC: "start GC"
        }
    }

    /// The operation as a Swift expression (`.store(obj: 0, field: 1, from: 2)`).
    public var swiftSource: String {
        switch self {
        case .alloc(let s): ".alloc(slot: \(s))"
        case .allocInto(let o, let f): ".allocInto(obj: \(o), field: \(f))"
        case .store(let o, let f, let s): ".store(obj: \(o), field: \(f), from: \(s))"
        case .clearField(let o, let f): ".clearField(obj: \(o), field: \(f))"
        case .load(let d, let o, let f): ".load(slot: \(d), obj: \(o), field: \(f))"
        case .take(let d, let o, let f): ".take(slot: \(d), obj: \(o), field: \(f))"
        case .put(let o, let f, let s): ".put(obj: \(o), field: \(f), from: \(s))"
        case .setGlobal(let g, let s): ".setGlobal(global: \(g), from: \(s))"
        case .clearGlobal(let g): ".clearGlobal(global: \(g))"
        case .loadGlobal(let s, let g): ".loadGlobal(slot: \(s), global: \(g))"
        case .copy(let d, let s): ".copy(slot: \(d), from: \(s))"
        case .clear(let s): ".clear(slot: \(s))"
        case .send(let c, let s): ".send(channel: \(c), from: \(s))"
        case .receive(let c, let s): ".receive(channel: \(c), slot: \(s))"
        case .spawn(let c, let s): ".spawn(child: \(c), from: \(s))"
        case .yield: ".yield"
        case .startGC: ".startGC"
        }
    }
}

extension MutatorProgram {
    /// A readable multi-line listing (see the essay above).
    public var listing: String {
        var heapParts: [String] = []
        for (i, fs) in heap.enumerated() {
            let links = fs.enumerated().compactMap { f, t in t.map { "o\(i).f\(f) = o\($0)" } }
            heapParts.append(links.isEmpty ? "o\(i)" : links.joined(separator: ", "))
        }
        for (g, t) in globals.enumerated() { if let t { heapParts.append("G\(g) = o\(t)") } }
        var lines = ["heap: " + (heapParts.isEmpty ? "(empty)" : heapParts.joined(separator: "; "))
                     + (gcAtStart ? "; main starts a GC cycle after starting the goroutines" : "")]
        for (k, t) in threads.enumerated() {
            let start: String
            if t.spawned {
                start = "spawned, starts with s0 = the carried Ref"
            } else {
                let initial = t.slots.enumerated().compactMap { s, o in o.map { "s\(s) = o\($0)" } }
                start = initial.isEmpty ? "starts with empty slots" : "starts with " + initial.joined(separator: ", ")
            }
            lines.append("g\(k) (\(start)):")
            for (j, op) in t.ops.enumerated() { lines.append("  \(j)".padding(toLength: 6, withPad: " ", startingAt: 0) + op.listing) }
        }
        return lines.joined(separator: "\n")
    }

    /// A Swift expression that rebuilds this program (paste into a test).
    public var swiftSource: String {
        func opt(_ v: Int?) -> String { v.map(String.init) ?? "nil" }
        func list(_ v: [Int?]) -> String { "[" + v.map(opt).joined(separator: ", ") + "]" }
        var s = "MutatorProgram(\n"
        s += "    heap: [" + heap.map(list).joined(separator: ", ") + "],\n"
        s += "    globals: \(list(globals)),\n"
        s += "    gcAtStart: \(gcAtStart),\n"
        s += "    threads: [\n"
        for t in threads {
            let head = t.spawned ? ".init(spawned: true, ops: [" : ".init(slots: \(list(t.slots)), ops: ["
            s += "        " + head + t.ops.map(\.swiftSource).joined(separator: ", ") + "]),\n"
        }
        s += "    ])"
        return s
    }
}
