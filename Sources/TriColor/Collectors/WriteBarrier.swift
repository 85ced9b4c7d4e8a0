// The write barrier (Go's gcWriteBarrier + wbBuf, mbarrier.go / mwbbuf.go).
//
// Every pointer store to a heap field or a global goes through TriColorRuntime.store /
// setGlobal, which test one relaxed flag (Go's writeBarrier.enabled) and call this slow
// path only while a concurrent mark runs. The plan says what to record:
//
//     shade(*slot)                          if plan.shadeOld     (Yuasa, hybrid)
//     shade(ptr)                            if plan.shadeNew == .always (Dijkstra)
//     if current stack is grey: shade(ptr)  if plan.shadeNew == .ifStackGrey (hybrid)
//     *slot = ptr                           (done by the caller after this returns)
//
// Recording appends to the P's buffer; a full buffer is flushed by shading every entry
// (Go's wbBufFlush). At check level full the buffer holds one entry, so the invariant check
// that follows each barrier sees every shade already done. Stores to stack slots never run
// the barrier: that is the point of scanning (and for Dijkstra re-scanning) stacks.

import CContext
import GMP

extension ConcurrentCollector {
    func writeBarrier(slot: UnsafeMutablePointer<UInt64>, new: Ref) {
        let gcw = rt.perP().gcw
        gcw.barrierCalls &+= 1
        if plan.shadeOld {
            let old = tc_load_relaxed(UnsafeMutableRawPointer(slot).assumingMemoryBound(to: UInt.self))
            if old != 0 { gcw.wbuf.append(Ref(offset: UInt64(old))) }
        }
        if !new.isNil {
            switch plan.shadeNew {
            case .never: break
            case .always: gcw.wbuf.append(new)
            case .ifStackGrey:
                if let g = Goroutine.current, !isStackBlack(g) { gcw.wbuf.append(new) }
            }
        }
        if gcw.wbuf.count >= (fullChecks ? 1 : 256) {
            flushBarrierBuffer(gcw)
            if fullChecks {
                steps.add(1, ordering: .relaxed)
                checkInvariantsAfterBarrier(slot: slot, new: new)
            }
        }
    }

    /// Shades every recorded pointer (Go's wbBufFlush1).
    func flushBarrierBuffer(_ gcw: GCWork) {
        if gcw.wbuf.isEmpty { return }
        for r in gcw.wbuf { shadeInto(r, gcw) }
        gcw.wbuf.removeAll(keepingCapacity: true)
    }

    /// The invariant check after a barrier runs before the store itself; check the state
    /// the store will create: the slot's owner pointing to `new`.
    private func checkInvariantsAfterBarrier(slot: UnsafeMutablePointer<UInt64>, new: Ref) {
        let old = slot.pointee
        slot.pointee = new.offset
        defer { slot.pointee = old }
        checkInvariants(after: "write barrier storing \(new.isNil ? "nil" : heap.describe(new))")
    }
}
