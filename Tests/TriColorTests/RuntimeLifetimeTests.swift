import GMP
import Testing
@testable import TriColor

/// After `run` returns and the last reference is dropped, the runtime, its scheduler, its
/// heap (whose deinit unmaps the arena) and its collector are deallocated: no abandoned
/// system goroutine (sweeper, forced-GC helper, idle mark workers) and no finished main
/// goroutine keeps them alive from a frame that is never unwound.
@Test(arguments: [(CollectorKind.markSweep, 1), (.markSweep, 2), (.hybrid, 1), (.hybrid, 2), (.insertion, 2)])
func droppedRuntimeIsDeallocated(_ kind: CollectorKind, _ procs: Int) throws {
    weak var runtime: TriColorRuntime?
    weak var scheduler: Scheduler?
    weak var heap: Heap?
    weak var collector: ConcurrentCollector?
    do {
        var c = RuntimeConfig()
        c.collector = kind
        c.arenaBytes = 1 << 30
        c.scheduler.procs = procs
        let rt = try TriColorRuntime(c)
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        try rt.run {
            for _ in 0..<2_000 { _ = rt.alloc(node) }
            rt.collect()
        }
        (runtime, scheduler, heap, collector) = (rt, rt.scheduler, rt.heap, rt.concurrent)
    }
    #expect(runtime == nil, "the runtime outlived its last reference")
    #expect(scheduler == nil, "the scheduler outlived its runtime")
    #expect(heap == nil, "the heap (and its arena) outlived its runtime")
    #expect(collector == nil, "the collector outlived its runtime")
}

/// A RefChannel released after its runtime (as a program's objects often are) unregisters
/// its buffer without touching the runtime (it crashed reading its unowned runtime).
@Test func refChannelMayOutliveItsRuntime() throws {
    final class Holder: @unchecked Sendable { var channel: RefChannel? }
    let holder = Holder()
    weak var runtime: TriColorRuntime?
    do {
        let rt = try TriColorRuntime(.stepping(.hybrid))
        try rt.run { holder.channel = rt.makeChannel(capacity: 4) }
        runtime = rt
    }
    #expect(runtime == nil)
    holder.channel = nil   // deinit after the runtime is gone
}

/// At check level full (the invariant checker, as every property-test run uses) in
/// deterministic mode, the heap and the scheduler go with the runtime too: the checker's
/// scan hook on the mark engine once made a cycle that leaked ~15 MiB per run, and long
/// `tricolor check` campaigns ran out of address space after ~30,000 runs.
@Test func droppedCheckedDeterministicRuntimeIsDeallocated() throws {
    weak var scheduler: Scheduler?
    weak var heap: Heap?
    do {
        var c = RuntimeConfig()
        c.collector = .hybrid
        c.checkLevel = .full
        c.gogc = nil
        c.arenaBytes = 4 << 20
        c.scheduler.procs = 1
        c.scheduler.deterministic = DeterministicConfig(strategy: .random(seed: 1))
        let rt = try TriColorRuntime(c)
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        try rt.run {
            for _ in 0..<200 { _ = rt.alloc(node) }
            rt.collect()
        }
        (scheduler, heap) = (rt.scheduler, rt.heap)
    }
    #expect(heap == nil, "the heap (and its arena) outlived its checked runtime")
    #expect(scheduler == nil, "the scheduler outlived its checked runtime")
}
