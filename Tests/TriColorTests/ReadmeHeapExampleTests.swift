import GMP
import Testing
@testable import TriColor

/// The README's managed-heap example, as written there (with the printed values captured).
/// Returns (cycles, live objects) after the final collection.
func runReadmeHeapExample(collector: CollectorKind = .hybrid, procs: Int? = nil) throws -> (Int, Int) {
    let out = Box<(Int, Int)>((0, 0))
    var config = RuntimeConfig()
    config.collector = collector
    config.checkLevel = .cheap
    config.arenaBytes = 1 << 30
    if let procs { config.scheduler.procs = procs }
    let rt = try TriColorRuntime(config)
    let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 8)
    try rt.run {
        let head = rt.push(nil)
        for i in 0..<1_000 {
            let n = rt.alloc(node)
            rt.storeScalar(Int64(i), into: n, at: 0)
            rt.store(n, 0, rt[head])
            rt[head] = n
        }
        rt.collect()
        out.value = (rt.stats.cycles, rt.heap.stats.liveObjects)
    }
    return out.value
}

@Test func readmeHeapExample() throws {
    let (cycles, live) = try runReadmeHeapExample()
    #expect(cycles >= 1)
    #expect(live == 1_000)
}
