import CContext
import Foundation
import GMP
import Synchronization

/// Suite `sched`: the scheduler's hot paths (context switch, run queue, channels, spawn)
/// and the resident memory of parked goroutines.
enum SchedSuite {
    static let workloads = ["yield-pingpong", "chan-pingpong", "spawn", "spawn-burst", "fanin", "live-goroutines", "raw-switch"]

    static func run(_ o: Options) -> [BenchResult] {
        var out: [BenchResult] = []
        for w in workloads where o.workloads.isEmpty || o.workloads.contains(w) {
            let procsList = w == "raw-switch" ? [1] : o.procs
            for p in procsList {
                if w == "raw-switch" && tc_switch_hooks_loaded() != 0 {
                    var res = BenchResult(suite: "sched", workload: w, procs: p, metrics: [:], ranges: [:], repeats: o.repeats)
                    res.notes = ["not measured: a sanitizer's fiber hooks are loaded, and the raw switch bypasses them"]
                    out.append(res)
                    RunProgress.shared.report("sched/\(w) procs=\(p)", "not measured under a sanitizer", workload: w, repeats: o.repeats)
                    continue
                }
                // Warm-up: a tenth of a timed run (it only has to touch the code paths, the
                // stacks and the free lists once; a full-size warm-up cost a quarter of the
                // suite and gained nothing: issue 13). live-goroutines needs none.
                if w != "live-goroutines" { _ = one(w, procs: p, o, fraction: 10) }
                let (m, r, runs) = measure(repeats: o.repeats, warmup: false) { one(w, procs: p, o) }
                var res = BenchResult(suite: "sched", workload: w, procs: p, metrics: m, ranges: r, repeats: o.repeats)
                res.runs = runs
                res.notes = notes(w, m)
                if w == "live-goroutines", let parked = m["parked"], parked < Double(liveRequested(o)) {
                    res.notes.append("only \(fmt(parked)) of the \(liveRequested(o)) goroutines spawned were parked when progress stalled")
                }
                out.append(res)
                RunProgress.shared.report("sched/\(w) procs=\(p)", m.keys.sorted().map { "\($0) \(fmt(m[$0]!))" }.joined(separator: ", "),
                                          workload: w, repeats: o.repeats)
            }
        }
        return out
    }

    /// The progress weight of every configuration `run(o)` runs, in order.
    static func configurations(_ o: Options) -> [Double] {
        workloads.filter { o.workloads.isEmpty || o.workloads.contains($0) }.flatMap { w in
            Array(repeating: RunProgress.weight(w, repeats: o.repeats), count: w == "raw-switch" ? 1 : o.procs.count)
        }
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

    /// One run of workload `w` (at 1/`fraction` of its size, for the warm-up). The sizes
    /// are means over at least 125,000 operations (0.1-0.3 s a run here; halved from
    /// 250,000 for the default run's time budget, issue 13): the sampling error of such a
    /// mean is far below the run-to-run spread the tables show (several percent, the
    /// machine's noise), so more operations per run would not narrow it.
    static func one(_ w: String, procs: Int, _ o: Options, fraction: Int = 1) -> [String: Double] {
        func n(_ quick: Int, _ full: Int) -> Int { max(1_000, (o.quick ? quick : full) / fraction) }
        switch w {
        case "yield-pingpong": return yieldPingPong(procs: procs, n: n(100_000, 500_000))
        case "chan-pingpong": return chanPingPong(procs: procs, n: n(100_000, 250_000))
        case "spawn": return spawn(procs: procs, n: n(100_000, 250_000), inFlight: 1_000)
        case "spawn-burst": return spawn(procs: procs, n: n(100_000, 125_000), inFlight: nil)
        case "fanin": return fanin(procs: procs, goroutines: max(10, (o.quick ? 1_000 : 10_000) / fraction), sends: o.quick ? 100 : 50)
        case "live-goroutines": return liveGoroutines(procs: procs, n: liveRequested(o), small: o.smallStacks)
        case "raw-switch": return rawSwitch(n: n(1_000_000, 2_000_000))
        default: fatalError("unknown workload \(w)")
        }
    }

    /// How many goroutines `live-goroutines` spawns (an input, not a result).
    static func liveRequested(_ o: Options) -> Int { o.smallStacks ? 1_000_000 : (o.quick ? 20_000 : 100_000) }

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

    /// Spawns `n` goroutines that each park receiving on one channel, and reports what it
    /// measured once they are parked: `parked`, the goroutines the scheduler shows waiting in
    /// that receive, and `rss_bytes_per_goroutine`, the growth of the resident set
    /// (/proc/self/statm) from before the first spawn to then, over `parked`. If not all `n`
    /// are parked when progress stalls for `stallNS`, the counts at that moment are reported.
    static func liveGoroutines(procs: Int, n: Int, small: Bool, stallNS: Int64 = 5_000_000_000) -> [String: Double] {
        let result = Box<[String: Double]>([:])
        _ = runScheduler(procs: procs, smallStacks: small) {
            let gate = Channel<Int>()
            let arrived = ParkCounter()
            let rss0 = tc_rss_bytes()
            for _ in 0..<n {
                go {
                    arrived.value.wrappingAdd(1, ordering: .relaxed)
                    _ = gate.receive()
                }
            }
            let parked = waitParked(n, arrived: arrived, stallNS: stallNS)
            let rss1 = tc_rss_bytes()
            var m: [String: Double] = ["parked": Double(parked)]
            if parked > 0, rss0 >= 0, rss1 >= 0 { m["rss_bytes_per_goroutine"] = Double(rss1 - rss0) / Double(parked) }
            result.value = m
            gate.close()
        }
        return result.value
    }

    /// Polls (sleeping 1 ms between looks) until `n` goroutines are parked in a channel
    /// receive, or until neither `arrived` (incremented by each goroutine just before it
    /// parks) nor the parked count has changed for `stallNS`. Returns the parked count last
    /// seen. Call from a goroutine of the scheduler in question.
    static func waitParked(_ n: Int, arrived: ParkCounter, stallNS: Int64) -> Int {
        var last = (-1, -1)
        var changed = nanotime()
        while true {
            let a = arrived.value.load(ordering: .relaxed)
            let stalled = nanotime() - changed > stallNS
            // Scanning every goroutine costs O(n): do it once all have arrived, or at a stall.
            let p = a >= n || stalled ? parkedOnChannel() : last.1
            if p >= n || stalled { return p }
            if (a, p) != last { last = (a, p); changed = nanotime() }
            Goroutine.sleep(nanoseconds: 1_000_000)
        }
    }

    /// The goroutines of the calling goroutine's scheduler now parked in a channel receive.
    static func parkedOnChannel() -> Int {
        guard let me = Goroutine.current else { return 0 }
        var k = 0
        me.scheduler.forEachGoroutine { g in
            if g !== me, g.currentStatus == .waiting, g.waitReason == .chanReceive { k += 1 }
        }
        return k
    }

    /// The bare register switch between two contexts, no scheduler (for reference).
    static func rawSwitch(n: Int) -> [String: Double] {
        let main = UnsafeMutablePointer<tc_context>.allocate(capacity: 1)
        let other = UnsafeMutablePointer<tc_context>.allocate(capacity: 1)
        other.initialize(to: tc_context())   // tc_context_init wants zeroed memory
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

/// A counter the goroutines of `live-goroutines` increment just before they park.
final class ParkCounter: Sendable {
    let value = Atomic<Int>(0)
}

/// A mutable cell shared with a goroutine body.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ v: T) { value = v }
}
