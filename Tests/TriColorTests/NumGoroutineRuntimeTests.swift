import GMP
import Testing
@testable import TriColor

/// The runtime's own goroutines (sweeper, forced-GC helper, mark workers) are system
/// goroutines: `Scheduler.numGoroutine` (Go's runtime.NumGoroutine) leaves them out.
@Suite struct NumGoroutineRuntimeTests {
    @Test(arguments: [CollectorKind.markSweep, .hybrid])
    func runtimeGoroutinesAreNotCounted(_ kind: CollectorKind) throws {
        var c = RuntimeConfig()
        c.collector = kind
        c.arenaBytes = 1 << 30
        c.scheduler.procs = 2
        let rt = try TriColorRuntime(c)
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let seen = Box<[Int]>([])
        try rt.run {
            let s = Goroutine.current!.scheduler
            seen.value = [s.numGoroutine, s.goroutineCount]
            for _ in 0..<1_000 { _ = rt.alloc(node) }
            rt.collect()  // a cycle: the collector's workers run as system goroutines too
            seen.value.append(s.numGoroutine)
        }
        #expect(seen.value.count == 3)
        #expect(seen.value[0] == 1, "\(seen.value)")
        #expect(seen.value[1] > 1, "the runtime starts system goroutines: \(seen.value)")
        #expect(seen.value[2] == 1, "\(seen.value)")
    }
}
