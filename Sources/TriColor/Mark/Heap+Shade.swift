// Concurrent marking primitives: shade and scan, safe to call from several threads at
// once and while mutators run.
//
// Colours in code (defined once): a white object has a clear mark bit. A grey object has
// its mark bit set and sits on a work queue (its grey bit is set). A black object has its
// mark bit set and is not on a work queue: it has been, or is being, scanned. Setting the
// mark bit is an atomic fetch-or, so exactly one shader wins the right to enqueue an
// object. Fields are read with relaxed atomic loads: a concurrent mutator store either
// happened before the load (and the marker sees the new pointer) or after it (and the write
// barrier reported what the marker could miss).

import CContext

extension Heap {
    /// shade(r): if `r` is a white object, makes it grey and returns true (the caller must
    /// put it on a work queue). Nil and already-marked objects return false.
    @inline(__always)
    func shade(_ r: Ref) -> Bool {
        if r.isNil { return false }
        guard let s = spanOf(r.offset) else {
            heapInvariantFailure("shade: \(r) is not an object in an in-use span (GC cycle \(cycle))")
        }
        let i = s.pointee.objectIndex(r.offset)
        if s.pointee.setMarked(i) {
            s.pointee.setGrey(i)
            return true
        }
        return false
    }

    /// Marks a newly allocated object black (allocate-black): mark bit set, never queued,
    /// never scanned (its fields are nil).
    @inline(__always)
    func markAllocatedBlack(_ r: Ref) {
        guard let s = spanOf(r.offset) else { return }
        _ = s.pointee.setMarked(s.pointee.objectIndex(r.offset))
    }

    /// Scans a grey object: clears its grey bit (it becomes black) and calls `body` with
    /// every non-nil pointer field. Returns the object's size in bytes.
    @inline(__always)
    func blacken(_ r: Ref, _ body: (Ref) -> Void) -> Int {
        guard let s = spanOf(r.offset) else {
            heapInvariantFailure("blacken: grey object \(r) is not in an in-use span (GC cycle \(cycle))")
        }
        s.pointee.clearGrey(s.pointee.objectIndex(r.offset))
        let base = arena + Int(truncatingIfNeeded: r.offset)
        let word = tc_load_relaxed(base.assumingMemoryBound(to: UInt.self))
        let n = ObjectHeader.pointerFields(UInt64(word))
        let fields = (base + ObjectHeader.size).assumingMemoryBound(to: UInt.self)
        for f in 0..<n {
            let v = tc_load_relaxed(fields + f)
            if v != 0 { body(Ref(offset: UInt64(v))) }
        }
        return typeDescriptors[Int(ObjectHeader.typeID(UInt64(word)))].size
    }

    /// Calls `body` for every allocated object (allocated bit, or allocated since the last
    /// sweep) of every in-use span. World stopped only (invariant checks, tests).
    func forEachObject(_ body: (Ref) -> Void) {
        _ = pageHeap.forEachSpan { s in
            guard s.pointee.state == .inUse else { return }
            let n = s.pointee.nelems
            for i in 0..<n where !s.pointee.isFree(i) {
                let off = s.pointee.base + UInt64(i) * s.pointee.elemSize
                let hdr = (arena + Int(off)).load(as: UInt64.self)
                if hdr != 0 && !ObjectHeader.isFreed(hdr) { body(Ref(offset: off)) }
            }
        }
    }

    /// After `checkmark(roots:)` has set the checkmark bits of everything reachable: the
    /// bytes of objects that carry a mark bit but no checkmark bit, i.e. objects the cycle
    /// kept that were already garbage at its end (floating garbage). World stopped.
    func markedButUnreachableBytes() -> Int {
        var bytes = 0
        _ = pageHeap.forEachSpan { s in
            guard s.pointee.state == .inUse else { return }
            for i in 0..<s.pointee.nelems where s.pointee.isMarked(i) && !s.pointee.isCheckmarked(i) {
                let off = s.pointee.base + UInt64(i) * s.pointee.elemSize
                let hdr = (arena + Int(off)).load(as: UInt64.self)
                bytes += typeDescriptors[Int(ObjectHeader.typeID(hdr))].size
            }
        }
        return bytes
    }
}
