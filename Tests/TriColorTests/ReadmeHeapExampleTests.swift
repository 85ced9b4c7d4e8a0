import GMP
import Testing
@testable import TriColor

/// The README's managed-heap example, as written there (with the printed values captured).
@Test func readmeHeapExample() throws {
    let out = Box<(Int, Int)>((0, 0))
    var config = RuntimeConfig()
    config.collector = .hybrid
    config.checkLevel = .cheap
    config.arenaBytes = 1 << 30
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
    #expect(out.value.0 >= 1)
    #expect(out.value.1 == 1_000)
}
