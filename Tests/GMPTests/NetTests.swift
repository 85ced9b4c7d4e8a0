import CContext
import Foundation
import Synchronization
import Testing
@testable import GMP

/// The netpoller and TCP on real loopback sockets (127.0.0.1 only). Bounds on time are
/// generous: these check behaviour, not speed.
@Suite struct NetTests {
    func run(procs: Int = 2, _ body: @escaping @Sendable () throws -> Void) throws {
        var c = SchedulerConfig()
        c.procs = procs
        try Scheduler.run(c, body)
    }

    /// Reads until end of stream.
    static func readAll(_ c: TCPConnection) throws -> [UInt8] {
        var out: [UInt8] = [], buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try c.read(into: &buf)
            if n == 0 { return out }
            out += buf[0..<n]
        }
    }

    /// Reads exactly `n` bytes (fewer at end of stream).
    static func readExactly(_ c: TCPConnection, _ n: Int) throws -> [UInt8] {
        var out: [UInt8] = [], buf = [UInt8](repeating: 0, count: n)
        while out.count < n {
            let k = try buf.withUnsafeMutableBytes { b in try c.read(into: UnsafeMutableRawBufferPointer(rebasing: b[0..<(n - out.count)])) }
            if k == 0 { break }
            out += buf[0..<k]
        }
        return out
    }

    /// Echoes every connection the listener accepts, each on its own goroutine, until the
    /// listener is closed.
    static func serveEcho(_ ln: TCPListener) { serveEcho(accept: { try ln.accept() }) }

    /// The same echo server over any listener's `accept` (UnixSocketTests use it too).
    static func serveEcho(accept: @escaping @Sendable () throws -> NetConnection) {
        go {
            while let c = try? accept() {
                go {
                    var buf = [UInt8](repeating: 0, count: 4096)
                    while let n = try? c.read(into: &buf), n > 0 {
                        if (try? c.write(Array(buf[0..<n]))) == nil { break }
                    }
                    try? c.close()
                }
            }
        }
    }

    /// Polls `cond` every millisecond for up to 10 s (from a goroutine).
    static func waitUntil(_ cond: () -> Bool) -> Bool {
        let end = nanotime() + 10_000_000_000
        while !cond() {
            if nanotime() > end { return false }
            Goroutine.sleep(for: .milliseconds(1))
        }
        return true
    }

    @Test(arguments: [1, 2])
    func echoAcceptReadWriteClose(procs: Int) throws {
        let got = Box<[UInt8]>([])
        try run(procs: procs) {
            let ln = try TCPListener(host: "127.0.0.1", port: 0)
            #expect(ln.localPort > 0)
            NetTests.serveEcho(ln)
            let c = try dial(host: "127.0.0.1", port: ln.localPort, timeout: .seconds(5))
            let msg = Array("hello, netpoller".utf8) + [UInt8](repeating: 7, count: 100_000)
            go { try c.write(msg); try c.shutdownWrite() }
            got.value = try NetTests.readAll(c)
            try c.close()
            try ln.close()
        }
        #expect(got.value == Array("hello, netpoller".utf8) + [UInt8](repeating: 7, count: 100_000))
    }

    /// The IPv6 loopback works too.
    @Test func echoOverIPv6Loopback() throws {
        let got = Box<[UInt8]>([])
        try run {
            let ln: TCPListener
            do { ln = try TCPListener(host: "::1", port: 0) } catch { return }  // no IPv6 here
            NetTests.serveEcho(ln)
            let c = try dial(host: "::1", port: ln.localPort)
            try c.write(Array("six".utf8))
            got.value = try NetTests.readExactly(c, 3)
            try c.close()
            try ln.close()
        }
        #expect(got.value.isEmpty || got.value == Array("six".utf8))
    }

    /// 1,000 connections open at once through one P, each echoing its own message.
    @Test func thousandConcurrentConnectionsOnOneP() throws {
        let ok = Atomic<Int>(0)
        try run(procs: 1) {
            let ln = try TCPListener(host: "127.0.0.1", port: 0)
            NetTests.serveEcho(ln)
            let wg = WaitGroup()
            for i in 0..<1000 {
                wg.add(1)
                go {
                    defer { wg.done() }
                    let c = try dial(host: "127.0.0.1", port: ln.localPort, timeout: .seconds(10))
                    let msg = Array(String(format: "connection %06d", i).utf8)
                    try c.write(msg)
                    if try NetTests.readExactly(c, msg.count) == msg { ok.add(1, ordering: .relaxed) }
                    try c.close()
                }
            }
            wg.wait()
            try ln.close()
        }
        #expect(ok.load(ordering: .relaxed) == 1000)
    }

    /// 1,000 goroutines parked in read hold no thread each: the Ms stay within procs plus a
    /// few (the polling M, an idle one or two), then every reader finishes when written to.
    @Test func parkedReadersDoNotHoldThreads() throws {
        let threads = Box(-1), waiting = Box(-1), done = Atomic<Int>(0)
        let procs = 2
        try run(procs: procs) {
            let s = Goroutine.current!.scheduler
            let ln = try TCPListener(host: "127.0.0.1", port: 0)
            let clients = Channel<TCPConnection>(capacity: 1000)
            go {
                for _ in 0..<1000 { clients.send(try dial(host: "127.0.0.1", port: ln.localPort)) }
            }
            let wg = WaitGroup()
            for _ in 0..<1000 {
                let c = try ln.accept()
                wg.add(1)
                go {
                    defer { wg.done() }
                    var b = [UInt8](repeating: 0, count: 1)
                    if try c.read(into: &b) == 1 { done.add(1, ordering: .relaxed) }
                    try c.close()
                }
            }
            #expect(NetTests.waitUntil { s.net.waiters == 1000 })
            waiting.value = s.net.waiters
            threads.value = s.lock.withLock { s.mcount }
            for _ in 0..<1000 {
                let c = clients.receive()!
                try c.write([42])
                try c.close()
            }
            wg.wait()
            try ln.close()
        }
        #expect(waiting.value == 1000)
        #expect(threads.value >= 1 && threads.value <= procs + 3, "threads = \(threads.value)")
        #expect(done.load(ordering: .relaxed) == 1000)
    }

    /// A read deadline wakes a parked reader with `.timeout`, no earlier than the deadline.
    @Test func readDeadlineFires() throws {
        let outcome = Box(""), elapsed = Box<Int64>(0)
        try run {
            let ln = try TCPListener(port: 0)
            let c = try dial(host: "127.0.0.1", port: ln.localPort)
            let peer = try ln.accept()
            let t0 = nanotime()  // before the deadline is set: it counts from there
            try c.setReadDeadline(after: .milliseconds(50))
            var b = [UInt8](repeating: 0, count: 8)
            do {
                _ = try c.read(into: &b)
                outcome.value = "read returned"
            } catch {
                outcome.value = "\(error)"
            }
            elapsed.value = nanotime() - t0
            // The deadline stays passed until reset; cleared, reads work again.
            try c.setReadDeadline(after: nil)
            try peer.write([1])
            #expect(try c.read(into: &b) == 1)
            try c.close(); try peer.close(); try ln.close()
        }
        #expect(outcome.value == "\(NetError.timeout)")
        #expect(elapsed.value >= 50_000_000 && elapsed.value < 5_000_000_000, "elapsed \(elapsed.value) ns")
    }

    /// A deadline moved later before it fires does not fire at the old time (the sequence
    /// number makes the stale timer a no-op).
    @Test func movedDeadlineIgnoresTheStaleTimer() throws {
        let outcome = Box("")
        try run {
            let ln = try TCPListener(port: 0)
            let c = try dial(host: "127.0.0.1", port: ln.localPort)
            let peer = try ln.accept()
            try c.setReadDeadline(after: .milliseconds(20))
            try c.setReadDeadline(after: .seconds(30))
            _ = afterFunc(.milliseconds(100)) { try? peer.write([9]) }
            var b = [UInt8](repeating: 0, count: 1)
            do { outcome.value = "read \(try c.read(into: &b))" } catch { outcome.value = "\(error)" }
            try c.close(); try peer.close(); try ln.close()
        }
        #expect(outcome.value == "read 1")
    }

    /// Closing a connection wakes the goroutine parked reading it with `.closed`; the
    /// report meanwhile shows it `[IO wait]`.
    @Test func closeWakesParkedReader() throws {
        let outcome = Box(""), report = Box("")
        try run {
            let s = Goroutine.current!.scheduler
            let ln = try TCPListener(port: 0)
            let c = try dial(host: "127.0.0.1", port: ln.localPort)
            let peer = try ln.accept()
            let finished = Channel<Void>()
            go {
                var b = [UInt8](repeating: 0, count: 8)
                do { _ = try c.read(into: &b); outcome.value = "read returned" } catch { outcome.value = "\(error)" }
                finished.send(())
            }
            #expect(NetTests.waitUntil { s.net.waiters == 1 })
            report.value = s.goroutineReport()
            try c.close()
            finished.receive()
            #expect(s.net.waiters == 0)
            #expect(throws: NetError.closed) { try c.close() }
            try peer.close(); try ln.close()
        }
        #expect(outcome.value == "\(NetError.closed)")
        #expect(report.value.contains("[IO wait]"), "\(report.value)")
    }

    /// Closing a listener wakes a goroutine blocked in accept with `.closed`.
    @Test func closeWakesAccept() throws {
        let outcome = Box("")
        try run {
            let s = Goroutine.current!.scheduler
            let ln = try TCPListener(port: 0)
            let finished = Channel<Void>()
            go {
                do { _ = try ln.accept(); outcome.value = "accepted" } catch { outcome.value = "\(error)" }
                finished.send(())
            }
            #expect(NetTests.waitUntil { s.net.waiters == 1 })
            try ln.close()
            finished.receive()
        }
        #expect(outcome.value == "\(NetError.closed)")
    }

    /// A listener deadline wakes a parked accept with `.timeout` (no earlier than the
    /// deadline); cleared, the same listener accepts again.
    @Test func acceptDeadlineFires() throws {
        let outcome = Box(""), elapsed = Box<Int64>(0), acceptedAfter = Box(false)
        try run {
            let ln = try TCPListener(port: 0)
            let t0 = nanotime()  // before the deadline is set: it counts from there
            try ln.setDeadline(after: .milliseconds(50))
            do { _ = try ln.accept(); outcome.value = "accepted" } catch { outcome.value = "\(error)" }
            elapsed.value = nanotime() - t0
            try ln.setDeadline(after: nil)
            let c = try dial(host: "127.0.0.1", port: ln.localPort, timeout: .seconds(5))
            let peer = try ln.accept()
            acceptedAfter.value = true
            try c.close(); try peer.close(); try ln.close()
        }
        #expect(outcome.value == "\(NetError.timeout)")
        #expect(elapsed.value >= 50_000_000 && elapsed.value < 5_000_000_000, "elapsed \(elapsed.value) ns")
        #expect(acceptedAfter.value)
    }

    /// A peer that resets the connection makes the parked read fail with `.connectionReset`.
    @Test func peerResetSurfacesAsError() throws {
        let outcome = Box("")
        try run {
            let ln = try TCPListener(port: 0)
            let c = try dial(host: "127.0.0.1", port: ln.localPort)
            let peer = try ln.accept()
            _ = afterFunc(.milliseconds(20)) { try? peer.closeWithReset() }
            var b = [UInt8](repeating: 0, count: 8)
            do { _ = try c.read(into: &b); outcome.value = "read returned" } catch { outcome.value = "\(error)" }
            try c.close(); try ln.close()
        }
        #expect(outcome.value == "\(NetError.connectionReset)")
    }

    /// Dialling a port nobody listens on is `.connectionRefused`; listening on a taken
    /// port is `.addressInUse`; a name that is not numeric is `.invalidAddress`.
    @Test func dialAndListenErrorsAreTyped() throws {
        let results = Box<[String]>([])
        try run {
            let ln = try TCPListener(port: 0)
            let port = ln.localPort
            do { _ = try TCPListener(port: port); results.value.append("listened twice") } catch {
                results.value.append("\(error)")
            }
            try ln.close()
            do { _ = try dial(host: "127.0.0.1", port: port, timeout: .seconds(5)); results.value.append("dialled") } catch {
                results.value.append("\(error)")
            }
            do { _ = try dial(host: "example.com", port: 80); results.value.append("dialled") } catch {
                if case NetError.invalidAddress = error { results.value.append("invalid") } else { results.value.append("\(error)") }
            }
        }
        #expect(results.value == ["\(NetError.addressInUse)", "\(NetError.connectionRefused)", "invalid"])
    }

    /// A goroutine waiting on a socket is not a deadlock (Go: the poller may wake it): here
    /// a plain OS thread, which the scheduler knows nothing of, writes after 100 ms; with
    /// no timer pending, only the netpoller stands between the reader and a false report.
    @Test func ioWaitIsNotReportedAsDeadlock() throws {
        let got = Box(-1)
        try run(procs: 1) {
            let ln = try TCPListener(port: 0)
            let c = try dial(host: "127.0.0.1", port: ln.localPort)
            let peer = try ln.accept()
            let fd = peer.pd.fd
            Thread.detachNewThread {
                usleep(100_000)
                var v: UInt8 = 5
                _ = tc_sock_send(fd, &v, 1)
            }
            var b = [UInt8](repeating: 0, count: 1)
            _ = try c.read(into: &b)
            got.value = Int(b[0])
            try c.close(); try peer.close(); try ln.close()
        }
        #expect(got.value == 5)
    }

    /// The brief's case: the main goroutine reads, a timer later writes to its peer.
    @Test func readerWokenByTimerWriteIsNotADeadlock() throws {
        let got = Box(-1)
        try run(procs: 1) {
            let ln = try TCPListener(port: 0)
            let c = try dial(host: "127.0.0.1", port: ln.localPort)
            let peer = try ln.accept()
            _ = afterFunc(.milliseconds(30)) { try? peer.write([8]) }
            var b = [UInt8](repeating: 0, count: 1)
            _ = try c.read(into: &b)
            got.value = Int(b[0])
            try c.close(); try peer.close(); try ln.close()
        }
        #expect(got.value == 8)
    }

    /// Deterministic mode refuses network use with a clear error.
    @Test func deterministicModeRefusesNetwork() throws {
        let outcome = Box("")
        try Scheduler(.deterministic(seed: 1)).run {
            do { _ = try TCPListener(port: 0); outcome.value = "listened" } catch { outcome.value = "\(error)" }
        }
        #expect(outcome.value.contains("deterministic mode"), "\(outcome.value)")
    }

    // MARK: The fdMutex (one read and one write at a time per descriptor)

    /// Occurrences of `state` in the goroutine report (e.g. "[semacquire]").
    static func count(_ state: String, in s: Scheduler) -> Int {
        s.goroutineReport().components(separatedBy: "[\(state)]").count - 1
    }

    /// A second reader of one connection waits its turn `[semacquire]` (Go's fdMutex)
    /// instead of failing; each reader then gets one of the two bytes written.
    @Test func concurrentReadersTakeTurns() throws {
        let got = Box<[String]>([])
        try run {
            let s = Goroutine.current!.scheduler
            let ln = try TCPListener(port: 0)
            let c = try dial(host: "127.0.0.1", port: ln.localPort)
            let peer = try ln.accept()
            let results = Channel<String>(capacity: 2)
            for _ in 0..<2 {
                go {
                    var b = [UInt8](repeating: 0, count: 1)
                    do { results.send(try c.read(into: &b) == 1 ? "\(b[0])" : "eof") } catch { results.send("\(error)") }
                }
            }
            #expect(NetTests.waitUntil { s.net.waiters == 1 && NetTests.count("semacquire", in: s) == 1 })
            try peer.write([1])
            let first = results.receive()!
            try peer.write([2])
            got.value = [first, results.receive()!].sorted()
            try c.close(); try peer.close(); try ln.close()
        }
        #expect(got.value == ["1", "2"])
    }

    /// Two goroutines writing 1 MiB each to one connection (more than the socket buffers
    /// hold, so each write parks midway): the peer reads each message whole, one after the
    /// other, never interleaved.
    @Test func concurrentWritesDoNotInterleave() throws {
        let runs = Box<[UInt8]>([]), total = Box(0)
        try run {
            let ln = try TCPListener(port: 0)
            let c = try dial(host: "127.0.0.1", port: ln.localPort)
            let peer = try ln.accept()
            let size = 1 << 20
            let wg = WaitGroup()
            for letter in [UInt8(ascii: "A"), UInt8(ascii: "B")] {
                wg.add(1)
                go {
                    defer { wg.done() }
                    try? c.write([UInt8](repeating: letter, count: size))
                }
            }
            go { wg.wait(); try? c.shutdownWrite() }
            let all = try NetTests.readAll(peer)
            total.value = all.count
            var r: [UInt8] = []
            for b in all where r.last != b { r.append(b) }
            runs.value = r
            try c.close(); try peer.close(); try ln.close()
        }
        #expect(total.value == 2 << 20)
        #expect(runs.value == Array("AB".utf8) || runs.value == Array("BA".utf8), "runs: \(runs.value.count)")
    }

    /// Closing a connection wakes the reader parked in IO wait and the readers queued
    /// behind it `[semacquire]` alike, each with `.closed`.
    @Test func closeWakesGoroutinesWaitingTheirTurn() throws {
        let outcomes = Box<[String]>([]), queued = Box(-1)
        try run {
            let s = Goroutine.current!.scheduler
            let ln = try TCPListener(port: 0)
            let c = try dial(host: "127.0.0.1", port: ln.localPort)
            let peer = try ln.accept()
            let results = Channel<String>(capacity: 3)
            for _ in 0..<3 {
                go {
                    var b = [UInt8](repeating: 0, count: 1)
                    do { _ = try c.read(into: &b); results.send("read returned") } catch { results.send("\(error)") }
                }
            }
            #expect(NetTests.waitUntil { s.net.waiters == 1 && NetTests.count("semacquire", in: s) == 2 })
            queued.value = NetTests.count("semacquire", in: s)
            try c.close()
            outcomes.value = (0..<3).map { _ in results.receive()! }
            #expect(s.net.waiters == 0)
            try peer.close(); try ln.close()
        }
        #expect(queued.value == 2)
        #expect(outcomes.value == Array(repeating: "\(NetError.closed)", count: 3))
    }

    /// One connection's ping-pong at procs 2 (gcbench's echo-c1): each goroutine's write
    /// readies the other, and the M whose goroutine just parked finds it with its
    /// non-blocking poll. No thread should sleep and be woken per round trip: not for the
    /// goroutine that M runs itself (readying it through `ready`'s `wakep` woke an M, which
    /// then blocked in the poller and was woken by every later edge), nor after sysmon's
    /// 10 ms poll takes an edge. Before those fixes this run woke about one thread per
    /// round trip; the bound leaves room for a loaded machine's stray wake-ups.
    @Test func pingPongDoesNotWakeAThreadPerRoundTrip() throws {
        var c = SchedulerConfig()
        c.procs = 2
        let s = Scheduler(c)
        let wakeups = Box(0)
        let trips = 2_000
        try s.run {
            let ln = try TCPListener(host: "127.0.0.1", port: 0)
            NetTests.serveEcho(ln)
            let conn = try dial(host: "127.0.0.1", port: ln.localPort, timeout: .seconds(5))
            let msg = [UInt8](repeating: 0x61, count: 64)
            func roundTrip() throws {
                try conn.write(msg)
                #expect(try NetTests.readExactly(conn, 64) == msg)
            }
            for _ in 0..<100 { try roundTrip() }  // warm-up: the connection and both goroutines
            let before = s.stats.threadWakeups.load(ordering: .relaxed)
            for _ in 0..<trips { try roundTrip() }
            wakeups.value = s.stats.threadWakeups.load(ordering: .relaxed) - before
            try conn.close()
            try ln.close()
        }
        #expect(wakeups.value < trips / 4, "\(wakeups.value) thread wake-ups in \(trips) round trips")
    }
}

/// A break that a non-blocking poll saw (and, as Go's, left unread) still wakes the next
/// blocking poll. With the eventfd registered edge-triggered the edge was spent on the
/// non-blocking poll, the blocking one slept on, and a scheduler shutting down waited for
/// that M forever (seen in gcbench's net suite).
@Test func aBreakSeenByANonBlockingPollStillWakesTheBlockingOne() throws {
    let np = try Netpoller()
    defer { np.closeAll() }
    np.breakPoll()
    #expect(np.netpoll(delay: 0).isEmpty)
    let t0 = nanotime()
    _ = np.netpoll(delay: 10_000_000_000)   // 10 s unless the pending break wakes it
    #expect(nanotime() - t0 < 5_000_000_000, "the blocking poll slept through a pending break")
}
