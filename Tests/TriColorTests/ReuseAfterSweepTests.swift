// Freed slots are reused after sweep, and handed out zeroed.

import Testing
@testable import TriColor

@Suite struct ReuseAfterSweepTests {
    @Test(arguments: [false, true])
    func freedSlotsAreReusedAndZeroed(eager: Bool) throws {
        let heap = try makeHeap()
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        let gc = MarkSweep(heap: heap, checkmark: true, eagerSweep: eager)
        // Keep every other object alive through a global linked list.
        var garbage: Set<Ref> = []
        var head = Ref.nil
        for i in 0..<2000 {
            let r = try heap.allocate(t.node, in: cache)
            heap.storeScalar(UInt64.max, into: r, at: 0)          // dirty the payload
            heap.storePointerNoBarrier(r, field: 1, r)            // and a pointer field
            if i % 2 == 0 {
                heap.storePointerNoBarrier(r, field: 0, head)
                head = r
            } else {
                garbage.insert(r)
            }
        }
        heap.storeGlobalNoBarrier(0, head)
        let inUse = heap.stats.heapInUse
        let report = gc.collect()
        #expect(report.markedObjects == 1000)
        #expect(report.liveBytes == 1000 * t.node.size)

        // The 8 spans (256 Nodes each) have 2048 - 1000 = 1048 free slots:
        // the 1000 freed ones plus 48 never used at the end of the last span.
        // Exactly that many allocations fit without growing the heap, and
        // they include every freed slot.
        let freeSlots = 8 * (SizeClasses.pageSize / t.node.size) - 1000
        var fresh: Set<Ref> = []
        for _ in 0..<freeSlots {
            let r = try heap.allocate(t.node, in: cache)
            #expect(heap.loadScalar(r, at: 0, as: UInt64.self) == 0)
            #expect(heap.loadPointer(r, field: 0) == .nil && heap.loadPointer(r, field: 1) == .nil)
            fresh.insert(r)
        }
        #expect(fresh.count == freeSlots)
        #expect(garbage.isSubset(of: fresh))
        #expect(heap.stats.heapInUse == inUse)
        _ = try heap.allocate(t.node, in: cache)
        #expect(heap.stats.heapInUse == inUse + SizeClasses.pageSize)
        heap.flushCaches()
        #expect(heap.stats.objectsFreed == 1000)
        #expect(heap.verify() == [])

        // The survivors are intact.
        var n = 0
        var r = heap.loadGlobal(0)
        while !r.isNil {
            #expect(heap.loadScalar(r, at: 0, as: UInt64.self) == UInt64.max)
            #expect(heap.loadPointer(r, field: 1) == r)
            r = heap.loadPointer(r, field: 0)
            n += 1
        }
        #expect(n == 1000)
    }
}
