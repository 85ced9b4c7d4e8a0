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

/// A dropped runtime gives everything back: its arena is unmapped and its goroutines'
/// stacks and threads are gone, so 1,000 runtimes in a row leave the process's mapped
/// address space and resident memory flat (read from /proc/self/status).
@Test func thousandRuntimesGiveTheirMemoryBack() throws {
    func status(_ key: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0   // kB
        }
        return 0
    }
    func oneRuntime(_ i: Int) throws {
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
    }
    for i in 0..<100 { try oneRuntime(i) }   // warm up pools and caches
    let vm0 = status("VmSize"), rss0 = status("VmRSS")
    for i in 0..<1_000 { try oneRuntime(i) }
    let vm1 = status("VmSize"), rss1 = status("VmRSS")
    // A leaked arena alone is 1 GiB of address space; a leaked scheduler, its goroutines'
    // stacks. Resident memory is read in a process that runs other tests in parallel, so
    // the bound allows their noise (runtimes that leak grew it by ~180 kB each: 180 MB).
    #expect(vm1 - vm0 < 256 << 10, "mapped address space grew by \(vm1 - vm0) kB over 1,000 runtimes")
    #expect(rss1 - rss0 < 48 << 10, "resident memory grew by \(rss1 - rss0) kB over 1,000 runtimes")
}
