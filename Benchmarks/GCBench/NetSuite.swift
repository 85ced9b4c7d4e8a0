import Foundation
import GCBenchKit
import GMP
import Synchronization

/// Suite `net`: loopback TCP echo through the netpoller (issue #16's `echo` part). C client
/// goroutines each hold one connection to an echo server (a goroutine per connection) and
/// send 64-byte messages one at a time, timing each round trip: `roundtrips_per_s` over
/// all clients and the round-trip latency percentiles, and `threads`, the server process's
/// thread count (/proc/self/status) while all C server-side connections were open (the
/// issue's target: 10,000 connections with at most GOMAXPROCS + a few threads).
///
/// Two forms, and the row's note says which ran:
///   * in-process: the clients share the server's scheduler and process, as in
///     Benchmarks/go/echo.go, the same program in Go. Both ends of C connections are in
///     one process, so it needs 2C + `spareFiles` open files.
///   * child clients: when RLIMIT_NOFILE cannot be raised that far (the shared machine's
///     hard limit is 20,000, under the 20,064 of echo-c10000), gcbench re-executes itself
///     as the client (`--net-echo-client`, hidden): the child dials the C connections and
///     runs the clients on its own scheduler with the same procs, and reports its rates
///     and latencies to the server over a control connection. Each process then holds C +
///     a few descriptors, and the server's thread count is that of a process serving C
///     connections and nothing else. The clients' latencies now include no scheduling
///     against the server's goroutines (two schedulers share the machine's cores instead),
///     so the two forms' numbers are not interchangeable.
/// When even C + `spareFiles` does not fit, the row is skipped and says so (no metrics),
/// rather than measured at fewer connections.
enum NetSuite {
    static let workloads = ["echo-c1", "echo-c100", "echo-c10000", "server"]
    static let echoWorkloads = ["echo-c1", "echo-c100", "echo-c10000"]
    /// The hidden first argument of gcbench's client mode (see the essay).
    static let clientFlag = "--net-echo-client"

    static func connections(_ workload: String) -> Int { Int(workload.dropFirst("echo-c".count))! }

    /// Descriptors an echo run needs besides its connections' ends: the listeners, the
    /// poller's epoll and eventfd, standard streams and the runtime's own.
    static let spareFiles = 64

    enum Form {
        case inProcess, childClients
        var note: String {
            switch self {
            case .inProcess: return "clients in the server's process and scheduler (in-process form)"
            case .childClients: return "clients in a child process (gcbench --net-echo-client) with its own scheduler at the same procs"
            }
        }
    }

    static func run(_ o: Options) -> [BenchResult] {
        var out: [BenchResult] = []
        for w in echoWorkloads where o.workloads.isEmpty || o.workloads.contains(w) {
            let conns = connections(w)
            let both = 2 * conns + spareFiles, one = conns + spareFiles
            let limit = (try? raiseOpenFileLimit(to: both)) ?? 0
            let form: Form
            if limit >= both {
                form = .inProcess
            } else if limit >= one {
                form = .childClients
            } else {
                for p in o.procs {
                    var res = BenchResult(suite: "net", workload: w, procs: p, metrics: [:], ranges: [:], repeats: 0)
                    res.notes.append("\(w) procs \(p) skipped: \(conns) connections need \(one) open files even with the clients "
                        + "in a child process, and RLIMIT_NOFILE could be raised only to \(limit) (the hard limit)")
                    out.append(res)
                }
                for p in o.procs {
                    RunProgress.shared.report("net/\(w) procs=\(p)", "skipped (open-file limit \(limit) < \(one))",
                                              workload: w, repeats: o.repeats, skipped: true)
                }
                continue
            }
            // 50,000 round trips per run (p99.9 is then the 50th largest); 10,000 connections
            // get 20 each, so that a run is not mostly its connection set-up.
            let total = o.quick ? 20_000 : (conns >= 10_000 ? 200_000 : 50_000)
            for p in o.procs {
                // Warm-up: a tenth of a run (connections, buffers and the poller once); none for
                // 10,000 connections, which cost seconds to set up.
                if conns < 10_000 { _ = echo(procs: p, conns: conns, roundTrips: max(1, total / 10 / conns), form: form) }
                let (m, r, runs) = measure(repeats: o.repeats, warmup: false) {
                    echo(procs: p, conns: conns, roundTrips: max(1, total / conns), form: form)
                }
                var res = BenchResult(suite: "net", workload: w, procs: p, metrics: m, ranges: r, repeats: o.repeats)
                res.runs = runs
                res.notes.append("\(w) procs \(p): \(form.note); threads = the server process's threads with all \(conns) "
                    + "server-side connections open" + (form == .inProcess ? "" : " (2 x \(conns) + \(spareFiles) open files would "
                    + "exceed RLIMIT_NOFILE's hard limit \(limit))"))
                out.append(res)
                RunProgress.shared.report("net/\(w) procs=\(p)", "roundtrips_per_s \(fmt(m["roundtrips_per_s"] ?? 0))",
                                          workload: w, repeats: o.repeats)
            }
        }
        if o.workloads.isEmpty || o.workloads.contains("server") { out += NetServer.results(o) }
        return out
    }

