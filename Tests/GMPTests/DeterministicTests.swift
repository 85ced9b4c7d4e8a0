import Testing
@testable import GMP

/// A small racy program: three goroutines append to a shared log through yields and
/// channel operations. Its output depends entirely on the interleaving.
func racyProgram(_ log: Box<[Int]>) -> @Sendable () throws -> Void {
    return {
        let ch = Channel<Int>(capacity: 16)
        let wg = WaitGroup()
        for k in 1...3 {
            wg.add(1)
            go {
                for i in 0..<5 {
                    log.value.append(k * 10 + i)
                    if i % 2 == 0 { ch.send(k) } else { _ = ch.tryReceive() }
                    Goroutine.safePoint()
                }
                wg.done()
            }
        }
        wg.wait()
    }
}

@Suite struct DeterministicTests {
    func runDet(_ kind: ScheduleStrategyKind) throws -> (log: [Int], trace: [Int64], replay: String) {
        let log = Box<[Int]>([])
        var c = SchedulerConfig()
        c.deterministic = DeterministicConfig(strategy: kind)
        let s = Scheduler(c)
        try s.run(racyProgram(log))
        return (log.value, s.scheduleTrace, s.replayString!)
    }

    @Test func sameSeedSameInterleaving() throws {
        for seed: UInt64 in [1, 2, 42, 9999] {
            let a = try runDet(.random(seed: seed))
            let b = try runDet(.random(seed: seed))
            #expect(a.log == b.log)
            #expect(a.trace == b.trace)
            #expect(a.replay == b.replay)
            #expect(a.log.count == 15)
        }
    }

    @Test func differentSeedsDiffer() throws {
        var logs = Set<[Int]>()
        for seed: UInt64 in 0..<20 { logs.insert(try runDet(.random(seed: seed)).log) }
        #expect(logs.count > 5, "20 seeds gave only \(logs.count) interleavings")
    }

    @Test func replayStringReproducesRun() throws {
        for seed: UInt64 in [3, 17, 123] {
            let a = try runDet(.random(seed: seed))
            let b = try runDet(.replay(a.replay))
            #expect(b.log == a.log)
            #expect(b.trace == a.trace)
        }
    }

    @Test func pctIsDeterministicAndExplores() throws {
        var logs = Set<[Int]>()
        for seed: UInt64 in 0..<20 {
            let a = try runDet(.pct(seed: seed, depth: 3, expectedSteps: 60))
            let b = try runDet(.pct(seed: seed, depth: 3, expectedSteps: 60))
            #expect(a.log == b.log)
            logs.insert(a.log)
        }
        #expect(logs.count > 3)
    }

    @Test func replayStringRoundTripsAndRejectsGarbage() throws {
        let choices = [0, 0, 0, 1, 2, 2, 0]
        let s = ReplayString.encode(choices)
        #expect(s == "r1:0*3.1.2*2.0")
        #expect(try ReplayString.decode(s) == choices)
        #expect(throws: SchedulerError.self) { try ReplayString.decode("x1:0") }
        #expect(throws: SchedulerError.self) { try ReplayString.decode("r1:0.a*2") }
    }

    @Test func mismatchedReplayIsReported() {
        #expect {
            var c = SchedulerConfig()
            c.deterministic = DeterministicConfig(strategy: .replay("r1:9"))
            try Scheduler(c).run(racyProgram(Box([])))
        } throws: { error in
            guard case .replay(let m) = error as? SchedulerError else { return false }
            return m.contains("chose 9")
        }
    }

    @Test func virtualTimeSleepIsDeterministic() throws {
        func once() throws -> [Int] {
            let order = Box<[Int]>([])
            try Scheduler.run(.deterministic(seed: 5)) {
                let wg = WaitGroup()
                for k in [3, 1, 2] {
                    wg.add(1)
                    go {
                        Goroutine.sleep(nanoseconds: Int64(k) * 1_000_000_000)  // virtual: instant
                        order.value.append(k)
                        wg.done()
                    }
                }
                wg.wait()
            }
            return order.value
        }
        #expect(try once() == [1, 2, 3])
    }

    @Test func deterministicDeadlock() {
        #expect {
            try Scheduler.run(.deterministic(seed: 1)) { _ = Channel<Int>().receive() }
        } throws: { error in
            guard case .deadlock(let r) = error as? SchedulerError else { return false }
            return r.contains("goroutine 1 [chan receive]:")
        }
    }
}
