import Foundation
import GMP
import GCBenchKit
import Synchronization
import TriColor

/// `net/server`: a request/response server on loopback whose handler lives on the managed
/// heap (issue #16's `server`), run for every collector and, as the baseline, with GC off.
///
/// C client goroutines (same scheduler) each hold one connection and send 64-byte requests
/// one at a time: a session id, an item key and 48 bytes of "headers". The server runs a
/// goroutine per connection; per request the handler
///   1. parses the request into heap objects: a Request with three Header objects (16
///      header bytes each) linked from it;
///   2. looks the session up in a session cache held in global 0 (a Cache object -> a
///      Table of 1,024 buckets -> chains of Session objects, each owning a 64-byte Data
///      object: the live set, `sessions` of them, built before the measured region),
///      counts the hit and replaces the session's Data with a new one (a pointer store
///      into an old object: the collectors' barriers at work; the old Data is garbage);
///   3. builds the response as a Response with 32 Item objects and a 2,048-byte Body
///      rendered from them, and writes the Body back.
/// About 4 KB allocated per request (with the default 4 MB minimum heap goal, a run of
/// 4,000 requests over 20,000 sessions sees several cycles). Clients partition the session ids (client k uses
/// ids = k mod C), so no two handlers touch one session at once.
///
/// Metrics: `kreq_per_s`, and the request latency (client write to the reply's last byte,
/// including the wait behind other connections' requests) as `req_p50/p99/p999_us`; the
/// op/stall columns time the same requests; MMU and pauses come from the runtime's events
/// as in the other heap suites. What the slow requests were made of goes to the JSON/CSV
/// (GCBenchKit's TailAttribution): per GC event kind, the mean GC time inside a request,
/// over the requests at or above the p99 (`tail_<kind>_us`) and over all (`all_<kind>_us`),
/// the tail's mean latency (`tail_req_us`) and the share of it that overlapped a cycle
/// (`tail_in_cycle_pct`). Each run serves `requests` requests in all, so the default run
/// costs a fraction of a second per row.
enum NetServer {
    static let clients = 8
    static let buckets = 1024
    static let requestBytes = 64
    static let bodyBytes = 2048
    static let operation = "one request, client write to the reply's last byte (queueing behind the other "
        + "\(clients) connections included); op columns = req columns"

    static var workload: HeapWorkload {
        HeapWorkload(suite: "net", name: "server", run: { s in
            run(s, sessions: s.quick ? 4_000 : 20_000, requests: s.quick ? 1_000 : 4_000)
        }, operation: operation)
    }

    struct Types {
        let cache, table, session, data, request, header, response, item, body: ObjectType
        init(_ rt: TriColorRuntime) {
            cache = rt.registerType(name: "Cache", pointerFields: 1)
            table = rt.registerType(name: "Table", pointerFields: NetServer.buckets)
            session = rt.registerType(name: "Session", pointerFields: 2, scalarBytes: 16)  // next, data; id, hits
            data = rt.registerType(name: "Data", pointerFields: 0, scalarBytes: 64)
            request = rt.registerType(name: "Request", pointerFields: 1, scalarBytes: 16)  // headers; id, key
            header = rt.registerType(name: "Header", pointerFields: 1, scalarBytes: 16)   // next; bytes
            response = rt.registerType(name: "Response", pointerFields: 2)                // items, body
            item = rt.registerType(name: "Item", pointerFields: 1, scalarBytes: 40)        // next; fields
            body = rt.registerType(name: "Body", pointerFields: 0, scalarBytes: NetServer.bodyBytes)
        }
    }

