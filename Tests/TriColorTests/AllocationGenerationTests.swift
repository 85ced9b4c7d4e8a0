import GMP
import Testing
@testable import TriColor

/// Checked mode stamps each allocation with a generation that its Ref carries: a stale Ref
/// to a slot that a newer object now occupies is reported (Go cannot tell the two apart).
@Suite struct AllocationGenerationTests {
    @Test func staleRefToAReusedSlotIsReported() throws {
        let rt = try smallRuntime(check: .cheap)
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let found = Box<(stale: Ref, new: Ref)?>(nil)
        let message = panicMessage(rt) {
            let stale = rt.alloc(node)                  // never rooted
            rt.collect()                                // freed
            rt.withFrame {
                for _ in 0..<10_000 {                   // until the allocator reuses its slot
                    let s = rt.allocSlot(node)
                    if rt[s].offset == stale.offset {
                        found.value = (stale, rt[s])
                        break
                    }
                }
                guard let (stale, new) = found.value else { return }
                #expect(new != stale && new.generation != stale.generation)
                #expect(rt.heap.validate(new) == nil)
                _ = rt.load(stale, 0)                   // the new object's field: refused
            }
        }
        let (stale, new) = try #require(found.value, "no slot was reused")
        let text = try #require(message)
        #expect(text.contains("loadPointer field 0: stale Ref \(stale): the object it referred to (generation "
                              + "\(stale.generation)) was freed and its slot reused by a Node (generation "
                              + "\(new.generation))"), "\(text)")
    }

    @Test func refsCarryAGenerationOnlyInCheckedMode() throws {
        for check in [CheckLevel.off, .cheap] {
            let rt = try smallRuntime(check: check)
            let node = rt.registerType(name: "Node", pointerFields: 1)
            let gens = Box<[UInt16]>([])
            try rt.run {
                let a = rt.allocSlot(node)
                rt.store(rt[a], 0, rt.alloc(node))
                gens.value = [rt[a].generation, rt.load(rt[a], 0).generation]
                // A Ref built from the bare offset has no tag and is checked as before.
                #expect(rt.heap.validate(Ref(offset: rt[a].offset)) == nil)
            }
            #expect(gens.value == (check == .off ? [0, 0] : [1, 1]))
        }
    }

    @Test func generationsFollowEachOtherAndSkipZero() {
        #expect(ObjectHeader.nextGeneration(after: 0) == 1)
        let freed = ObjectHeader.freed(typeID: 3, generation: 7, cycle: 2)
        #expect(ObjectHeader.nextGeneration(after: freed) == 8)
        #expect(ObjectHeader.typeID(freed) == 3 && ObjectHeader.freedCycle(freed) == 2)
        #expect(ObjectHeader.nextGeneration(after: ObjectHeader.freed(typeID: 3, generation: .max, cycle: 2)) == 1)
        let live = ObjectHeader.withGeneration(ObjectHeader.live(typeID: 0xFFFF, pointerFields: 5), 9)
        #expect(ObjectHeader.typeID(live) == 0xFFFF && ObjectHeader.generation(live) == 9
                && ObjectHeader.pointerFields(live) == 5)
    }
}
