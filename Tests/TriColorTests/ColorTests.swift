// White / grey / black as observed through the phase API.

import Testing
@testable import TriColor

@Suite struct ColorTests {
    @Test func coloursFollowTheMarkPhases() throws {
        let heap = try makeHeap(checked: true)
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        let a = try heap.allocate(t.node, in: cache)
        let b = try heap.allocate(t.node, in: cache)
        let c = try heap.allocate(t.leaf, in: cache)
        let garbage = try heap.allocate(t.leaf, in: cache)
        heap.storePointerNoBarrier(a, field: 0, b)
        heap.storePointerNoBarrier(b, field: 1, c)
        heap.storeGlobalNoBarrier(0, a)
        let gc = MarkSweep(heap: heap)

        gc.sweepTermination()
        #expect([a, b, c, garbage].map(heap.color(of:)) == [.white, .white, .white, .white])
        gc.markRoots(NoRoots())
        #expect(heap.color(of: a) == .grey)
        #expect(heap.color(of: b) == .white)
        #expect(gc.drain(budget: 1) == false)   // scans a: a black, b grey
        #expect(heap.color(of: a) == .black)
        #expect(heap.color(of: b) == .grey)
        #expect(heap.color(of: c) == .white)
        #expect(gc.drain())
        #expect([a, b, c].map(heap.color(of:)) == [.black, .black, .black])
        #expect(heap.color(of: garbage) == .white)
        gc.markTermination()
        // Lazy sweep: colours stay until the span is swept, then reset.
        #expect(heap.color(of: a) == .black)
        heap.finishSweep()
        #expect(heap.color(of: a) == .white)
        #expect(heap.validate(garbage)?.contains("freed in GC cycle 1") == true)
    }
}
