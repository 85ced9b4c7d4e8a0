// Mutator programs: the values that property tests generate, run, shrink and print.
//
// A program is a small, closed world: an initial heap of `Node` objects (each with
// `MutatorProgram.fields` pointer fields), a few global roots, and several goroutines, each
// a straight-line list of operations over its own `MutatorProgram.slots` stack slots.
// Operations name slots, fields, globals and channels by small integers, never by Ref, so
// a program is a plain value: it can be compared, serialised into a replay token, shrunk
// (drop an operation, a goroutine, an object) and printed as Swift that pastes into a test.
//
// The Ref-validity rule (TriColorRuntime+Mutator.swift) is kept by construction: every
// operation reads the Refs it needs from slots or globals after its last safe point and
// writes its result straight back into a slot, a global or a field; no Ref lives in a Swift
// local across a safe point. An operation whose object slot holds nil does nothing (so any
// subsequence of a well-formed program is still well-formed, which shrinking relies on).
//
// Goroutines. The first goroutines (`spawned == false`) are started by the program's main
// goroutine once the initial heap is built, carrying their initial slots. A goroutine with
// `spawned == true` starts only when some goroutine executes `.spawn(child:from:)` naming
// it, carrying that slot in its slot 0 (its other slots start nil). Channels. Channel `c`
// is a `RefChannel` whose capacity is large enough for every send of the program, so sends
// never block; generated programs receive only messages that are sent by goroutines that
// cannot themselves wait on the receiver, so they never deadlock. A shrunk candidate that
// does deadlock is simply not a counterexample.

import TriColor

/// One operation of a generated mutator goroutine. `s[i]` is the goroutine's slot `i`,
/// `G[g]` global `g`, and `x.f` pointer field `f` of the object `x`.
public enum MutatorOp: Hashable, Sendable {
    /// `s[slot] = new Node` (an allocation: a safe point before the object exists).
    case alloc(slot: Int)
    /// `s[obj].field = new Node` (nothing is stored if `s[obj]` is nil).
    case allocInto(obj: Int, field: Int)
    /// `s[obj].field = s[from]` through the write barrier.
    case store(obj: Int, field: Int, from: Int)
    /// `s[obj].field = nil` through the write barrier.
    case clearField(obj: Int, field: Int)
    /// `s[slot] = s[obj].field` (nil if `s[obj]` is nil). A stack write: no barrier.
    case load(slot: Int, obj: Int, field: Int)
    /// `s[slot] = s[obj].field; s[obj].field = nil` with no safe point between: the pointer
    /// moves from the heap to the stack in one step (Go's `x, p.f = p.f, nil`).
    case take(slot: Int, obj: Int, field: Int)
    /// `s[obj].field = s[from]; s[from] = nil` with no safe point between: the pointer moves
    /// from the stack to the heap in one step.
    case put(obj: Int, field: Int, from: Int)
    /// `G[global] = s[from]` through the write barrier.
    case setGlobal(global: Int, from: Int)
    /// `G[global] = nil` through the write barrier.
    case clearGlobal(global: Int)
    /// `s[slot] = G[global]`.
    case loadGlobal(slot: Int, global: Int)
    /// `s[slot] = s[from]`.
    case copy(slot: Int, from: Int)
    /// `s[slot] = nil`.
    case clear(slot: Int)
    /// Sends `s[from]` on channel `channel` (never blocks in a generated program).
    case send(channel: Int, from: Int)
    /// Receives from channel `channel` into `s[slot]` (parks until a message is there).
    case receive(channel: Int, slot: Int)
    /// `go(carrying: [s[from]])` starting goroutine `child` (which must be `spawned` and come
    /// after the spawning goroutine in `threads`, so spawning cannot loop).
    case spawn(child: Int, from: Int)
    /// `Goroutine.yield()`.
    case yield
    /// `startCollection()`: starts a background GC cycle (no-op if one is running).
    case startGC
}

/// The initial heap and the goroutines of a mutator program. See the essay above.
public struct MutatorProgram: Hashable, Sendable {
    /// Stack slots per goroutine.
    public static let slots = 3
    /// Pointer fields per heap object.
    public static let fields = 2
    /// Global roots a program may use.
    public static let globals = 2

