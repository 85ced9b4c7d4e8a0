// Weak references (Go's weak.Pointer, Go 1.24; runtime/mheap.go's weak handles).
//
// A weak reference names an object without keeping it alive. Its target sits in an entry
// of the runtime's weak table, which is not a root: marking never traces it. At mark
// termination, with the world stopped and nothing grey, every entry whose target is
// unmarked is cleared (before finalizers are queued, as Go clears a weak pointer once its
// object's finalizer is queued), so `strong(_:)` returns nil from then on and a cleared
// entry never names freed memory: the sweep that frees the target comes after. (Go clears
// the handle when the sweeper frees the object, and makeStrongFromWeak first makes sure
// the object's span is swept; clearing in the pause we already hold needs neither.)
//
// Entries and their lifetime, as Go's specials. In Go 1.24, weak.Make(p) finds or adds a
// special record on p's span holding one 8-byte handle (an indirection cell in the heap);
// every weak.Pointer to p shares it (weak.Make(p) == weak.Make(p)); the special lives
// exactly as long as p (markrootSpans keeps the handle alive meanwhile) and is freed with
// p, after which the handle reads nil and is itself collected once no weak.Pointer holds
// it. Ours:
//   - one entry per target: `makeWeak` of an object that has an entry returns the same
//     WeakRef (a map from the target's address to its entry), so the table never holds
//     more entries than there are live objects that were ever weakly referenced;
//   - the entry lives with its target: clearing it at mark termination frees it for reuse
//     at once (a free list), whether or not WeakRefs naming it are still held;
//   - the handle's own lifetime is the WeakRef value (a Swift value, not a heap object,
//     so nothing can trace it): it carries the entry's generation, which a freed entry
//     bumps, so a WeakRef whose entry was freed and reused reads nil, as Go's handle
//     reads nil once its object is gone; it never sees the entry's new target.
// A program that makes and drops weak references to short-lived objects therefore keeps
// the table at the number of such objects alive at once (WeakRefTests: 100,000 made and
// dropped, a collection every 2,000, end with a table of 2,001 entries under each
// collector). What we simplified: an entry whose target stays alive stays too, even if no
// WeakRef to it is held (as Go's special stays with its object); it is one table entry,
// freed with the object.
//
// The invariant each collector needs: a weak load copies a pointer from a non-root onto a
// stack with no barrier, so while marking it must shade the target (Go's
// makeStrongFromWeak shades when gcphase != _GCoff).
//   - deletion (Yuasa) and hybrid keep a snapshot: an object reachable only weakly when
//     marking began is white and stays white unless shaded. A goroutine whose stack is
//     already black that weak-loads it and stores it in a slot or into a black object
//     (hybrid shades the new pointer only from a grey stack) would hide it: mark
//     termination clears the weak entry and the sweep frees an object the goroutine still
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
/// Two weak references to the same object are equal (Go's `weak.Make(p) == weak.Make(p)`).
public struct WeakRef: Hashable, Sendable {
    /// Index in the runtime's weak table.
    let index: Int
    /// The entry's generation when this reference was made: a later one means the target
    /// was cleared and the entry reused.
    let generation: UInt64
}

/// The runtime's weak entries (see the file comment). Not roots.
final class WeakTable: @unchecked Sendable {
    private struct Entry {
        /// The target's Ref bits; 0 while the entry is free.
        var target: UInt64
        /// Bumped each time the entry is freed.
        var generation: UInt64
    }
    private let lock = RuntimeLock()
    /// The entries. Protected by `lock`.
    private var entries: [Entry] = []
    /// Indexes of free entries. Protected by `lock`.
    private var free: [Int] = []
    /// The entry of each target, by address. Protected by `lock`.
    private var byTarget: [UInt64: Int] = [:]

    func make(_ r: Ref) -> WeakRef {
        lock.withLock {
            if let i = byTarget[r.offset] { return WeakRef(index: i, generation: entries[i].generation) }
            let i: Int
            if let f = free.popLast() {
                i = f
                entries[i].target = r.bits
            } else {
                i = entries.count
                entries.append(Entry(target: r.bits, generation: 0))
            }
            byTarget[r.offset] = i
            return WeakRef(index: i, generation: entries[i].generation)
        }
    }

    /// The target, or nil once cleared; nil too for a WeakRef this table did not make.
    func load(_ w: WeakRef) -> Ref? {
        lock.withLock {
            guard w.index >= 0 && w.index < entries.count, w.generation <= entries[w.index].generation else { return nil }
            return w.generation == entries[w.index].generation ? Ref(offset: entries[w.index].target) : Ref.nil
        }
    }

    /// Entries in the table, used or free (its size; tests).
    var capacity: Int { lock.withLock { entries.count } }
    /// Entries naming a target now (tests).
    var inUse: Int { lock.withLock { byTarget.count } }

    /// Clears and frees every entry whose target is unmarked. World stopped, mark complete.
    /// - Complexity: O(entries in use).
    func clearUnmarked(_ heap: Heap) {
        lock.withLock {
            for (offset, i) in byTarget where !heap.isMarked(Ref(offset: offset)) {
                byTarget[offset] = nil
                entries[i].target = 0
                entries[i].generation += 1
                free.append(i)
            }
        }
    }
}

extension TriColorRuntime {
    /// Makes a weak reference to `ref` (Go's `weak.Make`); the same one for the same
    /// object. Not a safe point.
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
        guard let r = weakRefs.load(weak) else {
            heapMisuse("strong: WeakRef \(weak.index) was not made by this runtime")
        }
        if !r.isNil && marking.load(ordering: .relaxed) { concurrent?.pointersMoved([r]) }
        return r
    }
}