    /// The progress weight of every configuration `run(o)` runs, in order (a skipped echo
    /// row leaves the plan when it is skipped: whether it runs is known only then).
    static func configurations(_ o: Options) -> [Double] {
        var out: [Double] = []
        for w in echoWorkloads where o.workloads.isEmpty || o.workloads.contains(w) {
            out += Array(repeating: RunProgress.weight(w, repeats: o.repeats), count: o.procs.count)
        }
        if o.workloads.isEmpty || o.workloads.contains("server") {
            out += HeapBench.configurations([NetServer.workload], o)
            out += Array(repeating: RunProgress.weight("server", repeats: o.repeats), count: o.procs.count)   // the GOGC=off rows
        }
        return out
    }

    /// One echo run of `conns` connections x `roundTrips` round trips each.
    static func echo(procs: Int, conns: Int, roundTrips: Int, form: Form) -> [String: Double] {
        let result = Box([String: Double]())
        let child = Box<pid_t?>(nil)
        _ = runScheduler(procs: procs) {
            do {
                let ln = try TCPListener(host: "127.0.0.1", port: 0)
                // Server-side connections accepted and not yet closed. Acquiring-releasing
                // updates and acquiring reads: a sample that sees `conns` comes after every
                // accept counted in it.
                let open = Atomic<Int>(0)
                // Most threads seen while all `conns` were open (relaxed: read after
                // `served.wait()`, which orders it).
                let peak = Atomic<Int>(0)
                @Sendable func sampleIfAllOpen() {
                    if open.load(ordering: .acquiring) == conns, let t = threadCount() { peak.max(t, ordering: .relaxed) }
                }
                let served = WaitGroup()
                go {
                    while let c = try? ln.accept() {
                        served.add(1)
                        if open.add(1, ordering: .acquiringAndReleasing).newValue == conns { sampleIfAllOpen() }
                        go {
                            defer { served.done() }
                            // One buffer, written back in place (no copy per message, as
                            // echo.go's c.Write(buf[:n])).
                            let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
                            defer { buf.deallocate() }
                            while let n = try? c.read(into: buf), n > 0 {
                                if (try? c.write(UnsafeRawBufferPointer(rebasing: buf[..<n]))) == nil { break }
                            }
                            // The first end of stream: the others are still open.
                            sampleIfAllOpen()
                            open.subtract(1, ordering: .acquiringAndReleasing)
                            try? c.close()
                        }
                    }
                }
                switch form {
                case .inProcess:
                    let clients = try (0..<conns).map { _ in try dial(host: "127.0.0.1", port: ln.localPort, timeout: .seconds(10)) }
                    result.value = try runClients(clients, roundTrips: roundTrips)
                    sampleIfAllOpen()
                    for c in clients { try c.close() }
                case .childClients:
                    let ctl = try TCPListener(host: "127.0.0.1", port: 0)
                    let pid = try spawnSelf([clientFlag, "\(ln.localPort)", "\(ctl.localPort)", "\(conns)", "\(roundTrips)", "\(procs)"])
                    child.value = pid
                    let cc = try acceptControl(ctl, from: pid, reaped: child)
                    try ctl.close()
                    // The child writes its metrics once its clients are done, while every
                    // connection is still open; it closes them when `cc` is closed.
                    var text: [UInt8] = []
                    var buf = [UInt8](repeating: 0, count: 4096)
                    while !text.contains(UInt8(ascii: "\n")) {
                        let n = try cc.read(into: &buf)
                        if n == 0 { throw EchoFailure.child(pid: pid, "closed its control connection before reporting") }
                        text += buf[..<n]
                    }
                    sampleIfAllOpen()
                    result.value = try decodeMetrics(String(decoding: text, as: UTF8.self))
                    try cc.close()
                }
                served.wait()
                try ln.close()
                let t = peak.load(ordering: .relaxed)
                if t > 0 { result.value["threads"] = Double(t) }
            } catch {
                FileHandle.standardError.write(Data("gcbench: net echo failed: \(error)\n".utf8))
                exit(1)
            }
        }
        if let pid = child.value { waitChild(pid) }
        return result.value
    }

