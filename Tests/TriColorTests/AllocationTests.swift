// Allocation across every size class and of large objects.

import Testing
@testable import TriColor

@Suite struct AllocationTests {
    @Test func everySizeClassAllocatesDistinctZeroedObjects() throws {
        let heap = try makeHeap(checked: true)
        let cache = heap.makeAllocCache()
        var all: [(Ref, ObjectType, UInt64)] = []
        for c in 1..<SizeClasses.count {
            // An object exactly filling class c: header + 1 pointer + scalars.
            let size = SizeClasses.classToSize[c]
            let scalar = max(0, size - 16)
            let t = heap.registerType(name: "C\(c)", pointerFields: size >= 16 ? 1 : 0, scalarBytes: scalar)
            #expect(Int(t.sizeClass) == c, "type of size \(t.size) should use class \(c)")
            // Enough objects to need more than one span of the class.
            let perSpan = SizeClasses.classToPages[c] * SizeClasses.pageSize / size
            for i in 0..<(perSpan + 3) {
                let r = try heap.allocate(t, in: cache)
                #expect(heap.validate(r) == nil)
                #expect(heap.type(of: r) == t)
                #expect(heap.size(of: r) == size)
                #expect(r.offset % 8 == 0)
                if t.pointerFields == 1 { #expect(heap.loadPointer(r, field: 0) == .nil) }
                if scalar >= 8 {
                    #expect(heap.loadScalar(r, at: scalar - 8, as: UInt64.self) == 0)
                    let stamp = UInt64(c) << 32 | UInt64(i)
                    heap.storeScalar(stamp, into: r, at: scalar - 8)
                    all.append((r, t, stamp))
                }
            }
        }
        // No two objects overlap: every stamp survives all later allocations.
        for (r, t, stamp) in all {
            #expect(heap.loadScalar(r, at: t.scalarBytes - 8, as: UInt64.self) == stamp)
        }
        #expect(Set(all.map(\.0)).count == all.count)
        heap.flushCaches()
        #expect(heap.verify() == [])
        #expect(heap.stats.objectsAllocated > all.count)
    }

    @Test func largeObjectsGetTheirOwnSpan() throws {
        let heap = try makeHeap()
        let cache = heap.makeAllocCache()
        let big = heap.registerType(name: "Big", pointerFields: 4, scalarBytes: 40_000)
        let huge = heap.registerType(name: "Huge", pointerFields: 1, scalarBytes: 3 << 20)
        #expect(big.isLarge && huge.isLarge)
        let before = heap.stats.heapInUse
        let a = try heap.allocate(big, in: cache)
        let b = try heap.allocate(huge, in: cache)
        #expect(a.offset % UInt64(SizeClasses.pageSize) == 0)
        #expect(b.offset % UInt64(SizeClasses.pageSize) == 0)
        let pagesA = (big.size + 8191) / 8192, pagesB = (huge.size + 8191) / 8192
        #expect(heap.stats.heapInUse - before == (pagesA + pagesB) * 8192)
        heap.storePointerNoBarrier(a, field: 3, b)
        heap.storeScalar(UInt8(7), into: b, at: (3 << 20) - 1)
        #expect(heap.loadPointer(a, field: 3) == b)
        #expect(heap.loadScalar(b, at: (3 << 20) - 1, as: UInt8.self) == 7)
        #expect(heap.type(of: b) == huge)
        #expect(heap.verify() == [])
    }

    @Test func pointerAndScalarFieldsRoundTrip() throws {
        let heap = try makeHeap(checked: true)
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        let n = try heap.allocate(t.node, in: cache)
        let l = try heap.allocate(t.leaf, in: cache)
        heap.storePointerNoBarrier(n, field: 1, l)
        heap.storeScalar(Int64(-42), into: n, at: 0)
        heap.storeScalar(UInt32(0xDEAD_BEEF), into: l, at: 4)
        #expect(heap.loadPointer(n, field: 0) == .nil)
        #expect(heap.loadPointer(n, field: 1) == l)
        #expect(heap.loadScalar(n, at: 0, as: Int64.self) == -42)
        #expect(heap.loadScalar(l, at: 4, as: UInt32.self) == 0xDEAD_BEEF)
        #expect(heap.pointerFieldCount(of: n) == 2)
        #expect(heap.typeName(of: l) == "Leaf")
        #expect(heap.name(of: t.node) == "Node")
        #expect(heap.describe(n) == "\(n) (Node)")
    }
}

/// The heap's peak span memory is tracked at every span allocation, and a reset starts a
/// new measurement (gcbench's peak_heap_mb covers only the measured region).
@Test func peakHeapInUseIsTrackedAndResettable() throws {
    let heap = try makeHeap()
    let t = TestTypes(heap)
    let cache = heap.makeAllocCache()
    let gc = MarkSweep(heap: heap, eagerSweep: true)
    for _ in 0..<20_000 { _ = try heap.allocate(t.node, in: cache) }
    let high = heap.heapInUseBytes
    #expect(heap.peakHeapInUseBytes >= high)
    gc.collect()   // nothing is rooted: every span goes back
    #expect(heap.heapInUseBytes < high)
    #expect(heap.peakHeapInUseBytes >= high, "a peak survives the heap shrinking")
    heap.resetPeakHeapInUse()
    #expect(heap.peakHeapInUseBytes == heap.heapInUseBytes)
    for _ in 0..<100 { _ = try heap.allocate(t.node, in: cache) }
    #expect(heap.peakHeapInUseBytes == heap.heapInUseBytes)
    #expect(heap.peakHeapInUseBytes < high)
}
