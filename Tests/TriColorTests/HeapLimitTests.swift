// The heap limit: a clear error naming the limit and the live size.

import Testing
@testable import TriColor

@Suite struct HeapLimitTests {
    @Test func limitExceededNamesLimitAndLiveSize() throws {
        let limit = 1 << 20
        let heap = try makeHeap(limitBytes: limit)
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        let gc = MarkSweep(heap: heap)
        // Rooted list: nothing can be freed, so the limit must trip.
        var count = 0
        var caught: HeapError? = nil
        do {
            while true {
                let r = try gc.allocate(t.node, in: cache)
                heap.storePointerNoBarrier(r, field: 0, heap.loadGlobal(0))
                heap.storeGlobalNoBarrier(0, r)
                count += 1
                if count > 1_000_000 { break }
            }
        } catch {
            caught = error
        }
        guard case let .limitExceeded(l, live, inUse, requested)? = caught else {
            Issue.record("expected limitExceeded, got \(String(describing: caught))")
            return
        }
        #expect(l == limit)
        #expect(inUse + requested > limit)
        #expect(inUse <= limit)
        // The retry ran a GC first, which found everything live.
        #expect(live == count * t.node.size)
        #expect(heap.stats.collections == 1)
        #expect(caught!.description.contains("limit \(limit) bytes"))
        #expect(caught!.description.contains("live \(live) bytes"))
        #expect(heap.verify() == [])
    }

    @Test func garbageNeverHitsTheLimitWhenTheCollectorRetries() throws {
        let heap = try makeHeap(limitBytes: 512 << 10)
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        let gc = MarkSweep(heap: heap)
        for _ in 0..<200_000 { _ = try gc.allocate(t.node, in: cache) }   // 6.4 MB of garbage
        #expect(heap.stats.collections >= 10)
        #expect(heap.stats.heapInUse <= 512 << 10)
        // Large objects too.
        let big = heap.registerType(name: "Big", pointerFields: 0, scalarBytes: 100_000)
        for _ in 0..<100 { _ = try gc.allocate(big, in: cache) }
        #expect(heap.stats.heapInUse <= 512 << 10)
    }

    @Test func plainAllocateThrowsWithoutCollecting() throws {
        let heap = try makeHeap(limitBytes: 64 << 10)
        let big = heap.registerType(name: "Big", pointerFields: 0, scalarBytes: 100_000)
        let cache = heap.makeAllocCache()
        #expect(throws: HeapError.self) { _ = try heap.allocate(big, in: cache) }
        #expect(heap.stats.collections == 0)
        heap.limitBytes = 1 << 20
        #expect(try heap.allocate(big, in: cache) != .nil)
    }
}
