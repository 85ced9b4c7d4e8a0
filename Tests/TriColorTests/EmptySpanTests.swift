// Completely empty spans go back to the page heap, which coalesces them.

import Testing
@testable import TriColor

@Suite struct EmptySpanTests {
    @Test func emptySpansReturnToThePageHeapAndCoalesce() throws {
        let heap = try makeHeap()
        let t = TestTypes(heap)
        let big = heap.registerType(name: "Big", pointerFields: 0, scalarBytes: 100_000)
        let cache = heap.makeAllocCache()
        let gc = MarkSweep(heap: heap, eagerSweep: true)

        let keep = try heap.allocate(t.leaf, in: cache)
        heap.storeGlobalNoBarrier(0, keep)
        for _ in 0..<20_000 { _ = try heap.allocate(t.node, in: cache) }      // ~79 spans of garbage
        for _ in 0..<5 { _ = try heap.allocate(big, in: cache) }             // 5 large spans of garbage
        let touched = heap.pageHeap.pagesTouched
        let inUse = heap.stats.heapInUse
        #expect(inUse >= 20_000 * 32 + 5 * 100_000)

        let report = gc.collect()
        #expect(report.markedObjects == 1)
        let s = heap.stats
        #expect(s.heapInUse == SizeClasses.pageSize)             // only the Leaf's span remains
        #expect(s.spansReleased >= 84)
        #expect(s.heapFree == touched * SizeClasses.pageSize - s.heapInUse)
        #expect(heap.verify() == [])                              // includes "no adjacent free runs"
        // Coalesced: the free region is one run, so a large object that needs
        // most of it fits without growing the arena's used part.
        let wide = heap.registerType(name: "Wide", pointerFields: 0, scalarBytes: (touched - 2) * SizeClasses.pageSize - 64)
        _ = try heap.allocate(wide, in: cache)
        #expect(heap.pageHeap.pagesTouched == touched)
        #expect(heap.verify() == [])
        _ = inUse
    }
}
