import Foundation
import GCBenchKit
import GMP
import Synchronization

/// Suite `net`: loopback TCP echo through the netpoller (issue #16's `echo` part). C client
/// goroutines each hold one connection to an echo server (a goroutine per connection) and
/// send 64-byte messages one at a time, timing each round trip: `roundtrips_per_s` over
/// all clients and the round-trip latency percentiles. The server side and the clients
/// share the scheduler, as in the Go program this is meant to be compared with (not yet
/// written: issue #16).
enum NetSuite {
    static let workloads = ["echo-c1", "echo-c100"]

    static func run(_ o: Options) -> [BenchResult] {
        var out: [BenchResult] = []
        for w in workloads where o.workloads.isEmpty || o.workloads.contains(w) {
            let conns = w == "echo-c1" ? 1 : 100
            let total = o.quick ? 20_000 : 200_000
            for p in o.procs {
                // Warm-up: a tenth of a run (connections, buffers and the poller once).
                _ = echo(procs: p, conns: conns, roundTrips: max(1, total / 10 / conns))
                let (m, r, runs) = measure(repeats: o.repeats, warmup: false) {
                    echo(procs: p, conns: conns, roundTrips: max(1, total / conns))
                }
                var res = BenchResult(suite: "net", workload: w, procs: p, metrics: m, ranges: r, repeats: o.repeats)
                res.runs = runs
                out.append(res)
            }
        }
        return out
    }

    static func echo(procs: Int, conns: Int, roundTrips: Int) -> [String: Double] {
        let elapsed = Box(0.0)
        let lat = Box(OpLatency())
        let latLock = NSLock()
        _ = runScheduler(procs: procs) {
            do {
                let ln = try TCPListener(host: "127.0.0.1", port: 0)
                go {
                    while let c = try? ln.accept() {
                        go {
                            var buf = [UInt8](repeating: 0, count: 4096)
                            while let n = try? c.read(into: &buf), n > 0 {
                                if (try? c.write(Array(buf[..<n]))) == nil { break }
                            }
                            try? c.close()
                        }
                    }
                }
                let clients = try (0..<conns).map { _ in try dial(host: "127.0.0.1", port: ln.localPort, timeout: .seconds(10)) }
                let wg = WaitGroup()
                let t0 = nanotime()
                for c in clients {
                    wg.add(1)
                    go {
                        defer { wg.done() }
                        var mine = OpLatency()
                        let msg = [UInt8](repeating: 0x61, count: 64)
                        var buf = [UInt8](repeating: 0, count: 64)
                        for _ in 0..<roundTrips {
                            let s = nanotime()
                            try c.write(msg)
                            var got = 0
                            while got < 64 {
                                let n = try buf.withUnsafeMutableBytes { b in
                                    try c.read(into: UnsafeMutableRawBufferPointer(rebasing: b[got...]))
                                }
                                if n == 0 { throw NetError.closed }
                                got += n
                            }
                            mine.record(nanotime() - s)
                        }
                        latLock.lock()
                        lat.value.merge(mine)
                        latLock.unlock()
                    }
                }
                wg.wait()
                elapsed.value = Double(nanotime() - t0)
                for c in clients { try c.close() }
                try ln.close()
            } catch {
                FileHandle.standardError.write(Data("gcbench: net echo failed: \(error)\n".utf8))
                exit(1)
            }
        }
        let n = Double(conns * roundTrips)
        return [
            "roundtrips_per_s": n / (elapsed.value / 1e9),
            "rtt_p50_us": lat.value.percentile(0.50) / 1000,
            "rtt_p99_us": lat.value.percentile(0.99) / 1000,
            "rtt_p999_us": lat.value.percentile(0.999) / 1000,
        ]
    }
}
