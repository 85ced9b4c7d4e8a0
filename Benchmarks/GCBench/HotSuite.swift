import Foundation
import GMP
import GCBenchKit
import TriColor

/// Suite `hot`: the runtime's hot paths one at a time, in ns per operation, each a tight
/// loop inside one goroutine of a fresh runtime at the suite's procs (issue #13):
///
///   * `alloc`: ns per allocation by object size, marking off (markSweep, no cycle runs:
///     the pacer is off) and on (hybrid with a mark begun by hand and left open: the
///     barrier is on, new objects are allocated black; no assists, since no background
///     cycle paces it). The loop's objects are garbage; no cycle runs during it, and it
///     reuses the spans of an earlier pass that a collection freed (steady state).
///   * `store`: ns per pointer store into a field of one of 1,024 rooted objects, barrier
///     off (markSweep) and on (each concurrent collector, with a mark open): buffer append
///     plus the flush every 256 entries, amortised.
///   * `blacken`: ns per object scanned (blackened) by a mark over a rooted binary tree of
///     2^18 two-pointer nodes: markSweep's stop-the-world mark (its cycle record's mark
///     time over the objects marked) and a concurrent drain (hybrid, mark begun by hand).
///   * `safepoint`: ns per `Goroutine.safePoint()` that does not stop.
///   * `yield`, `chan`, `spawn`: the sched suite's yield ping-pong round trip, unbuffered
///     channel round trip and spawn+exit (1,000 in flight), with the same three measured by
///     a Go 1.19 program (Benchmarks/go/hot.go) when `go` is on PATH (`go_ns`); the
///     table says why the Go cells are empty otherwise.
///
/// Not part of the default run (its scheduler rows repeat the sched suite's at a smaller
/// size): `gcbench --suite hot`.
enum HotSuite {
    static let workloads = ["alloc", "store", "blacken", "safepoint", "yield", "chan", "spawn"]

    /// Object sizes of the `alloc` rows: (label, pointer fields, scalar bytes).
    static let sizes: [(String, Int, Int)] = [("16B", 1, 0), ("32B", 2, 8), ("64B", 2, 40), ("256B", 2, 232), ("1KiB", 2, 1000)]

    static func run(_ o: Options) -> [BenchResult] {
        var out: [BenchResult] = []
        let selected = workloads.filter { o.workloads.isEmpty || o.workloads.contains($0) }
        let scale = o.quick ? 1 : 5
        for p in o.procs {
            let go = selected.contains(where: { ["yield", "chan", "spawn"].contains($0) }) ? GoHot.run(procs: p, scale: scale) : nil
            for w in selected {
                for (row, body) in rows(w, scale: scale) {
                    let (m, r, runs) = measure(repeats: o.repeats, warmup: true) { body(p) }
                    var res = BenchResult(suite: "hot", workload: w, collector: row, procs: p, metrics: m, ranges: r, repeats: o.repeats)
                    res.runs = runs
                    if let go {
                        switch go {
                        case .measured(let g):
                            if let v = g[w] { res.metrics["go_ns"] = v; res.ranges["go_ns"] = (v, v) }
                        case .unavailable(let why):
                            if ["yield", "chan", "spawn"].contains(w) { res.notes.append("go_ns empty: \(why)") }
                        }
                    }
                    if let n = target(w, m["ns"]) { res.notes.append(n) }
                    out.append(res)
                    RunProgress.shared.report("hot/\(w) \(row) procs=\(p)", m["ns"].map { "\(fmt($0)) ns" } ?? "",
                                              workload: "hot", repeats: o.repeats + 1)
                }
            }
        }
        return out
    }

    /// The progress weight of every configuration (row) `run(o)` runs, in order.
    static func configurations(_ o: Options) -> [Double] {
        let rowCount = workloads.filter { o.workloads.isEmpty || o.workloads.contains($0) }.reduce(0) { $0 + rows($1, scale: 1).count }
        return Array(repeating: RunProgress.weight("hot", repeats: o.repeats + 1), count: rowCount * o.procs.count)
    }

    static func target(_ w: String, _ v: Double?) -> String? {
        guard let v else { return nil }
        switch w {
        case "yield": return "target yield round trip <= 150 ns: \(fmt(v)) -> \(v <= 150 ? "met" : "MISSED")"
        case "spawn": return "target spawn+exit <= 300 ns: \(fmt(v)) -> \(v <= 300 ? "met" : "MISSED")"
        default: return nil
        }
    }

