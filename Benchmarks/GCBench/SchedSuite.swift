import CContext
import Foundation
import GMP
import Synchronization

/// Suite `sched`: the scheduler's hot paths (context switch, run queue, channels, spawn)
/// and how many parked goroutines fit.
enum SchedSuite {
    static let workloads = ["yield-pingpong", "chan-pingpong", "spawn", "spawn-burst", "fanin", "live-goroutines", "raw-switch"]

    static func run(_ o: Options) -> [BenchResult] {
        var out: [BenchResult] = []
        for w in workloads where o.workloads.isEmpty || o.workloads.contains(w) {
            let procsList = w == "raw-switch" ? [1] : o.procs
            for p in procsList {
                let (m, r, runs) = measure(repeats: o.repeats, warmup: w != "live-goroutines") { one(w, procs: p, o) }
                var res = BenchResult(suite: "sched", workload: w, procs: p, metrics: m, ranges: r, repeats: o.repeats)
                res.runs = runs
                res.notes = notes(w, m)
                out.append(res)
            }
        }
        return out
    }

    static func notes(_ w: String, _ m: [String: Double]) -> [String] {
        func target(_ key: String, _ limit: Double, _ cmp: (Double, Double) -> Bool, _ sym: String) -> [String] {
            guard let v = m[key] else { return [] }
            return ["target \(key) \(sym) \(fmt(limit)): \(fmt(v)) -> \(cmp(v, limit) ? "met" : "MISSED")"]
        }
        switch w {
        case "yield-pingpong": return target("ns_per_roundtrip", 150, <=, "<=")
        case "chan-pingpong": return target("ns_per_roundtrip", 250, <=, "<=")
        case "spawn": return target("ns_per_goroutine", 300, <=, "<=")
        default: return []
        }
    }

    static func one(_ w: String, procs: Int, _ o: Options) -> [String: Double] {
        switch w {
        case "yield-pingpong": return yieldPingPong(procs: procs, n: o.quick ? 100_000 : 2_000_000)
        case "chan-pingpong": return chanPingPong(procs: procs, n: o.quick ? 100_000 : 1_000_000)
        case "spawn": return spawn(procs: procs, n: o.quick ? 100_000 : 1_000_000, inFlight: 1_000)
        case "spawn-burst": return spawn(procs: procs, n: o.quick ? 100_000 : 1_000_000, inFlight: nil)
        case "fanin": return fanin(procs: procs, goroutines: o.quick ? 1_000 : 10_000, sends: 100)
        case "live-goroutines":
            return liveGoroutines(procs: procs, n: o.smallStacks ? 1_000_000 : (o.quick ? 20_000 : 100_000), small: o.smallStacks)
        case "raw-switch": return rawSwitch(n: o.quick ? 1_000_000 : 10_000_000)
        default: fatalError("unknown workload \(w)")
        }
    }

    /// Two goroutines alternately yielding; one round trip = each yields once.
    static func yieldPingPong(procs: Int, n: Int) -> [String: Double] {
        let elapsed = Box(0.0)
        _ = runScheduler(procs: procs) {
            let wg = WaitGroup()
            wg.add(2)
            let t0 = nanotime()
            for _ in 0..<2 {
                go {
                    for _ in 0..<n { Goroutine.yield() }
                    wg.done()
                }
            }
            wg.wait()
            elapsed.value = Double(nanotime() - t0)
        }
        return ["ns_per_roundtrip": elapsed.value / Double(n)]
    }

    /// Two goroutines bouncing a value over two unbuffered channels.
    static func chanPingPong(procs: Int, n: Int) -> [String: Double] {
        let elapsed = Box(0.0)
        _ = runScheduler(procs: procs) {
            let ping = Channel<Int>(), pong = Channel<Int>()
            go {
                while let v = ping.receive() { pong.send(v + 1) }
            }
            let t0 = nanotime()
            var x = 0
            for _ in 0..<n {
                ping.send(x)
                x = pong.receive()!
            }
            elapsed.value = Double(nanotime() - t0)
            precondition(x == n, "chan-pingpong lost a message")
            ping.close()
        }
        return ["ns_per_roundtrip": elapsed.value / Double(n)]
    }

