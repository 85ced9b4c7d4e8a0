import GMP
import Testing
@testable import TriColor

/// 2,000 runtimes created, run and dropped in one process, on 2 Ps, the safe collectors in
/// turn, each allocating and ending in `collect()`: no false deadlock (a lost wake-up between
/// the collector's goroutines and `checkdead` showed as "all goroutines are asleep" with main
/// in `sync.WaitGroup.Wait` once in ~2,400 runs).
@Test func runtimesCreatedRunAndDropped() throws {
    var failures: [String] = []
    for i in 0..<2_000 {
        let collector = CollectorKind.safe[i % CollectorKind.safe.count]
        var c = RuntimeConfig()
        c.collector = collector
        c.arenaBytes = 1 << 26
        c.scheduler.procs = 2
        c.scheduler.reportPanics = false
        let rt = try TriColorRuntime(c)
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let live = Box<Int>(0)
        do {
            try rt.run {
                let head = rt.push(nil)
                for k in 0..<2_000 {
                    let n = rt.alloc(node)
                    if k % 4 == 0 {
                        rt.store(n, 0, rt[head])
                        rt[head] = n
                    }
                }
                rt.collect()
                live.value = rt.heap.stats.liveObjects
            }
            if live.value != 500 { failures.append("run \(i) (\(collector)): \(live.value) live objects, want 500") }
        } catch {
            failures.append("run \(i) (\(collector)): \(error)")
        }
    }
    #expect(failures.count == 0, "\(failures.count) failed runs; first: \(failures.first ?? "")")
}
