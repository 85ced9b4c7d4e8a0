import Testing
@testable import GMP

/// The Go-shaped select: a result per case, nil channels, len/cap, default.
@Suite struct SelectTests {
    func run(procs: Int = 2, _ body: @escaping @Sendable () throws -> Void) throws {
        var c = SchedulerConfig()
        c.procs = procs
        try Scheduler.run(c, body)
    }

    /// A case's result ends the loop around the select (Go's `return` or labelled `break`
    /// out of a case).
    @Test func resultEndsTheLoop() throws {
        let sum = Box(0), rounds = Box(0)
        try run {
            let values = Channel<Int>(capacity: 4)
            let quit = Channel<Void>()
            go {
                for i in 1...10 { values.send(i) }
                quit.send(())
            }
            while true {
                rounds.value += 1
                let done: Bool = Select.run {
                    $0.receive(from: values) { v in
                        sum.value += v!
                        return false
                    }
                    $0.receive(from: quit) { _ in true }
                }
                if done { break }
            }
            // The sender sent all ten before quit: what the loop did not take is buffered.
            while let v = values.tryReceive() { sum.value += v! }
        }
        #expect(sum.value == 55)
        #expect(rounds.value >= 7 && rounds.value <= 11)  // at most 4 left in the buffer
    }

    /// The value of a select is the chosen case's value; `otherwise` is Go's default.
    @Test func resultOfTheChosenCase() throws {
        let got = Box<[String]>([])
        try run(procs: 1) {
            let a = Channel<Int>(capacity: 1), b = Channel<String>(capacity: 1)
            let first = Select.run {
                $0.receive(from: a) { "a \($0!)" }
                $0.otherwise { "default" }
            }
            b.send("x")
            let second = Select.run {
                $0.receive(from: a) { "a \($0!)" }
                $0.receive(from: b) { "b \($0!)" }
            }
            let third: Int = Select.run {
                $0.send(5, to: a) { 1 }
                $0.otherwise { 2 }
            }
            got.value = [first, second, "\(third)", "len \(a.count) cap \(a.capacity)"]
        }
        #expect(got.value == ["default", "b x", "1", "len 1 cap 1"])
    }

    /// A case on a nil channel is never ready: with a default the default runs, beside a
    /// ready case the ready case always wins.
    @Test func nilChannelCaseIsNeverReady() throws {
        let got = Box<[String]>([])
        try run(procs: 1) {
            let none: Channel<Int>? = nil
            let ready = Channel<Int>(capacity: 100)
            got.value.append(Select.run {
                $0.receive(from: none) { _ in "nil receive" }
                $0.send(1, to: none) { "nil send" }
                $0.otherwise { "default" }
            })
            for i in 0..<100 { ready.send(i) }
            var picks = Set<String>()
            for _ in 0..<100 {
                picks.insert(Select.run {
                    $0.receive(from: none) { _ in "nil" }
                    $0.receive(from: ready) { _ in "ready" }
                })
            }
            got.value.append(contentsOf: picks.sorted())
        }
        #expect(got.value == ["default", "ready"])
    }

    /// A select whose cases are all nil blocks forever: the deadlock detector reports it.
    @Test func selectOnlyOnNilChannelsDeadlocks() throws {
        #expect {
            try run {
                let none: Channel<Int>? = nil
                Select.run { $0.receive(from: none) { _ in } }
            }
        } throws: { e in
            guard case .deadlock(let report) = e as? SchedulerError else { return false }
            return report.contains("goroutine 1 [select]")
        }
    }

    /// Plain send and receive on a nil channel block forever, as in Go.
    @Test func sendAndReceiveOnNilChannelBlockForever() throws {
        #expect {
            try run {
                let none: Channel<Int>? = nil
                go { none.send(1) }
                _ = none.receive()
            }
        } throws: { e in
            guard case .deadlock(let report) = e as? SchedulerError else { return false }
            return report.contains("[chan receive (nil chan)]") && report.contains("[chan send (nil chan)]")
        }
    }

    /// A non-nil optional channel works as the channel itself.
    @Test func optionalChannelThatIsSetWorks() throws {
        let got = Box<Int?>(nil)
        try run {
            let ch: Channel<Int>? = Channel<Int>(capacity: 1)
            ch.send(3)
            got.value = ch.receive()
        }
        #expect(got.value == 3)
    }
}
