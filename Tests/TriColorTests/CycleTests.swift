// Cycles and self-references: rooted ones survive, unrooted ones are reclaimed.

import Testing
@testable import TriColor

@Suite struct CycleTests {
    /// Builds a ring of `n` Nodes (field 0 -> next, field 1 -> self).
    func ring(_ heap: Heap, _ t: TestTypes, _ cache: AllocCache, _ n: Int) throws -> [Ref] {
        var nodes: [Ref] = []
        for i in 0..<n {
            let r = try heap.allocate(t.node, in: cache)
            heap.storeScalar(UInt64(i), into: r, at: 0)
            heap.storePointerNoBarrier(r, field: 1, r)
            nodes.append(r)
        }
        for i in 0..<n { heap.storePointerNoBarrier(nodes[i], field: 0, nodes[(i + 1) % n]) }
        return nodes
    }

    @Test func rootedCycleSurvivesUnrootedCycleIsReclaimed() throws {
        let heap = try makeHeap(checked: true)
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        let gc = MarkSweep(heap: heap, checkmark: true, eagerSweep: true)
        let kept = try ring(heap, t, cache, 50)
        let lost = try ring(heap, t, cache, 70)
        let selfOnly = try heap.allocate(t.node, in: cache)
        heap.storePointerNoBarrier(selfOnly, field: 0, selfOnly)

        let report = gc.collect(roots: RefArrayRoots([kept[17]]))
        #expect(report.markedObjects == 50)
        for r in kept { #expect(heap.validate(r) == nil) }
        for (i, r) in kept.enumerated() {
            #expect(heap.loadPointer(r, field: 0) == kept[(i + 1) % 50])
            #expect(heap.loadScalar(r, at: 0, as: UInt64.self) == UInt64(i))
        }
        for r in lost + [selfOnly] {
            let m = heap.validate(r)
            #expect(m?.hasPrefix("use of freed object \(r) of type Node (freed in GC cycle 1)") == true,
                    "\(m ?? "valid")")
        }
        #expect(heap.stats.objectsFreed == 71)
        #expect(heap.verify() == [])

        // Drop the root: the kept ring goes too, in cycle 2.
        gc.collect()
        #expect(heap.validate(kept[0])?.contains("freed in GC cycle 2") == true)
        #expect(heap.stats.liveObjects == 0)
    }
}
