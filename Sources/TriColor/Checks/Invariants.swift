// Tri-colour invariant checks (check level full).
//
//   Strong invariant (Dijkstra): no black object points to a white object.
//   Weak invariant (Yuasa, hybrid): every white object pointed to by a black object is
//   reachable from a grey object through a chain of white objects. For the hybrid barrier
//   the protecting grey object must be a heap object (a grey stack is not enough: it may
//   be scanned later but its goroutine can drop the pointer first).
//
// Which one a collector keeps is part of its plan (BarrierPlan.invariant). Checked after
// every write barrier and every scan step while marking, by walking the whole heap:
// O(heap) per step, meant for the small heaps of deterministic tests. A violation stops the
// run with a report naming the edge, the colours, the goroutine, the phase and the step.
// Buffered barrier entries count as grey (at level full the buffer is flushed on every
// barrier, so there are none).

import CContext
import GMP

/// Checks one collector's invariant against the heap.
///
/// `@unchecked Sendable`: immutable after init but for `pendingFailure`; it reads the heap
/// with the world stopped, or at check level full, where only one goroutine runs at a time
/// — which is also what protects `pendingFailure`.
final class InvariantChecker: @unchecked Sendable {
    let heap: Heap
    let engine: MarkEngine
    let invariant: BarrierPlan.Invariant
    let collector: CollectorKind
    /// A violation found while on the system stack, raised by `raisePendingFailure()`.
    private var pendingFailure: String?

    init(heap: Heap, engine: MarkEngine, invariant: BarrierPlan.Invariant, collector: CollectorKind) {
        self.heap = heap
        self.engine = engine
        self.invariant = invariant
        self.collector = collector
    }

    /// The check after a barrier runs before the store itself: check the state the store
    /// will create, the slot's owner pointing to `new`.
    func checkBeforeStore(_ slot: PointerSlot, _ new: Ref) {
        let old = slot.load()
        slot.store(new)
        defer { slot.store(old) }
        check(after: "write barrier storing \(new.isNil ? "nil" : heap.describe(new))")
    }

    /// Checks the invariant now. The heap walk runs on the system stack (it is far deeper
    /// than a small goroutine stack allows); a violation panics the goroutine, or, when the
    /// caller is itself on the system stack (mark termination), is kept for
    /// `raisePendingFailure()` — a goroutine cannot panic from the system stack.
    func check(after what: @autoclosure () -> String) {
        guard pendingFailure == nil, engine.phase.load(ordering: .relaxed) != .off, invariant != .none else { return }
        heap.accessObserver?.heapChecked()
        var failure: String? = nil
        Goroutine.onSystemStack { () -> Void in
            guard let e = violation(of: invariant) else { return }
            failure = "\(e.kind) tri-colour invariant violated: black \(heap.describe(e.from)).field \(e.field) -> "
                + "white \(heap.describe(e.to)); goroutine \(tc_tls_goid()), phase \(engine.phase.load(ordering: .relaxed)), "
                + "step \(engine.steps.load(ordering: .relaxed)) (after \(what())), collector \(collector), GC cycle \(heap.cycle)"
        }
        guard let failure else { return }
        if Goroutine.isOnSystemStack { pendingFailure = failure } else { gcFailure(failure) }
    }

    /// Panics with a violation `check(after:)` found on the system stack, if any.
    func raisePendingFailure() {
        guard let failure = pendingFailure else { return }
        pendingFailure = nil
        gcFailure(failure)
    }

    /// The first edge that breaks `invariant` in the heap as it is (nil: it holds), with
    /// the invariant's name ("strong" or "weak"). Reports, never stops: `check` stops the
    /// run with it, the teaching view shows it.
    func violation(of invariant: BarrierPlan.Invariant) -> (kind: String, from: Ref, field: Int, to: Ref)? {
        if invariant == .none { return nil }
        // Pass 1: every black -> white edge. Usually there are none, and then neither
        // invariant can be violated: no grey set or reachability is needed.
        var edges: [(from: Ref, field: Int, to: Ref)] = []
        heap.forEachObject { b in
            guard heap.color(of: b) == .black else { return }
            forEachField(b) { f, v in
                if heap.color(of: v) == .white { edges.append((b, f, v)) }
            }
        }
        guard let first = edges.first else { return nil }
        if invariant == .strong { return ("strong", first.from, first.field, first.to) }
        // Weak: white objects reachable from grey heap objects through white objects.
        var protected = Set<UInt64>()
        var stack: [Ref] = []
        heap.forEachObject { g in
            guard heap.color(of: g) == .grey else { return }
            forEachField(g) { _, v in
                if heap.color(of: v) == .white && protected.insert(v.offset).inserted { stack.append(v) }
            }
        }
        while let w = stack.popLast() {
            forEachField(w) { _, v in
                if heap.color(of: v) == .white && protected.insert(v.offset).inserted { stack.append(v) }
            }
        }
        if let e = edges.first(where: { !protected.contains($0.to.offset) }) { return ("weak", e.from, e.field, e.to) }
        return nil
    }

    /// Calls `body` with each non-nil pointer field of `r`, read without checked-mode
    /// validation (the checker walks objects the heap itself enumerated).
    @inline(__always)
    private func forEachField(_ r: Ref, _ body: (Int, Ref) -> Void) {
        let n = ObjectHeader.pointerFields(heap.header(r))
        for f in 0..<n {
            let v = heap.fieldSlot(r, f).load()
            if !v.isNil { body(f, v) }
        }
    }
}
