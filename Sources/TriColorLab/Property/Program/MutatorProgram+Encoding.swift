// A compact, URL- and shell-safe text form of a program, used inside replay tokens.
//
//     program  = heap "~" globals "~" flags { "~" thread }
//     heap     = [ object { "." object } ]          object = ref "," ref  (its fields)
//     globals  = ref { "," ref }                    ref = index | "-"     (nil)
//     flags    = "S" (main starts a GC cycle) | "n"
//     thread   = ("T" | "C") slots ":" [ op { "." op } ]  ("C": spawned child)
//     slots    = ref { "," ref }
//     op       = letter { arg "," }                 e.g. "w0,1,2" = s0.f1 = s2
//
// Op letters: a alloc, A allocInto, w store, x clearField, l load, t take, P put, G setGlobal,
// X clearGlobal, L loadGlobal, c copy, z clear, s send, r receive, p spawn, y yield,
// C startGC. `decode(encoded)` inverts `encoded` exactly; a malformed string is an error
// naming the part that failed.

import TriColor

extension MutatorProgram {
    /// The compact text form (see the essay above).
    public var encoded: String {
        func ref(_ v: Int?) -> String { v.map(String.init) ?? "-" }
        var parts: [String] = []
        parts.append(heap.map { $0.map(ref).joined(separator: ",") }.joined(separator: "."))
        parts.append(globals.map(ref).joined(separator: ","))
        parts.append(gcAtStart ? "S" : "n")
        for t in threads {
            parts.append((t.spawned ? "C" : "T") + t.slots.map(ref).joined(separator: ",") + ":"
                         + t.ops.map(\.code).joined(separator: "."))
        }
        return parts.joined(separator: "~")
    }

    /// Parses `encoded`. Throws `PropertyError.badToken` naming the malformed part.
    public static func decode(_ text: String) throws(PropertyError) -> MutatorProgram {
        let parts = text.split(separator: "~", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3 else { throw .badToken("program '\(text.prefix(40))' has fewer than 3 '~' parts") }
        func ref(_ s: Substring) throws(PropertyError) -> Int? {
            if s == "-" { return nil }
            guard let v = Int(s), v >= 0 else { throw .badToken("bad object index '\(s)' in program") }
            return v
        }
        func refs(_ s: Substring) throws(PropertyError) -> [Int?] {
            var out: [Int?] = []
            for p in s.split(separator: ",", omittingEmptySubsequences: false) { out.append(try ref(p)) }
            return out
        }
        var heap: [[Int?]] = []
        if !parts[0].isEmpty {
            for o in parts[0].split(separator: ".", omittingEmptySubsequences: false) { heap.append(try refs(o)) }
        }
        let globals = try refs(Substring(parts[1]))
        guard parts[2] == "S" || parts[2] == "n" else { throw .badToken("bad program flags '\(parts[2])' (want S or n)") }
        var threads: [Thread] = []
        for t in parts.dropFirst(3) {
            guard let kind = t.first, kind == "T" || kind == "C", let colon = t.firstIndex(of: ":") else {
                throw .badToken("bad goroutine '\(t.prefix(20))' (want T|C slots ':' ops)")
            }
            let slots = try refs(t[t.index(after: t.startIndex)..<colon])
            let body = t[t.index(after: colon)...]
            var ops: [MutatorOp] = []
            if !body.isEmpty {
                for code in body.split(separator: ".", omittingEmptySubsequences: false) { ops.append(try MutatorOp(code: code)) }
            }
            threads.append(Thread(spawned: kind == "C", slots: slots, ops: ops))
        }
        let p = MutatorProgram(heap: heap, globals: globals, gcAtStart: parts[2] == "S", threads: threads)
        if let e = p.validationError() { throw .badToken("program is malformed: \(e)") }
        return p
    }
}

extension MutatorOp {
    /// The op's code in the compact form.
    var code: String {
        switch self {
        case .alloc(let s): "a\(s)"
        case .allocInto(let o, let f): "A\(o),\(f)"
        case .store(let o, let f, let s): "w\(o),\(f),\(s)"
        case .clearField(let o, let f): "x\(o),\(f)"
        case .load(let d, let o, let f): "l\(d),\(o),\(f)"
        case .take(let d, let o, let f): "t\(d),\(o),\(f)"
        case .put(let o, let f, let s): "P\(o),\(f),\(s)"
        case .setGlobal(let g, let s): "G\(g),\(s)"
        case .clearGlobal(let g): "X\(g)"
        case .loadGlobal(let s, let g): "L\(s),\(g)"
        case .copy(let d, let s): "c\(d),\(s)"
        case .clear(let s): "z\(s)"
        case .send(let c, let s): "s\(c),\(s)"
        case .receive(let c, let s): "r\(c),\(s)"
        case .spawn(let c, let s): "p\(c),\(s)"
        case .yield: "y"
        case .startGC: "C"
        }
    }

    init(code: Substring) throws(PropertyError) {
        guard let letter = code.first else { throw .badToken("empty operation in program") }
        let rest = code.dropFirst()
        var args: [Int] = []
        if !rest.isEmpty {
            for a in rest.split(separator: ",", omittingEmptySubsequences: false) {
                guard let v = Int(a), v >= 0 else { throw .badToken("bad argument '\(a)' in operation '\(code)'") }
                args.append(v)
            }
        }
        func want(_ n: Int) throws(PropertyError) {
            if args.count != n { throw .badToken("operation '\(code)' wants \(n) arguments") }
        }
        switch letter {
        case "a": try want(1); self = .alloc(slot: args[0])
        case "A": try want(2); self = .allocInto(obj: args[0], field: args[1])
        case "w": try want(3); self = .store(obj: args[0], field: args[1], from: args[2])
        case "x": try want(2); self = .clearField(obj: args[0], field: args[1])
        case "l": try want(3); self = .load(slot: args[0], obj: args[1], field: args[2])
        case "t": try want(3); self = .take(slot: args[0], obj: args[1], field: args[2])
        case "P": try want(3); self = .put(obj: args[0], field: args[1], from: args[2])
        case "G": try want(2); self = .setGlobal(global: args[0], from: args[1])
        case "X": try want(1); self = .clearGlobal(global: args[0])
        case "L": try want(2); self = .loadGlobal(slot: args[0], global: args[1])
        case "c": try want(2); self = .copy(slot: args[0], from: args[1])
        case "z": try want(1); self = .clear(slot: args[0])
        case "s": try want(2); self = .send(channel: args[0], from: args[1])
        case "r": try want(2); self = .receive(channel: args[0], slot: args[1])
        case "p": try want(2); self = .spawn(child: args[0], from: args[1])
        case "y": try want(0); self = .yield
        case "C": try want(0); self = .startGC
        default: throw .badToken("unknown operation '\(code)' in program")
        }
    }
}

/// Why a property-testing request could not run (bad input, not a failing property).
public enum PropertyError: Error, Equatable, CustomStringConvertible {
    /// A replay token or program text is malformed; the message names the part.
    case badToken(String)
    /// A campaign report is malformed or does not merge; the message names file and field.
    case badReport(String)
    public var description: String {
        switch self {
        case .badToken(let m): "bad replay token: \(m)"
        case .badReport(let m): m
        }
    }
    /// The message without a prefix.
    public var message: String {
        switch self { case .badToken(let m), .badReport(let m): m }
    }
}
