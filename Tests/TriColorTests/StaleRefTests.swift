import GMP
import Testing
@testable import TriColor

/// Checked mode turns a use of a freed Ref into a precise report (exit test).
@Suite struct StaleRefTests {
    @Test func useOfFreedRefIsReported() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var c = RuntimeConfig()
            c.arenaBytes = 1 << 30
            c.checkLevel = .cheap
            c.scheduler.procs = 1
            let rt = try! TriColorRuntime(c)
            let node = rt.registerType(name: "Node", pointerFields: 1)
            try? rt.run {
                let stale = rt.alloc(node)      // never rooted
                rt.collect()                    // frees it
                while rt.heap.sweepOne() {}
                _ = rt.load(stale, 0)           // use after free
            }
        }.map { result in
            let err = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(err.contains("use of freed object"), "\(err)")
            #expect(err.contains("of type Node (freed in GC cycle 1)"), "\(err)")
            #expect(err.contains("goroutine 1"), "\(err)")
        }
    }

    @Test func fieldOutOfRangeIsReported() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var c = RuntimeConfig()
            c.arenaBytes = 1 << 30
            c.checkLevel = .cheap
            let rt = try! TriColorRuntime(c)
            let node = rt.registerType(name: "Node", pointerFields: 2)
            try? rt.run {
                let n = rt.alloc(node)
                rt.store(n, 5, nil)
            }
        }.map { result in
            let err = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(err.contains("field 5 out of range for type Node with 2 pointer fields"), "\(err)")
        }
    }
}
