import Foundation
import GMP
import Synchronization
import GCBenchKit
import TriColor

/// `write-heavy`: a live graph of `nodes` four-pointer nodes, reachable through a two-level
/// directory in global 0; two goroutines rewire random fields to random nodes, and every
/// 16th write stores a freshly allocated node instead (which dies when overwritten). Writes
/// outnumber allocations 16 to 1, so the time goes into stores: while a concurrent mark
/// runs every one of them takes the write-barrier slow path (`barrier_calls`), markSweep
/// has no barrier at all. `mwrites_per_s` is the throughput.
enum WriteHeavy {
    static let chunk = 256

    static func run(_ s: RunSettings, nodes: Int, writesPerGoroutine: Int) -> HeapRun {
        let rt = makeRuntime(s)
        let window = Window()
        let chunks = (nodes + chunk - 1) / chunk
        let node = rt.registerType(name: "Node", pointerFields: 4, scalarBytes: 8)
        let chunkType = rt.registerType(name: "Chunk", pointerFields: chunk)
        let dirType = rt.registerType(name: "Directory", pointerFields: chunks)
        let writes = Atomic<Int>(0)
        let log = LatencyLog()

        /// Node i (reachable through the directory, so valid across safe points).
        @Sendable func nodeAt(_ i: Int) -> Ref {
            rt.load(rt.load(rt.global(0), i / chunk), i % chunk)
        }
        do {
            try rt.run {
                rt.setGlobal(0, rt.alloc(dirType))
                for c in 0..<chunks {
                    let ch = rt.alloc(chunkType)
                    rt.store(rt.global(0), c, ch)
                }
                for i in 0..<nodes {
                    let n = rt.alloc(node)
                    rt.store(rt.load(rt.global(0), i / chunk), i % chunk, n)
                }
                rt.collect()
                window.begin(rt)
                runGoroutines(2) { k in
                    var rng = SplitMix64(seed: UInt64(k + 7))
                    var lat = OpLatency()
                    lat.start(at: nanotime())
                    for n in 0..<writesPerGoroutine {
                        if n & 15 == 15 { lat.tick(at: nanotime()) }
                        let bits = rng.next()
                        let field = Int(bits & 3)
                        let a = Int((bits >> 2) % UInt64(nodes))
                        if n % 16 == 15 {
                            let fresh = rt.alloc(node)     // safe point before; fresh stored at once
                            rt.store(nodeAt(a), field, fresh)
                        } else {
                            let b = Int((bits >> 32) % UInt64(nodes))
                            rt.store(nodeAt(a), field, nodeAt(b))
                        }
                    }
                    writes.add(writesPerGoroutine, ordering: .relaxed)
                    log.add(lat)
                }
                window.finish(rt)
                // Every node is still reachable through the directory.
                for i in stride(from: 0, to: nodes, by: 97) { precondition(!nodeAt(i).isNil, "write-heavy: node \(i) lost") }
            }
        } catch { fatalError("gcbench: write-heavy failed: \(error)") }
        let rate = Double(writes.load(ordering: .relaxed)) / Double(window.end - window.start) * 1e3
        return HeapRun(rt: rt, window: window, extra: ["mwrites_per_s": rate], latency: log.value)
    }
}
