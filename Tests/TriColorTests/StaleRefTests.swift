import GMP
import Testing
@testable import TriColor

/// Checked mode turns a use of a freed Ref into a precise report; on a goroutine the report
/// is a panic that ends the run, so the test reads it from the thrown error.
@Suite struct StaleRefTests {
    @Test func useOfFreedRefIsReported() throws {
        let rt = try smallRuntime(check: .cheap)
        let node = rt.registerType(name: "Node", pointerFields: 1)
        let message = panicMessage(rt) {
            let stale = rt.alloc(node)      // never rooted
            rt.collect()                    // frees it (and finishes the sweep)
            _ = rt.load(stale, 0)           // use after free
        }
        let text = try #require(message)
        #expect(text.hasPrefix("TriColor heap misuse: loadPointer field 0: use of freed object"), "\(text)")
        #expect(text.contains("of type Node (freed in GC cycle 1)"), "\(text)")
        #expect(text.contains("goroutine 1"), "\(text)")
    }

    @Test func fieldOutOfRangeIsReported() throws {
        let rt = try smallRuntime(check: .cheap)
        let node = rt.registerType(name: "Node", pointerFields: 2)
        let message = panicMessage(rt) {
            let n = rt.alloc(node)
            rt.store(n, 5, nil)
        }
        let text = try #require(message)
        #expect(text.contains("field 5 out of range for type Node with 2 pointer fields"), "\(text)")
    }

    /// The report stops only the run that misused the heap: the process goes on, and a
    /// new runtime works.
    @Test func aMisuseEndsTheRunNotTheProcess() throws {
        let bad = try smallRuntime(check: .cheap)
        let node = bad.registerType(name: "Node", pointerFields: 1)
        #expect(panicMessage(bad) { bad.store(bad.alloc(node), 1, nil) } != nil)
        let good = try smallRuntime(check: .cheap)
        let leaf = good.registerType(name: "Leaf", pointerFields: 0)
        #expect(panicMessage(good) { _ = good.allocSlot(leaf); good.collect() } == nil)
    }
}
