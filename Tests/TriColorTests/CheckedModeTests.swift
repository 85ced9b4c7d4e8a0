// Checked mode: precise messages for stale, misaligned and garbage Refs.

import Testing
@testable import TriColor

@Suite struct CheckedModeTests {
    @Test func staleRefNamesObjectTypeAndCycle() throws {
        let heap = try makeHeap(checked: true)
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        let gc = MarkSweep(heap: heap, eagerSweep: true)
        let live = try heap.allocate(t.node, in: cache)
        heap.storeGlobalNoBarrier(0, live)
        gc.collect()
        gc.collect()
        let dead = try heap.allocate(t.node, in: cache)     // same span as `live`
        gc.collect()                                        // cycle 3 frees it
        #expect(heap.validate(dead) == "use of freed object \(dead) of type Node (freed in GC cycle 3)")
        #expect(heap.validate(live) == nil)

        // A large object's whole span goes back to the page heap; still precise.
        let big = heap.registerType(name: "Blob", pointerFields: 1, scalarBytes: 50_000)
        let b = try heap.allocate(big, in: cache)
        gc.collect()
        #expect(heap.validate(b) == "use of freed object \(b) of type Blob (freed in GC cycle 4); "
                + "its span was returned to the page heap")
    }

    @Test func fieldRangeMisalignmentAndGarbage() throws {
        let heap = try makeHeap(checked: true)
        let t = TestTypes(heap)
        let cache = heap.makeAllocCache()
        let n = try heap.allocate(t.node, in: cache)
        #expect(heap.validateField(n, field: 1) == nil)
        #expect(heap.validateField(n, field: 5) == "field 5 out of range for type Node with 2 pointer fields")
        #expect(heap.validateField(n, field: -1) == "field -1 out of range for type Node with 2 pointer fields")
        #expect(heap.validate(Ref(offset: n.offset + 8))?.hasPrefix("misaligned Ref") == true)
        #expect(heap.validate(Ref(offset: n.offset + 3)) == "misaligned Ref \(Ref(offset: n.offset + 3)): not 8-byte aligned")
        #expect(heap.validate(Ref(offset: n.offset + 32)) == "Ref \(Ref(offset: n.offset + 32)) points to a never-allocated slot")
        #expect(heap.validate(Ref(offset: 1 << 40))?.hasPrefix("garbage Ref") == true)
        #expect(heap.validate(Ref(offset: 16)) == "garbage Ref 0x10: outside the heap's allocated pages")
        #expect(heap.validate(.nil) == "nil Ref")
    }

    @Test func checkedLoadOfFreedObjectStopsTheProgram() async throws {
        await #expect(processExitsWith: .failure) {
            let heap = try makeHeap(checked: true)
            let t = TestTypes(heap)
            let cache = heap.makeAllocCache()
            let keep = try heap.allocate(t.node, in: cache)
            heap.storeGlobalNoBarrier(0, keep)
            let dead = try heap.allocate(t.node, in: cache)
            MarkSweep(heap: heap, eagerSweep: true).collect()
            _ = heap.loadPointer(dead, field: 0)
        }
    }

    @Test func checkedFieldOutOfRangeStopsTheProgram() async throws {
        await #expect(processExitsWith: .failure) {
            let heap = try makeHeap(checked: true)
            let t = TestTypes(heap)
            let n = try heap.allocate(t.node, in: heap.makeAllocCache())
            heap.storePointerNoBarrier(n, field: 2, .nil)
        }
    }

    /// At check level off too, a pointer-field index out of range is refused with a message
    /// (it used to write into the next object silently).
    @Test func uncheckedFieldOutOfRangeIsRefusedWithAMessage() async throws {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let heap = try makeHeap(checked: false)
            let t = TestTypes(heap)
            let cache = heap.makeAllocCache()
            let n = try heap.allocate(t.node, in: cache)
            let m = try heap.allocate(t.node, in: cache)
            heap.storePointerNoBarrier(n, field: 1, m)       // in range: fine
            heap.storePointerNoBarrier(n, field: 2, m)       // the next object's header
        }.map { result in
            let err = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(err.contains("storePointer: field 2 out of range for type Node with 2 pointer fields"), "\(err)")
        }
    }
}
