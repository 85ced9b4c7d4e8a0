import Testing
import GMP

/// The README's example, verbatim apart from capturing the printed sum.
@Test func readmeExample() throws {
    let printed = Box(0)
    try Scheduler.run(SchedulerConfig()) {
        let jobs = Channel<Int>(capacity: 16)
        let results = Channel<Int>()
        let wg = WaitGroup()
        for _ in 0..<4 {
            wg.add(1)
            go {
                for n in jobs { results.send(n * n) }
                wg.done()
            }
        }
        go { for n in 1...100 { jobs.send(n) }; jobs.close() }
        go { wg.wait(); results.close() }
        var sum = 0
        for r in results { sum += r }
        printed.value = sum
    }
    #expect(printed.value == 338350)
}

/// The README's echo server (docs: notes/net-docs.md), verbatim apart from capturing the
/// printed reply.
@Test func readmeEchoServerExample() throws {
    let printed = Box("")
    try Scheduler.run {
        let ln = try TCPListener(host: "127.0.0.1", port: 0)
        go {  // the server: one goroutine per connection; parked readers hold no thread
            while let conn = try? ln.accept() {
                go {
                    var buf = [UInt8](repeating: 0, count: 4096)
                    while let n = try? conn.read(into: &buf), n > 0 {
                        try conn.write(Array(buf[..<n]))
                    }
                    try conn.close()
                }
            }
        }
        let c = try dial(host: "127.0.0.1", port: ln.localPort, timeout: .seconds(1))
        try c.write(Array("ping".utf8))
        try c.setReadDeadline(after: .seconds(1))
        var reply = [UInt8](repeating: 0, count: 4)
        let n = try c.read(into: &reply)
        printed.value = String(decoding: reply[..<n], as: UTF8.self)
        try c.close()
        try ln.close()
    }
    #expect(printed.value == "ping")
}
