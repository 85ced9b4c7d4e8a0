import GMP
import Testing
@testable import TriColor

/// A StackSlot knows the goroutine that pushed it and which push made it: another
/// goroutine using it, or a use after its frame was popped, is a misuse report naming the
/// slot and both goroutines (the run throws it), never a read of some other slot. At every
/// check level.
@Suite struct StackSlotOwnershipTests {
    @Test(arguments: [CheckLevel.off, .cheap])
    func slotOfAnotherGoroutineIsReported(check: CheckLevel) throws {
        let rt = try smallRuntime(check: check)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        let ids = Box<(main: Int64, child: Int64)>((0, 0))
        let read = Box<Ref?>(nil)
        let message = panicMessage(rt) {
            let mine = rt.allocSlot(node)
            ids.value.main = Goroutine.current!.id
            let done = Channel<Void>(capacity: 1)
            rt.go(carrying: [rt.alloc(node)]) { own in
                ids.value.child = Goroutine.current!.id
                #expect(own[0].index == mine.index)   // the same index, a different goroutine
                read.value = rt[mine]                 // goroutine 1's slot: refused
                done.send(())
            }
            _ = done.receive()
        }
        #expect(read.value == nil)
        let text = try #require(message)
        #expect(text.contains("stack slot read: slot 0 of goroutine \(ids.value.main) used by goroutine \(ids.value.child)"),
                "\(text)")
    }

    @Test(arguments: [CheckLevel.off, .cheap])
    func slotOfAPoppedFrameIsReportedEvenWhenItsIndexIsReused(check: CheckLevel) throws {
        let rt = try smallRuntime(check: check)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        let popped = Box<StackSlot?>(nil)
        let message = panicMessage(rt) {
            let base = rt.stackDepth
            rt.withFrame { popped.value = rt.allocSlot(node) }
            let newer = rt.allocSlot(node)              // same index as the popped slot
            #expect(newer.index == popped.value!.index)
            #expect(rt.owns(newer) && !rt.owns(popped.value!))
            #expect(rt.stackDepth == base + 1)
            rt[popped.value!] = nil                     // refused: it would overwrite `newer`
        }
        let slot = try #require(popped.value)
        let text = try #require(message)
        #expect(text.contains("stack slot store: \(slot) used after its frame was popped (goroutine \(slot.owner) has "
                              + "\(slot.index + 1) slots now)"), "\(text)")
    }

    @Test func slotsWorkAcrossSafePointsAndFrames() throws {
        let rt = try smallRuntime()
        let node = rt.registerType(name: "Node", pointerFields: 1)
        try rt.run {
            let outer = rt.allocSlot(node)
            rt.withFrame {
                let inner = rt.allocSlot(node)
                rt.store(rt[outer], 0, rt[inner])
                rt.collect()
                #expect(rt.owns(outer) && rt.owns(inner))
                #expect(rt.load(rt[outer], 0) == rt[inner])
            }
            rt.collect()
            #expect(rt.owns(outer))
            #expect(rt.heap.validate(rt.load(rt[outer], 0)) == nil)
        }
    }
}
