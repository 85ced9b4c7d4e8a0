// Two threads allocate through their own caches while a third sweeps.

import Testing
import Synchronization
@testable import TriColor

@Suite struct ConcurrentSweepTests {
    @Test func allocationAndBackgroundSweepRaceSafely() throws {
        let heap = try makeHeap()
        let t = TestTypes(heap)
        let mid = heap.registerType(name: "Mid", pointerFields: 1, scalarBytes: 200)   // 216 -> class 224
        let gc = MarkSweep(heap: heap)
        let setup = heap.makeAllocCache()

        // Old generation: a rooted list of stamped survivors interleaved with garbage,
        // so after the collection most spans are unswept and partly free.
        var head = Ref.nil
        for i in 0..<60_000 {
            let r = try heap.allocate(i % 3 == 0 ? t.node : mid, in: setup)
            if i % 10 == 0 {
                let n = try heap.allocate(t.node, in: setup)
                heap.storeScalar(UInt64(i), into: n, at: 0)
                heap.storePointerNoBarrier(n, field: 0, head)
                head = n
            }
            _ = r
        }
        heap.storeGlobalNoBarrier(0, head)
        heap.releaseAllocCache(setup)
        gc.collect()                                // lazy: everything is unswept now
        #expect(!heap.isSweepDone)
        let sweptBefore = heap.stats.spansSwept

        final class Results: @unchecked Sendable {   // each thread writes only its own field
            var refs0: [Ref] = []
            var refs1: [Ref] = []
            var refs: [[Ref]] { [refs0, refs1] }
            let sweptByBackground = Atomic<Int>(0)
            let allocatorsDone = Atomic<Int>(0)
        }
        let results = Results()
        let perThread = 30_000
        runThreads(3) { id in
            if id == 2 {
                // Background sweeper (Go's bgsweep): sweep until allocators finish.
                while results.allocatorsDone.load(ordering: .acquiring) < 2 {
                    if heap.sweepOne() { results.sweptByBackground.wrappingAdd(1, ordering: .relaxed) }
                }
                return
            }
            let cache = heap.makeAllocCache()
            var mine: [Ref] = []
            mine.reserveCapacity(perThread)
            for i in 0..<perThread {
                let r = try! heap.allocate(i % 2 == 0 ? t.node : mid, in: cache)
                // Stamp: thread id and index, checked after the race.
                heap.storeScalar(UInt64(id) << 32 | UInt64(i), into: r, at: 0)
                mine.append(r)
            }
            heap.releaseAllocCache(cache)
            if id == 0 { results.refs0 = mine } else { results.refs1 = mine }
            results.allocatorsDone.wrappingAdd(1, ordering: .releasing)
        }

        // Sweeping happened during the race (lazily in cacheSpan and/or in the sweeper).
        #expect(heap.stats.spansSwept > sweptBefore)
        // No slot was handed out twice, and no sweep clobbered a new object.
        let all = results.refs[0] + results.refs[1]
        #expect(all.count == 2 * perThread)
        #expect(Set(all).count == all.count)
        for id in 0..<2 {
            for (i, r) in results.refs[id].enumerated() {
                if heap.loadScalar(r, at: 0, as: UInt64.self) != UInt64(id) << 32 | UInt64(i) {
                    Issue.record("object \(r) of thread \(id) index \(i) was clobbered")
                    return
                }
            }
        }
        // Survivors of the old generation are intact.
        var n = 0
        var r = heap.loadGlobal(0)
        while !r.isNil {
            #expect(heap.loadScalar(r, at: 0, as: UInt64.self) == UInt64((6000 - 1 - n) * 10))
            r = heap.loadPointer(r, field: 0)
            n += 1
        }
        #expect(n == 6000)
        #expect(heap.verify() == [])
        heap.finishSweep()
        #expect(heap.verify() == [])

        // The new objects are exactly what a collection rooted at them finds.
        let report = gc.collect(roots: RefArrayRoots(all))
        #expect(report.markedObjects == 2 * perThread + 6000)
        gc.collect(roots: RefArrayRoots(all))
        #expect(heap.verify() == [])
    }
}
