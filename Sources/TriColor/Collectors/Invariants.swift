// Tri-colour invariant checks (check level full).
//
//   Strong invariant (Dijkstra): no black object points to a white object.
//   Weak invariant (Yuasa, hybrid): every white object pointed to by a black object is
//   reachable from a grey object through a chain of white objects. For the hybrid barrier
//   the protecting grey object must be a heap object (a grey stack is not enough: it may
//   be scanned later but its goroutine can drop the pointer first).
//
// Checked after every write barrier and every scan step while marking, by walking the
// whole heap: O(heap) per step, meant for the small heaps of deterministic tests. A
// violation stops the run with a report naming the edge, the colours, the goroutine, the
// phase and the step. Buffered barrier entries count as grey (at level full the buffer is
// flushed on every barrier, so there are none).

import CContext
import GMP

extension ConcurrentCollector {
    enum Invariant { case strong, weak, none }

    var invariant: Invariant {
        switch kind {
        case .insertion: .strong
        case .deletion, .hybrid: .weak
        default: .none  // ablations: checkmark shows the damage
        }
    }

    func checkInvariants(after what: String) {
        guard phase.load(ordering: .relaxed) != 0, invariant != .none else { return }
        // Pass 1: every black -> white edge. Usually there are none, and then neither
        // invariant can be violated: no grey set or reachability is needed.
        var edges: [(from: Ref, field: Int, to: Ref)] = []
        heap.forEachObject { b in
            guard heap.color(of: b) == .black else { return }
            forEachField(b) { f, v in
                if heap.color(of: v) == .white { edges.append((b, f, v)) }
            }
        }
        if edges.isEmpty { return }
        func report(_ kind: String, _ from: Ref, _ field: Int, _ to: Ref) -> Never {
            gcFailure("\(kind) tri-colour invariant violated: black \(heap.describe(from)).field \(field) -> "
                + "white \(heap.describe(to)); goroutine \(tc_tls_goid()), phase \(phaseName), "
                + "step \(steps.load(ordering: .relaxed)) (after \(what)), collector \(self.kind), GC cycle \(heap.cycle)")
        }
        if invariant == .strong {
            let e = edges[0]
            report("strong", e.from, e.field, e.to)
        }
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
        for e in edges where !protected.contains(e.to.offset) { report("weak", e.from, e.field, e.to) }
    }

    /// Calls `body` with each non-nil pointer field of `r`, read without checked-mode
    /// validation (the checker walks objects the heap itself enumerated).
    @inline(__always)
    private func forEachField(_ r: Ref, _ body: (Int, Ref) -> Void) {
        let n = ObjectHeader.pointerFields(heap.header(r))
        let fields = (heap.arena + Int(truncatingIfNeeded: r.offset) + ObjectHeader.size).assumingMemoryBound(to: UInt.self)
        for f in 0..<n {
            let v = tc_load_relaxed(fields + f)
            if v != 0 { body(f, Ref(offset: UInt64(v))) }
        }
    }

}
