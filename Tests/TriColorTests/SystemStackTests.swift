// Collector work runs on the system stack (Goroutine.onSystemStack, Go's systemstack):
// 16 KiB goroutine stacks with every check turned on must run clean.

import Foundation
import GCBenchKit
import GMP
import Testing
import TriColor

@Suite struct SystemStackTests {
    /// Each safe collector, `SchedulerConfig.smallStacks` (16 KiB), check level full
    /// (checkmark at every mark termination, invariant checks after every barrier and scan):
    /// before the checks moved to the system stack, checkmark's frames alone overflowed a
    /// 32 KiB goroutine stack.
    ///
    /// In process, not as an exit test: in a cold debug-build process the Swift runtime's
    /// first instantiation of some generic metadata (a demangler walk of its own) can need
    /// more than 16 KiB of whatever stack it happens on. So each collector first runs the same
    /// program on default stacks, which warms that metadata up whether the test runs alone
    /// (`--filter SystemStackTests`, where it used to overflow) or in the full suite.
    /// A regression ends the test process with "goroutine N stack overflow".
    @Test func smallStacksWithFullChecksRunClean() throws {
        for kind in CollectorKind.safe {
            _ = try run(kind, stacks: SchedulerConfig())
            let cycles = try run(kind, stacks: .smallStacks)
            #expect(cycles >= 5, "\(kind): \(cycles) cycles")
        }
    }

    /// Check level full, three goroutines storing into the globals while cycles run; the
    /// number of cycles.
    private func run(_ kind: CollectorKind, stacks: SchedulerConfig) throws -> Int {
        var c = RuntimeConfig()
        c.collector = kind
        c.checkLevel = .full
        c.gogc = nil
        c.arenaBytes = 1 << 30
        c.scheduler = stacks
        c.scheduler.procs = 1
        let rt = try TriColorRuntime(c)
        let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 8)
        try rt.run {
            let root = rt.allocSlot(node)
            rt[root] = buildTree(rt, node, depth: 7)
            // Before the goroutines start: `go` is a safe point, so one may run at once.
            rt.setGlobal(0, rt[root])
            let wg = WaitGroup()
            for _ in 0..<3 {
                wg.add(1)
                go {
                    for i in 0..<60 {
                        rt.withFrame {
                            let n = rt.allocSlot(node)
                            rt.store(rt[n], 0, rt.load(rt.global(0), i & 1))
                            rt.store(rt.global(0), i & 1, rt[n])
                        }
                        Goroutine.yield()
                    }
                    wg.done()
                }
            }
            for _ in 0..<4 { rt.collect(); Goroutine.yield() }
            wg.wait()
            rt.collect()
        }
        return rt.stats.cycles
    }
}
