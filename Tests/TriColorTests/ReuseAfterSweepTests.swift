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

    /// A small heap's reservation is kept when the heap goes (ArenaCache) and handed to the
    /// next heap of that size exactly as fresh: every byte of the arena zero, no span in the
    /// span map, allocations zeroed. A size no other test uses, so the cache's entry for it
    /// is this test's.
    @Test func aDroppedHeapsArenaComesBackZeroed() throws {
        let bytes = 3 << 20 + 7 * SizeClasses.pageSize
        var base: UnsafeMutableRawPointer?
        do {
            let heap = try makeHeap(checked: true, arenaBytes: bytes)
            let t = TestTypes(heap)
            let cache = heap.makeAllocCache()
            for _ in 0..<3000 {
                let r = try heap.allocate(t.node, in: cache)
                heap.storeScalar(UInt64.max, into: r, at: 0)
                heap.storePointerNoBarrier(r, field: 1, r)
            }
            let big = heap.registerType(name: "Big", pointerFields: 1, scalarBytes: 5 * SizeClasses.pageSize)
            let r = try heap.allocate(big, in: cache)
            heap.storeScalar(UInt64.max, into: r, at: 5 * SizeClasses.pageSize - 8)
            #expect(heap.pageHeap.pagesTouched > 15)
            heap.flushCaches()
            base = heap.arena
        }
        let heap = try makeHeap(checked: true, arenaBytes: bytes)
        #expect(heap.arena == base)
        #expect(heap.pageHeap.pagesTouched == 0)
        let words = heap.arena.bindMemory(to: UInt64.self, capacity: bytes / 8)
        #expect((0..<bytes / 8).allSatisfy { words[$0] == 0 })
        #expect((0..<heap.pageHeap.arenaPages).allSatisfy { heap.pageHeap.spanMap[$0] == nil })
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        for _ in 0..<3000 {
            let r = try heap.allocate(t.node, in: cache)
            #expect(heap.loadScalar(r, at: 0, as: UInt64.self) == 0)
            #expect(heap.loadPointer(r, field: 1) == .nil)
        }
        heap.flushCaches()
        #expect(heap.verify() == [])
    }
}
