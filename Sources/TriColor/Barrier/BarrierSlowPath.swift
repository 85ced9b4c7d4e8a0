// A write barrier's slow path of one's own: for a barrier the plan's halves cannot describe
// (a card-marking variant, a barrier conditional on both colours, a counting experiment).
//
// A `BarrierSlowPath` is set in a plan (`BarrierPlan.slowPath`) and runs inside
// WriteBarrier.record after the plan's own halves, before the store, on the writing
// goroutine, only while a concurrent mark runs: the fast path (one relaxed load of the
// enabled flag) is the same for every plan, and a built-in plan's slow path tests one nil.
// It sees the store and a small, safe façade of the heap (`BarrierContext`): colours, the
// fields of an object, and the two ways to keep an object alive, shade (make a white object
// grey) and rescan (queue an object to be scanned again after the store). The context is
// non-copyable and lent for the call, so it cannot outlive the store it describes.
//
// The slow path is not a safe point: it must not allocate, write pointers, yield or block.
// Misuse (a Ref that is not a live object, a field out of range) is reported with a
// message naming the object and the mark cycle, like any other heap misuse (Failure.swift).

import GMP

/// A custom write-barrier slow path (see the essay above).
///
/// A class (compared by identity in `BarrierPlan`'s `==`), called concurrently from every
/// P's mutators: `Sendable`, and any state it keeps must be atomic or locked.
public protocol BarrierSlowPath: AnyObject, Sendable {
    /// Called while marking, before `*slot = store.new`. Shade or rescan whatever the
    /// barrier's safety argument needs; the store happens when this returns.
    func record(_ store: borrowing BarrierContext)
}

/// One pointer store as a custom slow path sees it, and the heap operations it may use.
/// Lent to `BarrierSlowPath.record` for the duration of the call.
public struct BarrierContext: ~Copyable {
    let barrier: WriteBarrier
    let slot: PointerSlot
    let gcw: GCWork
    /// The pointer being written (may be nil).
    public let new: Ref

    init(barrier: WriteBarrier, slot: PointerSlot, new: Ref, gcw: GCWork) {
        self.barrier = barrier
        self.slot = slot
        self.new = new
        self.gcw = gcw
    }

    private var heap: Heap { barrier.engine.heap }

    /// The pointer being overwritten, *slot (may be nil).
    public var old: Ref { slot.load() }

    /// The object whose field is being written, or nil for a global or a runtime root.
    public var source: Ref? { barrier.sourceObject(of: slot) }

    /// Whether the writing goroutine's stack has been scanned this cycle (is black). A
    /// store from outside a goroutine counts as from a black stack.
    public var isStackBlack: Bool {
        guard let g = Goroutine.current else { return true }
        return barrier.engine.isStackBlack(g)
    }

    /// Makes `r` grey if it is white (buffered, like every shade of the barrier: it is done
    /// before marking can end). Nil is ignored.
    public func shade(_ r: Ref) {
        if !r.isNil { gcw.wbuf.append(r) }
    }

    /// Queues live object `r` to be scanned (again) by this P after the store: a black object
    /// turns grey, a white one is shaded (Steele's re-grey; `BarrierPlan.regreySource`).
    public func rescan(_ r: Ref) {
        if let m = heap.validate(r) { heapMisuse("mark cycle \(heap.cycle): a barrier slow path rescanned a bad Ref: \(m)") }
        barrier.engine.rescan(r, into: gcw)
    }

    /// The colour of live object `r` now (see ObjectColor; a pointer in a write-barrier
    /// buffer is shaded when the buffer is flushed, so it may still read white).
    public func color(of r: Ref) -> ObjectColor { heap.color(of: r) }

    /// Whether live object `r` is marked (grey or black).
    public func isMarked(_ r: Ref) -> Bool { heap.isMarked(r) }

    /// The number of pointer fields of live object `r`.
    public func pointerFieldCount(of r: Ref) -> Int {
        if let m = heap.validate(r) { heapMisuse("mark cycle \(heap.cycle): a barrier slow path asked the fields of a bad Ref: \(m)") }
        return heap.pointerFieldCount(of: r)
    }

    /// Pointer field `field` of live object `r` (a relaxed load: another goroutine may be
    /// writing it).
    public func field(_ r: Ref, _ field: Int) -> Ref {
        if let m = heap.validateField(r, field: field) {
            heapMisuse("mark cycle \(heap.cycle): a barrier slow path read field \(field) of \(r): \(m)")
        }
        return heap.fieldSlot(r, field).load()
    }
}
