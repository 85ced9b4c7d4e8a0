// The README's examples as a top-level program: `main.swift` code is main-actor isolated in
// Swift 6, so this is the program a new user writes first. Goroutine bodies are `@Sendable`,
// which keeps them (and the closures inside them) off the main actor: they run on M threads.
// `swift run readme-examples` prints both results; `MainProgramTests` runs it.
import GMP
import Synchronization
import TriColor

// README "Example": channels, a WaitGroup and closures inside goroutines.
try Scheduler.run(SchedulerConfig()) {          // blocks until the main goroutine returns
    let jobs = Channel<Int>(capacity: 16)
    let results = Channel<Int>()
    let wg = WaitGroup()
    for _ in 0..<4 {                              // four workers
        wg.add(1)
        go {
            for n in jobs { results.send(n * n) } // parks the goroutine, never the thread
            wg.done()
        }
    }
    go { for n in 1...100 { jobs.send(n) }; jobs.close() }
    go { wg.wait(); results.close() }
    var sum = 0
    for r in results { sum += r }
    print(sum)                                    // 338350
}

// Closures inside goroutines, and an atomic shared by goroutines (Go's sync/atomic).
let doubled = Atomic<Int>(0)
try Scheduler.run(SchedulerConfig()) {
    let xs = [1, 2, 3].map { $0 * 2 }
    let wg = WaitGroup()
    for _ in 0..<2 {
        wg.add(1)
        go {
            doubled.add(xs.map { $0 * 2 }.reduce(0, +), ordering: .relaxed)
            wg.done()
        }
    }
    wg.wait()
}
print("doubled", doubled.load(ordering: .relaxed))  // 48

// README "From Go": a select whose case ends the loop, a timeout, recover.
try Scheduler.run(SchedulerConfig()) {
    let results = Channel<Int>(capacity: 8)
    go { for i in 1...3 { results.send(i) }; results.close() }
    var sum = 0
    while true {
        let more: Bool = Select.run {
            $0.receive(from: results) { v in
                guard let v else { return false }             // closed: leave the loop
                sum += v
                return true
            }
            $0.receive(from: after(.seconds(5))) { _ in false } // Go's time.After timeout
        }
        if !more { break }
    }
    let p = Goroutine.recover { throw GoPanic("boom") }     // Go's recover()
    print("from go", sum, p.map { "recovered \($0)" } ?? "no panic")  // from go 6 recovered boom
}

// README "The managed heap".
var config = RuntimeConfig()            // or RuntimeConfig.fromEnvironment()
config.collector = .hybrid              // .markSweep, .insertion, .deletion, .hybrid
config.checkLevel = .cheap              // checkmark every cycle + checked Refs
config.arenaBytes = 1 << 30
let rt = try TriColorRuntime(config)
let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 8)
try rt.run {
    let head = rt.push(nil)                       // a stack slot: a root
    for i in 0..<1_000 {
        let n = rt.alloc(node)                    // safe point *before* allocating
        rt.storeScalar(Int64(i), into: n, at: 0)
        rt.store(n, 0, rt[head])                  // write barrier while marking
        rt[head] = n                              // n is now rooted
    }
    rt.collect()
    print(rt.stats.cycles, rt.heap.stats.liveObjects)
}
