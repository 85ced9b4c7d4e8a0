import Testing
@testable import GMP

/// Go's panic/recover as `throw GoPanic(...)` and `Goroutine.recover { }`.
@Suite struct RecoverTests {
    func config() -> SchedulerConfig {
        var c = SchedulerConfig()
        c.procs = 2
        c.reportPanics = false
        return c
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String { "bad digit" }
    }

    /// Panics in several goroutines are recovered one by one in a single run; deferred
    /// blocks run while the panic unwinds; the goroutines and the run go on.
    @Test func recoverCatchesPanicsAndTheRunContinues() throws {
        let log = Box<[String]>([])
        try Scheduler.run(config()) {
            let out = Channel<String>(capacity: 8)
            @Sendable func mayPanic(_ k: Int) throws {
                defer { out.send("deferred \(k)") }
                if k % 2 == 1 { throw GoPanic("boom \(k)") }
                if k == 2 { throw ParseError() }
            }
            let wg = WaitGroup()
            for k in 0..<4 {
                wg.add(1)
                go {
                    let p = Goroutine.recover { try mayPanic(k) }
                    out.send("g\(k) recovered \(p.map { "\($0)" } ?? "nothing")")
                    wg.done()
                }
                wg.wait()  // one at a time: a fixed order to check
            }
            out.close()
            for s in out { log.value.append(s) }
        }
        #expect(log.value == [
            "deferred 0", "g0 recovered nothing",
            "deferred 1", "g1 recovered boom 1",
            "deferred 2", "g2 recovered bad digit",
            "deferred 3", "g3 recovered boom 3",
        ])
    }

    /// The recovered value is the value given to the panic, of its own type.
    @Test func recoveredValueKeepsItsType() throws {
        let v = Box<Int?>(nil)
        try Scheduler.run(config()) {
            let p = Goroutine.recover { throw GoPanic(42) }
            v.value = p?.value as? Int
        }
        #expect(v.value == 42)
    }

    /// Unrecovered, a panic ends the run as before: `SchedulerError.panic` naming the
    /// goroutine and the value.
    @Test func unrecoveredPanicEndsTheRun() throws {
        #expect(throws: SchedulerError.panic(goroutine: 2, message: "boom")) {
            try Scheduler.run(config()) {
                go { throw GoPanic("boom") }
                Goroutine.sleep(for: .seconds(30))
            }
        }
    }
}
