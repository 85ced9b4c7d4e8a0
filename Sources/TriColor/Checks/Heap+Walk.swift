// Whole-heap walks for the checks: every allocated object, and the floating garbage a
// finished mark left. World stopped only; O(heap).

extension Heap {
    /// Calls `body` for every allocated object (allocated bit, or allocated since the last
    /// sweep) of every in-use span. World stopped only (invariant checks, tests).
    func forEachObject(_ body: (Ref) -> Void) {
        _ = pageHeap.forEachSpan { s in
            guard s.pointee.state == .inUse else { return }
            let n = s.pointee.nelems
            for i in 0..<n where !s.pointee.isFree(i) {
                let off = s.pointee.base + UInt64(i) * s.pointee.elemSize
                let hdr = (arena + Int(off)).load(as: UInt64.self)
                if hdr != 0 && !ObjectHeader.isFreed(hdr) {
                    body(Ref(offset: off, generation: ObjectHeader.generation(hdr)))
                }
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
                bytes += objectSize(hdr)
            }
        }
        return bytes
    }
}