    /// Create, run and exit `n` goroutines. `spawn` keeps at most `inFlight` (1,000) alive
    /// at once, the steady state of a program that spawns short tasks: dead goroutines and
    /// their stacks are reused from the P's free lists (the pooled path). `spawn-burst`
    /// (`inFlight` nil) creates all `n` before any runs, so every goroutine needs a fresh
    /// stack whose first touch is a page fault: it measures the kernel as much as GMP.
    static func spawn(procs: Int, n: Int, inFlight: Int?) -> [String: Double] {
        let elapsed = Box(0.0)
        _ = runScheduler(procs: procs) {
            let t0 = nanotime()
            let batch = inFlight ?? n
            var left = n
            while left > 0 {
                let k = min(batch, left)
                let wg = WaitGroup()
                wg.add(k)
                for _ in 0..<k { go { wg.done() } }
                wg.wait()
                left -= k
            }
            elapsed.value = Double(nanotime() - t0)
        }
        return ["ns_per_goroutine": elapsed.value / Double(n)]
    }

    /// `goroutines` senders x `sends` messages into one unbuffered channel.
    static func fanin(procs: Int, goroutines: Int, sends: Int) -> [String: Double] {
        let elapsed = Box(0.0)
        _ = runScheduler(procs: procs) {
            let ch = Channel<Int>()
            let t0 = nanotime()
            for _ in 0..<goroutines {
                go { for i in 0..<sends { ch.send(i) } }
            }
            var total = 0
            for _ in 0..<(goroutines * sends) { total += ch.receive()! }
            elapsed.value = Double(nanotime() - t0)
            precondition(total == goroutines * (sends * (sends - 1) / 2), "fanin lost messages")
        }
        return ["ns_per_message": elapsed.value / Double(goroutines * sends)]
    }

    /// Parks `n` goroutines on a channel and measures resident memory per goroutine.
    static func liveGoroutines(procs: Int, n: Int, small: Bool) -> [String: Double] {
        let count = Box(0.0), bytes = Box(0.0)
        _ = runScheduler(procs: procs, smallStacks: small) {
            let gate = Channel<Int>()
            let started = WaitGroup()
            let rss0 = tc_rss_bytes()
            started.add(n)
            for _ in 0..<n {
                go {
                    started.done()
                    _ = gate.receive()
                }
            }
            started.wait()
            // Every goroutine has run and is parked in receive.
            let rss1 = tc_rss_bytes()
            count.value = Double(n)
            bytes.value = Double(rss1 - rss0) / Double(n)
            gate.close()
        }
        return ["count": count.value, "bytes_per_goroutine": bytes.value]
    }

    /// The bare register switch between two contexts, no scheduler (for reference).
    static func rawSwitch(n: Int) -> [String: Double] {
        let main = UnsafeMutablePointer<tc_context>.allocate(capacity: 1)
        let other = UnsafeMutablePointer<tc_context>.allocate(capacity: 1)
        let stackSize = 64 << 10
        var mode: Int32 = 0
        let slab = tc_stack_slab_map(1, stackSize, 64 << 10, &mode)!
        tc_context_init_thread(main)
        struct Ctx { var main: UnsafeMutablePointer<tc_context>; var other: UnsafeMutablePointer<tc_context> }
        let ctx = UnsafeMutablePointer<Ctx>.allocate(capacity: 1)
        ctx.initialize(to: Ctx(main: main, other: other))
        tc_context_init(other, slab + (64 << 10), stackSize, { raw in
            let c = raw!.assumingMemoryBound(to: Ctx.self)
            while true { tc_switch_raw(c.pointee.other, c.pointee.main) }
        }, ctx)
        let t0 = nanotime()
        for _ in 0..<n { tc_switch_raw(main, other) }
        let dt = Double(nanotime() - t0)
        // Two switches per iteration (there and back).
        return ["ns_per_switch": dt / Double(2 * n)]
    }
}

/// A mutable cell shared with a goroutine body.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ v: T) { value = v }
}