    /// Runs one client goroutine per connection, each `roundTrips` 64-byte round trips; the
    /// rate over all of them and the round-trip percentiles. Call from a goroutine.
    static func runClients(_ clients: [NetConnection], roundTrips: Int) throws -> [String: Double] {
        let lat = LatencyLog()
        // Whether a client failed (relaxed: read after runGoroutines' WaitGroup, which orders it).
        let failed = Atomic<Bool>(false)
        let t0 = nanotime()
        runGoroutines(clients.count) { k in
            let c = clients[k]
            var mine = OpLatency()
            let msg = [UInt8](repeating: 0x61, count: 64)
            var buf = [UInt8](repeating: 0, count: 64)
            do {
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
            } catch {
                FileHandle.standardError.write(Data("gcbench: net echo client \(k): \(error)\n".utf8))
                failed.store(true, ordering: .relaxed)
            }
            lat.add(mine)
        }
        let elapsed = Double(nanotime() - t0)
        if failed.load(ordering: .relaxed) { throw EchoFailure.clients }
        let l = lat.value
        return [
            "roundtrips_per_s": Double(clients.count * roundTrips) / (elapsed / 1e9),
            "rtt_p50_us": l.percentile(0.50) / 1000,
            "rtt_p99_us": l.percentile(0.99) / 1000,
            "rtt_p999_us": l.percentile(0.999) / 1000,
        ]
    }

