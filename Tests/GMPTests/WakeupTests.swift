import Foundation
import Synchronization
import Testing
@testable import GMP

/// Lost wake-ups on real threads. Each program can always finish, so any
/// "all goroutines are asleep" report is a false deadlock: a wake-up was lost or the
/// deadlock check ran while one was in flight.
@Suite(.serialized) struct WakeupTests {
    /// The first program a user writes with sleeps: 2,000 runs, no false deadlock.
    @Test func sleepsNeverDeadlock() throws {
        var failures: [String] = []
        for _ in 0..<2_000 {
            do {
                try Scheduler.run(SchedulerConfig()) {
                    for _ in 0..<20 { Goroutine.sleep(nanoseconds: 10_000) }
                }
            } catch { failures.append("\(error)") }
        }
        #expect(failures.count == 0, "\(failures.count) false deadlocks; first: \(failures.first ?? "")")
    }

    /// Sleeps, channel operations and WaitGroups across 2 Ps: 2,000 runs, no false deadlock.
    @Test func mixedWakeupsNeverDeadlock() throws {
        var failures: [String] = []
        for run in 0..<2_000 {
            var c = SchedulerConfig()
            c.procs = 2
            do {
                try Scheduler.run(c) {
                    let ch = Channel<Int>()
                    let buffered = Channel<Int>(capacity: 2)
                    let wg = WaitGroup()
                    let mu = GoMutex()
                    let counter = Box(0)
                    for i in 0..<4 {
                        wg.add(1)
                        go {
                            for k in 0..<5 {
                                if (i + k + run) % 3 == 0 { Goroutine.sleep(nanoseconds: 5_000) }
                                mu.lock(); counter.value += 1; mu.unlock()
                                if i % 2 == 0 { ch.send(k) } else { buffered.send(k) }
                            }
                            wg.done()
                        }
                    }
                    go {
                        wg.wait()
                        ch.close()
                        buffered.close()
                    }
                    let drained = WaitGroup()
                    let fromBuffered = Box(0)
                    drained.add(1)
                    go {
                        for _ in buffered { fromBuffered.value += 1 }
                        drained.done()
                    }
                    var got = 0
                    for _ in ch { got += 1 }
                    drained.wait()
                    precondition(got + fromBuffered.value == 20, "received \(got + fromBuffered.value) of 20")
                }
            } catch { failures.append("run \(run): \(error)") }
        }
        #expect(failures.count == 0, "\(failures.count) false deadlocks; first: \(failures.first ?? "")")
    }
}
