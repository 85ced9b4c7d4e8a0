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

/// A dropped runtime gives everything back: 1,000 runtimes in a row are each deallocated
/// (its heap's deinit unmaps the arena), and the process's mapped address space and
/// resident memory stay flat (/proc/self/status). Other tests run in this process at the
/// same time, so the memory bounds allow their noise; a leaked 1 GiB arena per runtime
/// (1 TiB in all) or the ~180 kB per runtime that leaked before are far outside them.
@Test func thousandRuntimesGiveTheirMemoryBack() throws {
    func status(_ key: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0   // kB
        }
        return 0
    }
    final class Weak: @unchecked Sendable { weak var rt: TriColorRuntime? }
    func oneRuntime(_ i: Int) throws -> Weak {
        var c = RuntimeConfig()
        c.collector = CollectorKind.safe[i % CollectorKind.safe.count]
        c.arenaBytes = 1 << 30
        c.scheduler.procs = 2
        let rt = try TriColorRuntime(c)
        let node = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        try rt.run {
            for _ in 0..<2_000 { _ = rt.alloc(node) }
            rt.collect()
        }
        let w = Weak()
        w.rt = rt
        return w
    }
    for i in 0..<100 { _ = try oneRuntime(i) }   // warm up pools and caches
    let vm0 = status("VmSize"), rss0 = status("VmRSS")
    var alive = 0
    for i in 0..<1_000 where try oneRuntime(i).rt != nil { alive += 1 }
    let vm1 = status("VmSize"), rss1 = status("VmRSS")
    #expect(alive == 0, "\(alive) of 1,000 runtimes outlived their last reference")
    #expect(vm1 - vm0 < 16 << 20, "mapped address space grew by \(vm1 - vm0) kB over 1,000 runtimes")
    #expect(rss1 - rss0 < 128 << 10, "resident memory grew by \(rss1 - rss0) kB over 1,000 runtimes")
}