    /// gcbench `--net-echo-client ECHO_PORT CONTROL_PORT CONNS ROUND_TRIPS PROCS` (the child
    /// of the child-clients form): dials the control connection and CONNS echo connections,
    /// runs the clients, writes `name=value` metrics and a newline on the control connection
    /// (plus `client_threads`, its own thread count), and closes everything when the server
    /// closes the control connection. Returns the exit status.
    static func clientMain(_ args: [String]) -> Int32 {
        guard args.count == 5, let echoPort = Int(args[0]), let ctlPort = Int(args[1]), let conns = Int(args[2]),
              let trips = Int(args[3]), let procs = Int(args[4]), conns > 0, trips > 0, procs > 0 else {
            FileHandle.standardError.write(Data("usage: gcbench \(clientFlag) ECHO_PORT CONTROL_PORT CONNS ROUND_TRIPS PROCS\n".utf8))
            return 2
        }
        _ = try? raiseOpenFileLimit(to: conns + spareFiles)
        let status = Box(Int32(0))
        _ = runScheduler(procs: procs) {
            do {
                let ctl = try dial(host: "127.0.0.1", port: ctlPort, timeout: .seconds(10))
                let clients = try (0..<conns).map { _ in try dial(host: "127.0.0.1", port: echoPort, timeout: .seconds(10)) }
                var m = try runClients(clients, roundTrips: trips)
                if let t = threadCount() { m["client_threads"] = Double(t) }
                try ctl.write(Array((m.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n").utf8))
                var b = [UInt8](repeating: 0, count: 16)
                while try ctl.read(into: &b) > 0 {}
                for c in clients { try c.close() }
                try ctl.close()
            } catch {
                FileHandle.standardError.write(Data("gcbench \(clientFlag): \(error)\n".utf8))
                status.value = 1
            }
        }
        return status.value
    }

    enum EchoFailure: Error, CustomStringConvertible {
        case clients
        case child(pid: pid_t, String)
        case badReport(String)
        var description: String {
            switch self {
            case .clients: return "a client failed"
            case .child(let pid, let what): return "client process \(pid) \(what)"
            case .badReport(let text): return "the client process reported \"\(text)\", not name=value pairs"
            }
        }
    }

    static func decodeMetrics(_ text: String) throws -> [String: Double] {
        var m: [String: Double] = [:]
        for pair in text.split(whereSeparator: \.isWhitespace) {
            let kv = pair.split(separator: "=")
            guard kv.count == 2, let v = Double(kv[1]) else { throw EchoFailure.badReport(text) }
            m[String(kv[0])] = v
        }
        guard m["roundtrips_per_s"] != nil else { throw EchoFailure.badReport(text) }
        return m
    }

    /// Starts this executable (/proc/self/exe) with `args`. posix_spawn, not Foundation's
    /// Process, which starts threads of its own (a SIGCHLD source) that would count in
    /// `threads`. Standard streams are inherited; every socket is close-on-exec.
    static func spawnSelf(_ args: [String]) throws -> pid_t {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var argv: [UnsafeMutablePointer<CChar>?] = ([exe] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let r = posix_spawn(&pid, exe, nil, nil, &argv, environ)
        if r != 0 { throw EchoFailure.child(pid: 0, "could not be started: posix_spawn \(exe): errno \(r)") }
        return pid
    }

    /// How long the child may take to dial its control connection (it starts a scheduler
    /// and nothing else first: far more than it needs).
    static let controlDialLimitSeconds = 60

    /// Accepts the child's control connection. A plain accept would wait forever for a
    /// child that died before dialling, so the accept has a deadline of 100 ms at a time,
    /// and between tries a non-blocking waitpid asks whether the child has ended: if so
    /// the error names its exit status (and `reaped` forgets the pid, already waited
    /// for); after `controlDialLimitSeconds` the child is killed and the run fails.
    static func acceptControl(_ ctl: TCPListener, from pid: pid_t, reaped: Box<pid_t?>) throws -> TCPConnection {
        let end = nanotime() + Int64(controlDialLimitSeconds) * 1_000_000_000
        while true {
            try ctl.setDeadline(after: .milliseconds(100))
            switch Result(catching: { () throws(NetError) in try ctl.accept() }) {
            case .success(let c):
                try ctl.setDeadline(after: nil)
                return c
            case .failure(.timeout): break
            case .failure(let e): throw e
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped.value = nil
                throw EchoFailure.child(pid: pid, "\(describeWaitStatus(status)) before dialling its control connection")
            }
            if nanotime() > end {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                reaped.value = nil
                throw EchoFailure.child(pid: pid, "did not dial its control connection within \(controlDialLimitSeconds) s (killed)")
            }
        }
    }

    /// "exited with status N" or "was killed by signal N" for a waitpid status (the
    /// WIFEXITED/WEXITSTATUS/WTERMSIG macros, spelled out: they are not imported).
    static func describeWaitStatus(_ status: Int32) -> String {
        status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
    }

    /// Waits for child `pid` (after the scheduler stopped); a failed child is a failed run.
    static func waitChild(_ pid: pid_t) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if status != 0 {
            FileHandle.standardError.write(Data("gcbench: \(EchoFailure.child(pid: pid, describeWaitStatus(status)))\n".utf8))
            exit(1)
        }
    }

    /// This process's thread count (the Threads: line of /proc/self/status); nil where
    /// there is no procfs.
    static func threadCount() -> Int? {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in s.split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
