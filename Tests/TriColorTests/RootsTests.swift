// Objects reachable only from roots or globals survive; nothing else does.

import Testing
@testable import TriColor

@Suite struct RootsTests {
    @Test func rootsAndGlobalsKeepObjectsAlive() throws {
        let heap = try makeHeap(checked: true)
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        let gc = MarkSweep(heap: heap, checkmark: true, eagerSweep: true)

        let viaGlobal = try heap.allocate(t.node, in: cache)
        let childOfGlobal = try heap.allocate(t.leaf, in: cache)
        heap.storePointerNoBarrier(viaGlobal, field: 1, childOfGlobal)
        heap.storeGlobalNoBarrier(5, viaGlobal)
        let viaRoot = try heap.allocate(t.leaf, in: cache)
        let unreachable = try heap.allocate(t.node, in: cache)
        heap.storePointerNoBarrier(unreachable, field: 0, viaRoot)   // points at a live object

        let report = gc.collect(roots: RefArrayRoots([viaRoot, .nil]))
        #expect(report.markedObjects == 3)
        #expect(heap.validate(viaGlobal) == nil)
        #expect(heap.validate(childOfGlobal) == nil)
        #expect(heap.validate(viaRoot) == nil)
        #expect(heap.validate(unreachable)?.contains("use of freed object") == true)
        #expect(heap.loadPointer(viaGlobal, field: 1) == childOfGlobal)

        heap.storeGlobalNoBarrier(5, .nil)
        gc.collect(roots: RefArrayRoots([viaRoot]))
        #expect(heap.validate(viaGlobal) != nil)
        #expect(heap.validate(childOfGlobal) != nil)
        #expect(heap.validate(viaRoot) == nil)
        #expect(heap.verify() == [])
    }

    @Test func deepListIsMarkedWithoutRecursion() throws {
        // 200k-long list: recursion would overflow a small stack; the grey stack does not.
        let heap = try makeHeap()
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        var head = Ref.nil
        for _ in 0..<200_000 {
            let r = try heap.allocate(t.node, in: cache)
            heap.storePointerNoBarrier(r, field: 0, head)
            head = r
        }
        heap.storeGlobalNoBarrier(0, head)
        let gc = MarkSweep(heap: heap)
        let report = gc.collect()
        #expect(report.markedObjects == 200_000)
        #expect(report.maxGreyStack <= 2)   // a list keeps at most one grey object queued
    }
}