    /// One goroutine: its initial slots (object indices of the initial heap, or nil; for a
    /// spawned goroutine slot 0 is the carried Ref and these are ignored) and its operations.
    public struct Thread: Hashable, Sendable {
        public var spawned: Bool
        public var slots: [Int?]
        public var ops: [MutatorOp]
        public init(spawned: Bool = false, slots: [Int?] = [nil, nil, nil], ops: [MutatorOp]) {
            self.spawned = spawned
            self.slots = slots + Array(repeating: nil, count: max(0, MutatorProgram.slots - slots.count))
            self.ops = ops
        }
    }

    /// `heap[i][f]`: the initial object that field `f` of initial object `i` points to.
    public var heap: [[Int?]]
    /// `globals[g]`: the initial object global `g` points to.
    public var globals: [Int?]
    /// Whether main starts a background cycle right after starting the goroutines.
    public var gcAtStart: Bool
    public var threads: [Thread]

    public init(heap: [[Int?]], globals: [Int?], gcAtStart: Bool = false, threads: [Thread]) {
        self.heap = heap.map { $0 + Array(repeating: nil, count: max(0, MutatorProgram.fields - $0.count)) }
        self.globals = globals + Array(repeating: nil, count: max(0, MutatorProgram.globals - globals.count))
        self.gcAtStart = gcAtStart
        self.threads = threads
    }

    /// Operations over all goroutines (what shrinking minimises).
    public var operationCount: Int { threads.reduce(0) { $0 + $1.ops.count } }

    /// One more than the largest channel index used (channels the runner creates).
    public var channelCount: Int {
        var n = 0
        for t in threads {
            for op in t.ops {
                switch op {
                case .send(let c, _), .receive(let c, _): n = max(n, c + 1)
                default: break
                }
            }
        }
        return n
    }

    /// Sends in the whole program (the runner sizes every channel for all of them).
    public var sendCount: Int {
        threads.reduce(0) { n, t in n + t.ops.filter { if case .send = $0 { true } else { false } }.count }
    }

    /// Checks the indices of every operation and initial reference. Returns a message naming
    /// the first problem, or nil. The runner refuses programs that fail this check.
    public func validationError() -> String? {
        func obj(_ i: Int?) -> Bool { i.map { $0 >= 0 && $0 < heap.count } ?? true }
        for (i, fs) in heap.enumerated() {
            if fs.count != Self.fields { return "object o\(i) has \(fs.count) fields, want \(Self.fields)" }
            for f in fs where !obj(f) { return "object o\(i) points to missing object o\(f!)" }
        }
        if globals.count != Self.globals { return "\(globals.count) globals, want \(Self.globals)" }
        for g in globals where !obj(g) { return "a global points to missing object o\(g!)" }
        let slot = 0..<Self.slots, field = 0..<Self.fields, global = 0..<Self.globals
        for (k, t) in threads.enumerated() {
            if t.slots.count != Self.slots { return "goroutine g\(k) has \(t.slots.count) slots, want \(Self.slots)" }
            for s in t.slots where !obj(s) { return "goroutine g\(k) starts with missing object o\(s!)" }
            for (j, op) in t.ops.enumerated() {
                let ok: Bool
                switch op {
                case .alloc(let s), .clear(let s): ok = slot.contains(s)
                case .allocInto(let o, let f), .clearField(let o, let f): ok = slot.contains(o) && field.contains(f)
                case .store(let o, let f, let s): ok = slot.contains(o) && field.contains(f) && slot.contains(s)
                case .load(let d, let o, let f), .take(let d, let o, let f):
                    ok = slot.contains(d) && slot.contains(o) && field.contains(f)
                case .put(let o, let f, let s): ok = slot.contains(o) && field.contains(f) && slot.contains(s)
                case .setGlobal(let g, let s), .loadGlobal(let s, let g): ok = global.contains(g) && slot.contains(s)
                case .clearGlobal(let g): ok = global.contains(g)
                case .copy(let d, let s): ok = slot.contains(d) && slot.contains(s)
                case .send(let c, let s), .receive(let c, let s): ok = c >= 0 && slot.contains(s)
                case .spawn(let c, let s):
                    ok = slot.contains(s) && c > k && c < threads.count && threads[c].spawned
                case .yield, .startGC: ok = true
                }
                if !ok { return "goroutine g\(k) operation \(j) (\(op.listing)) has an index out of range" }
            }
        }
        return nil
    }
}