    /// The rows of workload `w`: (row label, one measurement at procs p).
    static func rows(_ w: String, scale: Int) -> [(String, (Int) -> [String: Double])] {
        switch w {
        case "alloc":
            return sizes.flatMap { (label, ptrs, scalars) in
                let n = min(200_000 * scale, (256 << 20) / ((ptrs + 1) * 8 + scalars))
                return [("\(label) marking off", { p in alloc(procs: p, ptrs: ptrs, scalars: scalars, n: n, marking: false) }),
                        ("\(label) marking on", { p in alloc(procs: p, ptrs: ptrs, scalars: scalars, n: n, marking: true) })]
            }
        case "store":
            let kinds: [CollectorKind] = [.markSweep] + CollectorKind.safe.filter { $0 != .markSweep }
            return kinds.map { k in
                (k == .markSweep ? "barrier off (markSweep)" : "barrier on (\(k.rawValue))",
                 { p in store(procs: p, collector: k, n: 1_000_000 * scale) })
            }
        case "blacken":
            return [("markSweep (stop-the-world)", { p in blacken(procs: p, collector: .markSweep) }),
                    ("hybrid (concurrent drain)", { p in blacken(procs: p, collector: .hybrid) })]
        case "safepoint":
            return [("Goroutine.safePoint", { p in safePoint(procs: p, n: 2_000_000 * scale) })]
        case "yield":
            return [("ping-pong round trip", { p in ["ns": SchedSuite.yieldPingPong(procs: p, n: 100_000 * scale)["ns_per_roundtrip"]!] })]
        case "chan":
            return [("unbuffered round trip", { p in ["ns": SchedSuite.chanPingPong(procs: p, n: 50_000 * scale)["ns_per_roundtrip"]!] })]
        case "spawn":
            return [("spawn+exit, 1,000 in flight", { p in
                ["ns": SchedSuite.spawn(procs: p, n: 50_000 * scale, inFlight: 1_000)["ns_per_goroutine"]!] })]
        default: fatalError("unknown hot workload \(w)")
        }
    }

    /// A runtime with the pacer off (no cycle starts by itself) at `procs`.
    static func quietRuntime(_ collector: CollectorKind, procs: Int) -> TriColorRuntime {
        var cfg = RuntimeConfig.fromEnvironment()
        cfg.collector = collector
        cfg.scheduler.procs = procs
        cfg.gogc = nil
        do { return try TriColorRuntime(cfg) } catch { fatalError("gcbench: \(error)") }
    }

    static func runOrDie(_ rt: TriColorRuntime, _ what: String, _ body: @Sendable @escaping () -> Void) {
        do { try rt.run(body) } catch { fatalError("gcbench: hot \(what) failed: \(error)") }
    }

    /// `n` allocations of an object with `ptrs` pointer fields and `scalars` scalar bytes.
    static func alloc(procs: Int, ptrs: Int, scalars: Int, n: Int, marking: Bool) -> [String: Double] {
        let rt = quietRuntime(marking ? .hybrid : .markSweep, procs: procs)
        let t = rt.registerType(name: "Obj", pointerFields: ptrs, scalarBytes: scalars)
        let elapsed = Box(0.0)
        runOrDie(rt, "alloc") {
            // A first pass of garbage and a collection that frees it: the timed pass reuses
            // swept spans (zeroing them itself), as a program in its steady state does,
            // rather than timing the kernel's first touch of fresh pages.
            for _ in 0..<n { _ = rt.alloc(t) }
            rt.collect()
            let cc = rt.concurrentCollector
            if marking { cc!.stepBegin() }
            let t0 = nanotime()
            for _ in 0..<n { _ = rt.alloc(t) }
            elapsed.value = Double(nanotime() - t0)
            if marking { _ = cc!.stepFinish() }
        }
        return ["ns": elapsed.value / Double(n)]
    }

