import Testing
@testable import GMP

@Suite struct ChannelTests {
    func run(procs: Int = 2, _ body: @escaping @Sendable () throws -> Void) throws {
        var c = SchedulerConfig()
        c.procs = procs
        try Scheduler.run(c, body)
    }

    @Test(arguments: [0, 1, 7])
    func fifoOrderingSingleSender(capacity: Int) throws {
        let got = Box<[Int]>([])
        try run {
            let ch = Channel<Int>(capacity: capacity)
            go {
                for i in 0..<500 { ch.send(i) }
                ch.close()
            }
            for v in ch { got.value.append(v) }
        }
        #expect(got.value == Array(0..<500))
    }

    @Test func closeWakesReceiversWithNil() throws {
        let results = Box<[Int?]>([])
        try run {
            let ch = Channel<Int>()
            let out = Channel<Int?>(capacity: 10)
            for _ in 0..<5 { go { out.send(ch.receive()) } }
            Goroutine.sleep(nanoseconds: 5_000_000)
            ch.close()
            for _ in 0..<5 { results.value.append(out.receive()!) }
        }
        #expect(results.value.count == 5)
        #expect(results.value.allSatisfy { $0 == nil })
    }

    @Test func bufferedDrainsAfterClose() throws {
        let got = Box<[Int?]>([])
        try run {
            let ch = Channel<Int>(capacity: 3)
            ch.send(1); ch.send(2); ch.send(3)
            ch.close()
            for _ in 0..<5 { got.value.append(ch.receive()) }
        }
        #expect(got.value == [1, 2, 3, nil, nil])
    }

    @Test func tryOperations() throws {
        let log = Box<[String]>([])
        try run {
            let ch = Channel<Int>(capacity: 1)
            log.value.append("\(ch.trySend(1))")
            log.value.append("\(ch.trySend(2))")
            log.value.append("\(String(describing: ch.tryReceive()))")
            log.value.append("\(String(describing: ch.tryReceive()))")
            ch.close()
            log.value.append("\(String(describing: ch.tryReceive()))")
        }
        #expect(log.value == ["true", "false", "Optional(Optional(1))", "nil", "Optional(nil)"])
    }

    @Test func selectPicksReadyCaseAndDefault() throws {
        let log = Box<[String]>([])
        try run(procs: 1) {
            let a = Channel<Int>(capacity: 1), b = Channel<String>(capacity: 1)
            Select.run {
                $0.receive(from: a) { log.value.append("a \($0!)") }
                $0.otherwise { log.value.append("default") }
            }
            b.send("x")
            Select.run {
                $0.receive(from: a) { log.value.append("a \($0!)") }
                $0.receive(from: b) { log.value.append("b \($0!)") }
            }
            // Blocking select woken by a sender.
            go { a.send(7) }
            Select.run {
                $0.receive(from: a) { log.value.append("a \($0!)") }
                $0.receive(from: b) { log.value.append("b \($0!)") }
            }
            // Send case.
            Select.run {
                $0.send(9, to: a) { log.value.append("sent") }
            }
            log.value.append("a \(a.receive()!)")
            a.close()
            Select.run {
                $0.receive(from: a) { log.value.append("closed \($0 == nil)") }
            }
        }
        #expect(log.value == ["default", "b x", "a 7", "sent", "a 9", "closed true"])
    }

    @Test func selectIsFairAcrossReadyCases() throws {
        let counts = Box([0, 0])
        try run(procs: 1) {
            let a = Channel<Int>(capacity: 1000), b = Channel<Int>(capacity: 1000)
            for i in 0..<1000 { a.send(i); b.send(i) }
            for _ in 0..<1000 {
                Select.run {
                    $0.receive(from: a) { _ in counts.value[0] += 1 }
                    $0.receive(from: b) { _ in counts.value[1] += 1 }
                }
            }
        }
        #expect(counts.value[0] + counts.value[1] == 1000)
        #expect(counts.value[0] > 350 && counts.value[1] > 350, "poll order is random: \(counts.value)")
    }

    @Test func selectManyGoroutinesNoLostMessages() throws {
        let total = Box(0)
        try run {
            let a = Channel<Int>(), b = Channel<Int>(), done = Channel<Int>()
            for k in 0..<8 {
                go {
                    for i in 0..<200 {
                        if (i + k) % 2 == 0 { a.send(1) } else { b.send(1) }
                    }
                    done.send(1)
                }
            }
            var finished = 0
            while finished < 8 {
                Select.run {
                    $0.receive(from: a) { total.value += $0! }
                    $0.receive(from: b) { total.value += $0! }
                    $0.receive(from: done) { _ in finished += 1 }
                }
            }
        }
        #expect(total.value == 8 * 200)
    }

    /// The concurrent prime sieve from the Go tour.
    @Test func primeSieve() throws {
        let primes = Box<[Int]>([])
        try run {
            @Sendable func generate(_ ch: Channel<Int>) { var i = 2; while true { ch.send(i); i += 1 } }
            @Sendable func filter(_ src: Channel<Int>, _ dst: Channel<Int>, _ prime: Int) {
                while true {
                    let i = src.receive()!
                    if i % prime != 0 { dst.send(i) }
                }
            }
            var ch = Channel<Int>()
            let first = ch
            go { generate(first) }
            for _ in 0..<100 {
                let prime = ch.receive()!
                primes.value.append(prime)
                let next = Channel<Int>()
                let src = ch
                go { filter(src, next, prime) }
                ch = next
            }
        }
        #expect(primes.value.count == 100)
        #expect(primes.value.prefix(10) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29])
        #expect(primes.value.last == 541)
    }

    /// A daisy chain of 10,000 goroutines, each adding one.
    @Test func tenThousandGoroutineChain() throws {
        let result = Box(0)
        try run {
            let n = 10_000
            let leftmost = Channel<Int>()
            var right = leftmost
            for _ in 0..<n {
                let left = right
                right = Channel<Int>()
                let r = right
                go { r.send(1 + left.receive()!) }
            }
            let last = right
            go { leftmost.send(1) }
            result.value = last.receive()!
        }
        #expect(result.value == 10_001)
    }
}

/// A mutable cell shared with goroutine bodies in tests.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ v: T) { value = v }
}
