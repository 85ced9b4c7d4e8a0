import Testing
import Foundation
import CContext
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

    /// A deterministic run on a thread with a big enough stack runs its one M on that
    /// thread (no thread start or hand-off per run), leaves no M behind on it, and gives the
    /// same schedule as a run whose M is a thread of its own (from a small-stack thread).
    @Test func deterministicRunUsesTheCallingThread() throws {
        func onThread(stack: Int, _ body: @escaping @Sendable () -> Void) {
            let done = DispatchSemaphore(value: 0)
            let t = Thread { body(); done.signal() }
            t.stackSize = stack
            t.start()
            done.wait()
        }
        let result = Box<(caller: Int64, inside: Int64, after: Bool, replay: String, log: [Int])?>(nil)
        let small = Box<(caller: Int64, inside: Int64, replay: String, log: [Int])?>(nil)
        @Sendable func run() -> (Int64, Int64, String, [Int]) {
            let inside = Box<Int64>(0)
            let log = Box<[Int]>([])
            var c = SchedulerConfig()
            c.deterministic = DeterministicConfig(strategy: .random(seed: 11))
            let s = Scheduler(c)
            try! s.run {
                inside.value = tc_thread_id()
                try racyProgram(log)()
            }
            return (tc_thread_id(), inside.value, s.replayString!, log.value)
        }
        onThread(stack: 8 << 20) {
            let (caller, inside, replay, log) = run()
            result.value = (caller, inside, Machine.current == nil, replay, log)
        }
        onThread(stack: 256 << 10) {
            let (caller, inside, replay, log) = run()
            small.value = (caller, inside, replay, log)
        }
        let r = try #require(result.value), s = try #require(small.value)
        #expect(r.inside == r.caller)
        #expect(r.after, "the calling thread still has an M after run returned")
        #expect(s.inside != s.caller, "a 256 KiB thread ran the M itself")
        #expect(r.replay == s.replay)
        #expect(r.log == s.log)
        #expect(r.log.count == 15)
    }
}
