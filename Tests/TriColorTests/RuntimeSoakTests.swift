import GMP
import Testing
import Foundation
@testable import TriColor

/// Soak (TRICOLOR_SOAK=1): 3,000 short runtimes on 2 Ps, cycling the safe concurrent
/// collectors with checkmark on, each ending in an explicit collection. Any deadlock,
/// lost object or panic fails the run with the iteration number.
@Test(.enabled(if: ProcessInfo.processInfo.environment["TRICOLOR_SOAK"] != nil))
func runtimeSoak() throws {
    for i in 0..<3_000 {
        var config = RuntimeConfig()
        config.collector = [.hybrid, .insertion, .deletion][i % 3]
        config.checkLevel = .cheap
        config.arenaBytes = 1 << 30
        config.scheduler.procs = 2
        let rt = try TriColorRuntime(config)
        let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 8)
        do {
            try rt.run {
                let head = rt.push(nil)
                for i in 0..<1_000 {
                    let n = rt.alloc(node)
                    rt.storeScalar(Int64(i), into: n, at: 0)
                    rt.store(n, 0, rt[head])
                    rt[head] = n
                }
                rt.collect()
            }
        } catch {
            Issue.record("iteration \(i): \(error)")
            return
        }
    }
}
