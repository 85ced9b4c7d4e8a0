// Weak references (Go's weak.Pointer, Go 1.24; runtime/mheap.go's weak handles).
//
// A weak reference names an object without keeping it alive. Its target sits in a word of
// the runtime's weak table, which is not a root: marking never traces it. At mark
// termination, with the world stopped and nothing grey, every weak word whose target is
// unmarked is cleared (before finalizers resurrect anything, as Go clears weak pointers
// before it queues finalizers), so `strong(_:)` returns nil from then on and a cleared
// word never names freed memory: the sweep that frees the target comes after.
//
// The invariant each collector needs: a weak load copies a pointer from a non-root onto a
// stack with no barrier, so while marking it must shade the target (Go's
// makeStrongFromWeak shades when gcphase != _GCoff).
//   - deletion (Yuasa) and hybrid keep a snapshot: an object reachable only weakly when
//     marking began is white and stays white unless shaded. A goroutine whose stack is
//     already black that weak-loads it and stores it in a slot or into a black object
//     (hybrid shades the new pointer only from a grey stack) would hide it: mark
//     termination clears the weak word and the sweep frees an object the goroutine still
//     uses. Shading at the load puts it in the snapshot.
//   - insertion (Dijkstra) re-scans every stack at mark termination, which would find it;
//     the shade costs it nothing and keeps one rule for all.
//   - markSweep marks with the world stopped: no weak load happens while marking.
// The shade goes through the plan's `shadeMovedPointers` (BarrierPlan), the rule for every
// pointer moved onto a stack without a barrier, so an ablation can turn it off and a test
// can show what breaks.

import GMP

/// A weak reference to a heap object (Go's `weak.Pointer`): `TriColorRuntime.strong(_:)`
/// gives the object while it is reachable, nil once a collection found it unreachable.
public struct WeakRef: Hashable, Sendable {
    /// Index in the runtime's weak table.
    let index: Int
}

/// The runtime's weak words. Not roots.
final class WeakTable: @unchecked Sendable {
    private let lock = RuntimeLock()
    /// Target Ref bits per weak reference; 0 once cleared. Protected by `lock`.
    private var words: [UInt64] = []

    func make(_ r: Ref) -> WeakRef {
        lock.withLock {
            words.append(r.bits)
            return WeakRef(index: words.count - 1)
        }
    }

    func load(_ w: WeakRef) -> Ref {
        lock.withLock { Ref(offset: words[w.index]) }
    }

    func isValid(_ w: WeakRef) -> Bool { lock.withLock { w.index >= 0 && w.index < words.count } }

    /// Clears every word whose target is unmarked. World stopped, mark complete.
    /// - Complexity: O(weak references).
    func clearUnmarked(_ heap: Heap) {
        lock.withLock {
            for i in words.indices where words[i] != 0 && !heap.isMarked(Ref(offset: words[i])) {
                words[i] = 0
            }
        }
    }
}

extension TriColorRuntime {
    /// Makes a weak reference to `ref` (Go's `weak.Make`). Not a safe point.
    /// - Precondition: `ref` is not nil (checked mode: a live object), else a misuse.
    public func makeWeak(_ ref: Ref) -> WeakRef {
        if ref.isNil { heapMisuse("makeWeak: nil Ref") }
        if heap.checked, let m = heap.validate(ref) { heapMisuse("makeWeak: \(m)") }
        return weakRefs.make(ref)
    }

    /// The target of `weak` if it is still reachable, nil once a collection found it
    /// unreachable (Go's `weak.Pointer.Value`). Not a safe point: like any Ref in a Swift
    /// local the result must go into a slot or a reachable object before the next safe
    /// point. While marking, the target is shaded (see the file comment).
    public func strong(_ weak: WeakRef) -> Ref {
        if !weakRefs.isValid(weak) { heapMisuse("strong: WeakRef \(weak.index) was not made by this runtime") }
        let r = weakRefs.load(weak)
        if !r.isNil && marking.load(ordering: .relaxed) { concurrent?.pointersMoved([r]) }
        return r
    }
}