    /// `n` pointer stores into field 0 of 1,024 two-pointer objects chained through field 1
    /// from global 0; with a concurrent collector, inside a mark begun by hand.
    static func store(procs: Int, collector: CollectorKind, n: Int) -> [String: Double] {
        let rt = quietRuntime(collector, procs: procs)
        let node = rt.registerType(name: "Node", pointerFields: 2)
        let elapsed = Box(0.0)
        let k = 1_024
        runOrDie(rt, "store") {
            for _ in 0..<k {      // a chain through field 1, pushed at the front
                let r = rt.alloc(node)
                rt.store(r, 1, rt.global(0))
                rt.setGlobal(0, r)
            }
            var refs: [Ref] = []
            refs.reserveCapacity(k)
            // Collect the chain's Refs (no safe point from here to the end of the loop, so
            // they stay valid: the only cycle is the one begun below, which frees nothing).
            let cc = rt.concurrentCollector
            cc?.stepBegin()
            var r = rt.global(0)
            while !r.isNil { refs.append(r); r = rt.load(r, 1) }
            let mask = k - 1
            let t0 = nanotime()
            for i in 0..<n { rt.store(refs[i & mask], 0, refs[(i &* 7) & mask]) }
            elapsed.value = Double(nanotime() - t0)
            if let cc { _ = cc.stepFinish() }
        }
        return ["ns": elapsed.value / Double(n)]
    }

    /// A complete binary tree of 2^18 - 1 nodes rooted in global 0, then one mark over it.
    static func blacken(procs: Int, collector: CollectorKind) -> [String: Double] {
        let rt = quietRuntime(collector, procs: procs)
        let node = rt.registerType(name: "Node", pointerFields: 2)
        let result = Box<[String: Double]>([:])
        runOrDie(rt, "blacken") {
            rt.setGlobal(0, buildTree(rt, node, depth: 18))
            if let cc = rt.concurrentCollector {
                cc.stepBegin()
                let t0 = nanotime()
                let objects = cc.stepDrain()
                let dt = Double(nanotime() - t0)
                _ = cc.stepFinish()
                result.value = ["ns": dt / Double(max(objects, 1)), "objects": Double(objects)]
            } else {
                rt.collect()
                guard let rec = rt.stats.records.last, rec.markedObjects > 0 else { return }
                result.value = ["ns": Double(rec.markNS) / Double(rec.markedObjects), "objects": Double(rec.markedObjects)]
            }
        }
        return result.value
    }

    /// `n` safe points that do not stop.
    static func safePoint(procs: Int, n: Int) -> [String: Double] {
        let elapsed = Box(0.0)
        _ = runScheduler(procs: procs) {
            let t0 = nanotime()
            for _ in 0..<n { Goroutine.safePoint() }
            elapsed.value = Double(nanotime() - t0)
        }
        return ["ns": elapsed.value / Double(n)]
    }
}

/// The Go program of the hot suite (Benchmarks/go/hot.go), built and run once per procs.
enum GoHot {
    enum Outcome {
        case measured([String: Double])
        case unavailable(String)
    }

    /// hot.go, found from this source file's path (it is data in the package, not a target).
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("go/hot.go").path

    /// `go` on PATH, or nil.
    static func goTool() -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/go"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func run(procs: Int, scale: Int) -> Outcome {
        guard let go = goTool() else { return .unavailable("no `go` on PATH") }
        guard FileManager.default.fileExists(atPath: source) else { return .unavailable("\(source) not found") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gcbench-gohot-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = dir.appendingPathComponent("hot").path
        var env = ProcessInfo.processInfo.environment
        if env["GOCACHE"] == nil && env["HOME"] == nil { env["GOCACHE"] = dir.appendingPathComponent("cache").path }
        guard let (status, _, err) = exec(go, ["build", "-o", bin, source], env: env) else {
            return .unavailable("`go build` could not start")
        }
        guard status == 0 else {
            return .unavailable("`go build` of \(source) failed: \(err.split(separator: "\n").first ?? "")")
        }
        env["GOMAXPROCS"] = String(procs)
        guard let (rs, text, _) = exec(bin, [String(scale)], env: env), rs == 0 else { return .unavailable("the Go program failed") }
        var m: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 2, let v = Double(f[1]) else { continue }
            switch f[0] {
            case "yield_ns": m["yield"] = v
            case "chan_ns": m["chan"] = v
            case "spawn_ns": m["spawn"] = v
            default: break
            }
        }
        return m.isEmpty ? .unavailable("the Go program printed nothing") : .measured(m)
    }

    /// Runs `tool args` with `env`; returns (status, stdout, stderr), nil if it cannot start.
    static func exec(_ tool: String, _ args: [String], env: [String: String]) -> (Int32, String, String)? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { return nil }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
