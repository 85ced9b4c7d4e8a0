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
        var black: [Ref] = [], grey: [Ref] = []
        heap.forEachObject { r in
            switch heap.color(of: r) {
            case .black: black.append(r)
            case .grey: grey.append(r)
            case .white: break
            }
        }
        func report(_ kind: String, _ from: Ref, _ field: Int, _ to: Ref) -> Never {
            gcFailure("\(kind) tri-colour invariant violated: black \(heap.describe(from)).field \(field) -> "
                + "white \(heap.describe(to)); goroutine \(tc_tls_goid()), phase \(phaseName), "
                + "step \(steps.load(ordering: .relaxed)) (after \(what)), collector \(self.kind), GC cycle \(heap.cycle)")
        }
        switch invariant {
        case .strong:
            for b in black {
                for f in 0..<heap.pointerFieldCount(of: b) {
                    let v = heap.loadPointer(b, field: f)
                    if !v.isNil && heap.color(of: v) == .white { report("strong", b, f, v) }
                }
            }
        case .weak:
            // White objects reachable from grey heap objects through white objects.
            var protected = Set<UInt64>()
            var stack: [Ref] = []
            for g in grey {
                for f in 0..<heap.pointerFieldCount(of: g) {
                    let v = heap.loadPointer(g, field: f)
                    if !v.isNil && heap.color(of: v) == .white && protected.insert(v.offset).inserted { stack.append(v) }
                }
            }
            while let w = stack.popLast() {
                for f in 0..<heap.pointerFieldCount(of: w) {
                    let v = heap.loadPointer(w, field: f)
                    if !v.isNil && heap.color(of: v) == .white && protected.insert(v.offset).inserted { stack.append(v) }
                }
            }
            for b in black {
                for f in 0..<heap.pointerFieldCount(of: b) {
                    let v = heap.loadPointer(b, field: f)
                    if !v.isNil && heap.color(of: v) == .white && !protected.contains(v.offset) { report("weak", b, f, v) }
                }
            }
        case .none:
            break
        }
    }
}
