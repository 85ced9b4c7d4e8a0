// The write barrier (Go's writeBarrier flag, gcWriteBarrier and wbBuf; mbarrier.go,
// mwbbuf.go).
//
// Every pointer store to a heap field, a global or a runtime root word goes
//
//     TriColorRuntime.store / setGlobal / storeRoot
//       -> Heap.fieldSlot / globalSlot      (the slot's address, validated once in checked mode)
//       -> WriteBarrier.isEnabled           (one relaxed load: Go's writeBarrier.enabled)
//       -> WriteBarrier.record               (slow path, only while a concurrent mark runs)
//       -> PointerSlot.store                 (the store itself)
//
// and never back up into the runtime or the collector: the runtime hands the barrier its P's
// GCWork, and the barrier shades through the mark engine. The plan says what to record:
//
//     shade(*slot)                          if plan.shadeOld     (Yuasa, hybrid)
//     shade(ptr)                            if plan.shadeNew == .always (Dijkstra)
//     if current stack is grey: shade(ptr)  if plan.shadeNew == .ifStackGrey (hybrid)
//     rescan(source object)                 if plan.regreySource (Steele)
//     slowPath.record(store)                if plan.slowPath is set (BarrierSlowPath.swift)
//     *slot = ptr                           (done by the caller after this returns)
//
// Recording appends to the P's buffer; a full buffer is flushed by shading every entry
// (Go's wbBufFlush). Steele's half does not buffer: it pushes the object that owns the
// slot (found from the slot's address) on the P's own grey stack, which only this P drains
// and never before the store that follows (the slow path is not a safe point). At check
// level full the buffer holds one entry, so the invariant check that follows each barrier
// sees every shade already done. Stores to stack slots never run
// the barrier: that is the point of scanning (and for Dijkstra re-scanning) stacks. A plan
// with no barrier (markSweep, the noBarrier ablation) is never enabled.

import CContext
import GMP
import Synchronization

/// The address of one pointer word: an object's field, a global, or a runtime-owned root.
/// Accessed with relaxed atomic word loads and stores (plain moves), because markers read
/// the same words concurrently.
@usableFromInline
struct PointerSlot {
    @usableFromInline let address: UnsafeMutablePointer<UInt>

    @inlinable @inline(__always) init(_ address: UnsafeMutableRawPointer) {
        self.address = address.assumingMemoryBound(to: UInt.self)
    }

    @inlinable @inline(__always) func load() -> Ref { Ref(offset: UInt64(tc_load_relaxed(address))) }
    @inlinable @inline(__always) func store(_ r: Ref) { tc_store_relaxed(address, UInt(r.bits)) }
}

/// One collector's write barrier.
///
/// `@unchecked Sendable`: `plan`, `engine`, `bufferCapacity` and `checker` are set in init;
/// `enabled` is atomic; everything a call mutates is the caller's P's GCWork.
final class WriteBarrier: @unchecked Sendable {
    let plan: BarrierPlan
    let engine: MarkEngine
    /// Go's writeBarrier.enabled: tested on every pointer store. Relaxed: set and cleared
    /// with the world stopped, so every goroutine sees the change at its next safe point.
    let enabled = Atomic<Bool>(false)
    /// Entries a P buffers before shading them (1 at check level full).
    let bufferCapacity: Int
    /// Check level full: the invariant check after every barrier.
    let checker: InvariantChecker?

    init(plan: BarrierPlan, engine: MarkEngine, checker: InvariantChecker?) {
        self.plan = plan
        self.engine = engine
        self.checker = checker
        bufferCapacity = checker != nil ? 1 : 256
    }

    @inline(__always) var isEnabled: Bool { enabled.load(ordering: .relaxed) }

    /// Turns the barrier on for a mark (if the plan has one) or off. World stopped.
    func setEnabled(_ on: Bool) { enabled.store(on && plan.hasBarrier, ordering: .relaxed) }

    /// The slow path for a store of `new` into `slot`, before the store, on the P that owns
    /// `gcw`. Not a safe point.
    func record(_ slot: PointerSlot, _ new: Ref, _ gcw: GCWork) {
        gcw.barrierCalls &+= 1
        if plan.shadeOld {
            let old = slot.load()
            if !old.isNil { gcw.wbuf.append(old) }
        }
        if !new.isNil {
            switch plan.shadeNew {
            case .never: break
            case .always: gcw.wbuf.append(new)
            case .ifStackGrey:
                if Goroutine.withCurrentBorrowed({ !engine.isStackBlack($0) }) == true { gcw.wbuf.append(new) }
            }
        }
        if plan.regreySource && !new.isNil { rescanSource(slot, new, gcw) }
        if let custom = plan.slowPath { custom.record(BarrierContext(barrier: self, slot: slot, new: new, gcw: gcw)) }
        if gcw.wbuf.count >= bufferCapacity {
            flush(gcw)
            if let checker {
                engine.steps.add(1, ordering: .relaxed)
                checker.checkBeforeStore(slot, new)
            }
        }
    }

    /// Steele's half: queues the object that owns `slot` to be scanned after the store; a
    /// slot outside every object (a global, a runtime root) shades `new` instead.
    private func rescanSource(_ slot: PointerSlot, _ new: Ref, _ gcw: GCWork) {
        if let source = sourceObject(of: slot) {
            engine.rescan(source, into: gcw)
        } else {
            gcw.wbuf.append(new)
        }
    }

    /// The object whose pointer field `slot` is (found from the slot's address through the
    /// span map), or nil for a global or a runtime root, which lie outside the arena.
    func sourceObject(of slot: PointerSlot) -> Ref? {
        let heap = engine.heap
        let offset = UInt64(UInt(bitPattern: slot.address) &- UInt(bitPattern: heap.arena))
        guard let s = heap.spanOf(offset) else { return nil }
        return Ref(offset: s.pointee.base &+ UInt64(s.pointee.objectIndex(offset)) &* s.pointee.elemSize)
    }

    /// Shades every recorded pointer (Go's wbBufFlush1).
    func flush(_ gcw: GCWork) {
        if gcw.wbuf.isEmpty { return }
        for r in gcw.wbuf where engine.shade(r, into: gcw) { gcw.shades &+= 1 }
        gcw.wbuf.removeAll(keepingCapacity: true)
    }
}