    static func bucket(_ id: UInt64) -> Int { Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> 54) }

    /// The session cache: `n` sessions with ids 0..<n, each with its Data, in global 0.
    static func buildCache(_ rt: TriColorRuntime, _ t: Types, sessions n: Int) {
        rt.setGlobal(0, rt.alloc(t.cache))
        rt.store(rt.global(0), 0, rt.alloc(t.table))
        for id in 0..<UInt64(n) {
            rt.withFrame {
                let s = rt.allocSlot(t.session)
                rt.storeScalar(id, into: rt[s], at: 0)
                rt.store(rt[s], 1, rt.alloc(t.data))
                let table = rt.load(rt.global(0), 0), b = bucket(id)
                rt.store(rt[s], 0, rt.load(table, b))
                rt.store(table, b, rt[s])
            }
        }
    }

    /// One request (`req`, 64 bytes) handled on the heap; the reply is rendered into `reply`.
    static func handle(_ rt: TriColorRuntime, _ t: Types, _ req: UnsafeRawBufferPointer, _ reply: UnsafeMutableRawBufferPointer) {
        rt.withFrame {
            // 1. Parse into a Request with its Headers.
            let id = req.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
            let key = req.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let rq = rt.allocSlot(t.request)
            rt.storeScalar(id, into: rt[rq], at: 0)
            rt.storeScalar(key, into: rt[rq], at: 8)
            for h in 0..<3 {
                let hd = rt.alloc(t.header)
                rt.storeScalar(req.loadUnaligned(fromByteOffset: 16 + 16 * h, as: UInt64.self), into: hd, at: 0)
                rt.storeScalar(req.loadUnaligned(fromByteOffset: 24 + 16 * h, as: UInt64.self), into: hd, at: 8)
                rt.store(hd, 0, rt.load(rt[rq], 0))
                rt.store(rt[rq], 0, hd)
            }
            // 2. The session: count the hit, replace its Data.
            let table = rt.load(rt.global(0), 0)
            var s = rt.load(table, bucket(id))
            while !s.isNil && rt.loadScalar(s, at: 0, as: UInt64.self) != id { s = rt.load(s, 0) }
            precondition(!s.isNil, "net/server: session \(id) is not in the cache")
            let ss = rt.push(s)
            let hits = rt.loadScalar(rt[ss], at: 8, as: UInt64.self) &+ 1
            rt.storeScalar(hits, into: rt[ss], at: 8)
            let d = rt.alloc(t.data)
            var hd = rt.load(rt[rq], 0)
            var off = 0
            while !hd.isNil {
                rt.storeScalar(rt.loadScalar(hd, at: 0, as: UInt64.self), into: d, at: off)
                rt.storeScalar(rt.loadScalar(hd, at: 8, as: UInt64.self), into: d, at: off + 8)
                off += 16
                hd = rt.load(hd, 0)
            }
            rt.store(rt[ss], 1, d)
            // 3. The response: Items, then a Body rendered from them.
            let resp = rt.allocSlot(t.response)
            for i in 0..<32 {
                let it = rt.alloc(t.item)
                for f in 0..<5 { rt.storeScalar(key &+ UInt64(i) &* hits &+ UInt64(f), into: it, at: 8 * f) }
                rt.store(it, 0, rt.load(rt[resp], 0))
                rt.store(rt[resp], 0, it)
            }
            let body = rt.alloc(t.body)
            rt.store(rt[resp], 1, body)
            rt.storeScalar(id, into: body, at: 0)
            rt.storeScalar(hits, into: body, at: 8)
            var it = rt.load(rt[resp], 0), at = 16
            while !it.isNil {
                for f in 0..<5 where at + 8 <= bodyBytes {
                    rt.storeScalar(rt.loadScalar(it, at: 8 * f, as: UInt64.self), into: body, at: at)
                    at += 8
                }
                it = rt.load(it, 0)
            }
            for w in stride(from: 0, to: bodyBytes, by: 8) {
                reply.storeBytes(of: rt.loadScalar(body, at: w, as: UInt64.self), toByteOffset: w, as: UInt64.self)
            }
        }
    }

    /// Reads exactly `buf.count` bytes; false at end of stream.
    static func readFull(_ c: NetConnection, _ buf: UnsafeMutableRawBufferPointer) throws -> Bool {
        var got = 0
        while got < buf.count {
            let n = try c.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[got...]))
            if n == 0 { return false }
            got += n
        }
        return true
    }

    static func run(_ s: RunSettings, sessions: Int, requests: Int) -> HeapRun {
        let rt = makeRuntime(s)
        let t = Types(rt)
        let window = Window()
        let log = LatencyLog()
        let intervals = Mutex<[Range<Int64>]>([])
        let done = Atomic<Int>(0)
        do {
            try rt.run {
                buildCache(rt, t, sessions: sessions)
                rt.collect()
                let ln = try TCPListener(host: "127.0.0.1", port: 0)
                let served = WaitGroup()
                go {
                    while let c = try? ln.accept() {
                        served.add(1)
                        go {
                            defer { served.done() }
                            let req = UnsafeMutableRawBufferPointer.allocate(byteCount: requestBytes, alignment: 8)
                            let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: bodyBytes, alignment: 8)
                            defer { req.deallocate(); reply.deallocate() }
                            while (try? readFull(c, req)) == true {
                                handle(rt, t, UnsafeRawBufferPointer(req), reply)
                                if (try? c.write(UnsafeRawBufferPointer(reply))) == nil { break }
                            }
                            try? c.close()
                        }
                    }
                }
                let conns = try (0..<clients).map { _ in try dial(host: "127.0.0.1", port: ln.localPort, timeout: .seconds(10)) }
                window.begin(rt)
                runGoroutines(clients) { k in
                    let c = conns[k]
                    var lat = OpLatency()
                    var mine: [Range<Int64>] = []
                    mine.reserveCapacity(requests / clients)
                    var rng = SplitMix64(seed: UInt64(k + 1))
                    let req = UnsafeMutableRawBufferPointer.allocate(byteCount: requestBytes, alignment: 8)
                    let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: bodyBytes, alignment: 8)
                    defer { req.deallocate(); reply.deallocate() }
                    for i in 0..<requestBytes { req[i] = UInt8(truncatingIfNeeded: 0x41 + i) }
                    let perClient = sessions / clients
                    for _ in 0..<(requests / clients) {
                        let id = UInt64(k + clients * Int(rng.next() % UInt64(perClient)))
                        req.storeBytes(of: id, toByteOffset: 0, as: UInt64.self)
                        req.storeBytes(of: rng.next(), toByteOffset: 8, as: UInt64.self)
                        let t0 = nanotime()
                        do {
                            try c.write(UnsafeRawBufferPointer(req))
                            guard try readFull(c, reply) else { fatalError("net/server: the server closed connection \(k)") }
                        } catch { fatalError("net/server: client \(k): \(error)") }
                        let t1 = nanotime()
                        lat.record(t1 - t0)
                        mine.append(t0..<t1)
                        precondition(reply.load(fromByteOffset: 0, as: UInt64.self) == id, "net/server: reply for another session")
                        done.add(1, ordering: .relaxed)
                    }
                    log.add(lat)
                    intervals.withLock { $0 += mine }
                }
                window.finish(rt)
                for c in conns { try c.close() }
                try ln.close()
                served.wait()
            }
        } catch { fatalError("gcbench: net/server failed: \(error)") }
        let lat = log.value
        let secs = Double(window.end - window.start) / 1e9
        var extra = [
            "kreq_per_s": Double(done.load(ordering: .relaxed)) / secs / 1e3,
            "req_p50_us": lat.percentile(0.50) / 1e3, "req_p99_us": lat.percentile(0.99) / 1e3,
            "req_p999_us": lat.percentile(0.999) / 1e3,
        ]
        extra.merge(TailAttribution(requests: intervals.withLock { $0 }, events: rt.events).metrics) { _, new in new }
        return HeapRun(rt: rt, window: window, extra: extra, latency: lat)
    }

    /// The server rows: every collector (HeapBench), then at each procs a GOGC=off row
    /// (collector "off": no cycle runs) and a note comparing hybrid's p99 request latency
    /// with it (issue #16's target: within 2x).
    static func results(_ o: Options) -> [BenchResult] {
        var out = HeapBench.run([workload], o)
        for p in o.procs {
            var s = RunSettings(collector: .markSweep, procs: p, quick: o.quick, depth: o.depth)
            s.gcOff = true
            var runs: [[String: Double]] = []
            for _ in 0..<o.repeats { runs.append(collectMetrics(workload.run(s), procs: p, profile: false).0) }
            let (med, rng) = summarise(runs)
            var off = BenchResult(suite: "net", workload: "server", collector: "off", procs: p,
                                  metrics: med, ranges: rng, repeats: o.repeats, runs: runs)
            off.notes.append("off procs \(p): GOGC=off (no pacer, no cycle), the baseline for the target")
            if let h = out.first(where: { $0.collector == "hybrid" && $0.procs == p })?.metrics["req_p99_us"],
               let b = med["req_p99_us"], b > 0 {
                off.notes.append("hybrid procs \(p): request p99 \(fmt(h)) us = \(String(format: "%.2f", h / b))x GC off's "
                    + "\(fmt(b)) us (target <= 2: \(h / b <= 2 ? "met" : "MISSED"))")
            }
            let at = (out.lastIndex(where: { $0.procs == p }) ?? out.count - 1) + 1
            out.insert(off, at: at)
            RunProgress.shared.report("net/server off procs=\(p)", "wall \(fmt(med["wall_ms"] ?? 0)) ms", workload: "server", repeats: o.repeats)
        }
        return out
    }
}
