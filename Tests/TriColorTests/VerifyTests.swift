// Heap.verify() is not vacuous: it reports deliberately corrupted state.

import Testing
@testable import TriColor

@Suite struct VerifyTests {
    @Test func verifyReportsCorruption() throws {
        let heap = try makeHeap()
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        var refs: [Ref] = []
        for _ in 0..<300 { refs.append(try heap.allocate(t.node, in: cache)) }
        heap.flushCaches()
        #expect(heap.verify() == [])

        // A corrupted header.
        let p = heap.arena + Int(refs[7].offset)
        let saved = p.load(as: UInt64.self)
        p.storeBytes(of: 0xFFFF, as: UInt64.self)
        #expect(heap.verify().contains { $0.contains("bad header") })
        p.storeBytes(of: saved, as: UInt64.self)
        #expect(heap.verify() == [])

        // A span whose count disagrees with its bits.
        let s = heap.spanOf(refs[0].offset)!
        s.pointee.allocCount -= 1
        #expect(heap.verify().contains { $0.contains("allocCount") })
        s.pointee.allocCount += 1

        // A span that is both listed and cached.
        cache.spans[Int(t.node.sizeClass)] = s
        s.pointee.sweepgen.wrappingAdd(3, ordering: .relaxed)
        #expect(heap.verify().contains { $0.contains("expected exactly one") })
        cache.spans[Int(t.node.sizeClass)] = heap.emptySpan
        s.pointee.sweepgen.wrappingSubtract(3, ordering: .relaxed)
        #expect(heap.verify() == [])
    }
}
