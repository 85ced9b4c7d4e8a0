import Foundation
import GCBenchKit
import GMP
import Synchronization

/// Suite `net`: loopback TCP echo through the netpoller (issue #16's `echo` part). C client
/// goroutines each hold one connection to an echo server (a goroutine per connection) and
/// send 64-byte messages one at a time, timing each round trip: `roundtrips_per_s` over
/// all clients and the round-trip latency percentiles. The server side and the clients
/// share the scheduler, as in Benchmarks/go/echo.go, the same program in Go.
///
/// `echo-c10000` holds both ends of 10,000 connections in this process, so it needs more
/// than 20,000 open files: the suite raises RLIMIT_NOFILE, and when the hard limit is lower
/// the row is skipped and says so (no metrics), rather than measured at fewer connections.
enum NetSuite {
    static let workloads = ["echo-c1", "echo-c100", "echo-c10000", "server"]
    static let echoWorkloads = ["echo-c1", "echo-c100", "echo-c10000"]

    static func connections(_ workload: String) -> Int { Int(workload.dropFirst("echo-c".count))! }

    /// Descriptors an echo run needs besides its connections' two ends: the listener, the
    /// poller's epoll and eventfd, standard streams and the runtime's own.
    static let spareFiles = 64

    static func run(_ o: Options) -> [BenchResult] {
        var out: [BenchResult] = []
        for w in echoWorkloads where o.workloads.isEmpty || o.workloads.contains(w) {
            let conns = connections(w)
            let need = 2 * conns + spareFiles
            let limit = (try? raiseOpenFileLimit(to: need)) ?? 0
            if limit < need {
                for p in o.procs {
                    var res = BenchResult(suite: "net", workload: w, procs: p, metrics: [:], ranges: [:], repeats: 0)
                    res.notes.append("\(w) procs \(p) skipped: both ends of \(conns) connections need \(need) open files, "
                        + "and RLIMIT_NOFILE could be raised only to \(limit) (the hard limit)")
                    out.append(res)
                }
                FileHandle.standardError.write(Data("  net/\(w): skipped (open-file limit \(limit) < \(need))\n".utf8))
                continue
            }
            let total = o.quick ? 20_000 : 200_000
            for p in o.procs {
                // Warm-up: a tenth of a run (connections, buffers and the poller once); none for
                // 10,000 connections, which cost seconds to set up.
                if conns < 10_000 { _ = echo(procs: p, conns: conns, roundTrips: max(1, total / 10 / conns)) }
                let (m, r, runs) = measure(repeats: o.repeats, warmup: false) {
                    echo(procs: p, conns: conns, roundTrips: max(1, total / conns))
                }
                var res = BenchResult(suite: "net", workload: w, procs: p, metrics: m, ranges: r, repeats: o.repeats)
                res.runs = runs
                out.append(res)
            }
        }
        if o.workloads.isEmpty || o.workloads.contains("server") { out += NetServer.results(o) }
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
