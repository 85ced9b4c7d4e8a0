// The operation trace of a run: what each goroutine did and what colour things were.
//
// Objects get stable names for the report: the initial heap's objects are o0, o1, ...
// (named by main as it allocates them), objects the program allocates are n0, n1, ... in
// allocation order. A line per operation, written right after the operation:
//
//     g1 #4  s0.f1 = s2        [mark c1 stack:black]  s0=o2:black s1=nil s2=n0:white  G0=o1:grey G1=nil
//
// The phase part says whether a mark is running, the cycle number and, while marking,
// whether this goroutine's stack has been scanned yet (black) or not (grey).
// Colours are read straight from the mark bits and work queues (Heap.color), so grey means
// "marked and queued", and an object shown white while marking is one the marker has not
// reached yet. Disabled traces cost one branch per operation.

import TriColor
import GMP

final class OperationTrace: @unchecked Sendable {
    let enabled: Bool
    private(set) var lines: [String] = []
    private(set) var names: [UInt64: String] = [:]
    private var nextNew = 0
    /// One picture per operation, for the teaching page (OperationTrace+Frame.swift).
    var frames: [ScenarioFrame] = []
    /// Program goroutine names ("g1") by goroutine id, for the page's stack lanes.
    var goroutineNames: [Int64: String] = [:]
    /// Whether the pictures report the invariants (only at check level full, where the
    /// barrier buffers are flushed at every barrier, so reading them changes nothing).
    var showInvariants = false

    init(enabled: Bool) { self.enabled = enabled }

    func name(_ r: Ref, _ n: String) {
        if enabled { names[r.offset] = n }
    }

    func newObject(_ r: Ref) {
        guard enabled else { return }
        names[r.offset] = "n\(nextNew)"
        nextNew += 1
    }

    /// The object's name (or its address if unnamed).
    func label(_ r: Ref) -> String {
        if r.isNil { return "nil" }
        return names[r.offset] ?? "\(r)"
    }

    private func describe(_ rt: TriColorRuntime, _ r: Ref) -> String {
        if r.isNil { return "nil" }
        if rt.heap.validate(r) != nil { return label(r) + ":FREED" }
        return label(r) + ":" + "\(rt.heap.color(of: r))"
    }

    private func phase(_ rt: TriColorRuntime) -> String {
        (rt.isMarking ? "mark" : "idle") + " c\(rt.heap.cycle)"
    }

    func op(_ rt: TriColorRuntime, _ g: String, _ j: Int, _ op: MutatorOp, _ slots: [StackSlot]) {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s.padding(toLength: n, withPad: " ", startingAt: 0) }
        let head = pad("\(g) #\(j)", 7) + " " + pad(op.listing, 16)
        let held = slots.enumerated().map { "s\($0)=" + describe(rt, rt[$1]) }.joined(separator: " ")
        let globals = (0..<MutatorProgram.globals).map { "G\($0)=" + describe(rt, rt.global($0)) }.joined(separator: " ")
        // The goroutine's own stack colour while marking: grey until its stack is scanned.
        let stack = rt.isMarking ? (Goroutine.current.map { g in rt.concurrentCollector?.isStackBlack(g) ?? false } ?? false ? " stack:black" : " stack:grey") : ""
        lines.append(head + " [\(phase(rt))\(stack)]  " + held + "  " + globals)
    }

    func event(_ rt: TriColorRuntime, _ what: String) {
        if enabled { lines.append("\(what) [\(phase(rt))]") }
    }
}
