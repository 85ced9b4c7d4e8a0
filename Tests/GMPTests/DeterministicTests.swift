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

    /// Runs `body` on a new pthread with exactly `stack` bytes of stack and waits for it.
    static func onThread(stack: Int, _ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setstacksize(&attr, stack)
        var t = pthread_t()
        let arg = Unmanaged.passRetained(Box(body)).toOpaque()
        let rc = pthread_create(&t, &attr, { arg in
            Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
            return nil
        }, arg)
        pthread_attr_destroy(&attr)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_join(t, nil)
    }

    /// A deterministic run on a thread with a big enough stack runs its one M on that
    /// thread (no thread start or hand-off per run), leaves no M behind on it, and gives the
    /// same schedule as a run whose M is a thread of its own (from a small-stack thread:
    /// 128 KiB, because glibc may give a new thread a cached stack up to 4x the size asked
    /// for, and an exited 1 MiB M thread's stack must not qualify).
    @Test func deterministicRunUsesTheCallingThread() throws {
        let result = Box<(caller: Int64, inside: Int64, after: Bool, trace: [Int64])?>(nil)
        let small = Box<(caller: Int64, inside: Int64, stack: Int, trace: [Int64])?>(nil)
        @Sendable func run() -> (Int64, Int64, [Int64]) {
            let inside = Box<Int64>(0)
            let log = Box<[Int]>([])
            var c = SchedulerConfig()
            c.deterministic = DeterministicConfig(strategy: .random(seed: 11))
            let s = Scheduler(c)
            try! s.run {
                inside.value = tc_thread_id()
                try racyProgram(log)()
            }
            return (tc_thread_id(), inside.value, s.scheduleTrace)
        }
        Self.onThread(stack: 8 << 20) {
            let (caller, inside, trace) = run()
            result.value = (caller, inside, Machine.current == nil, trace)
        }
        Self.onThread(stack: 128 << 10) {
            let (caller, inside, trace) = run()
            small.value = (caller, inside, tc_thread_stack_size(), trace)
        }
        let r = try #require(result.value), s = try #require(small.value)
        #expect(r.inside == r.caller)
        #expect(r.after, "the calling thread still has an M after run returned")
        #expect(s.stack < Scheduler.callingThreadStack, "the small thread reports \(s.stack) bytes of stack")
        #expect(s.inside != s.caller, "a 128 KiB thread ran the M itself")
        #expect(r.trace == s.trace)
        #expect(!r.trace.isEmpty)
    }

    /// Runs that end with goroutines abandoned in the middle of a dynamically checked
    /// Swift access (a `modify` of a class's stored property that blocks on a channel), runs
    /// that deadlock and runs that panic, one after another on one thread that runs their M
    /// itself: the thread is left with no M and no goroutine, the abandoned goroutines'
    /// exclusivity records do not stay in the thread's access set (the same property is
    /// modified again on the thread, and inside the next run, which would abort with
    /// "Simultaneous accesses" if they did), and every repeat of a run gives its schedule.
    @Test func runsOneAfterAnotherOnTheCallingThreadLeaveItClean() throws {
        final class Holder: @unchecked Sendable {
            struct State {
                var count = 0
                mutating func blockForever(_ ch: Channel<Int>) { count += ch.receive() ?? 0 }
            }
            /// Written by one goroutine or the test thread at a time (each run is one thread).
            var state = State()
        }
        let holder = Holder()
        let report = Box<[String]>([])
        Self.onThread(stack: 8 << 20) {
            func det(_ seed: UInt64) -> Scheduler {
                var c = SchedulerConfig()
                c.deterministic = DeterministicConfig(strategy: .random(seed: seed))
                c.reportPanics = false
                return Scheduler(c)
            }
            func clean(_ what: String) {
                if Machine.current != nil { report.value.append("\(what): an M is left on the thread") }
                if tc_tls_g() != nil { report.value.append("\(what): a goroutine is left on the thread") }
            }
            var traces: [[Int64]] = []
            for round in 0..<3 {
                // Abandoned mid-access: main returns while the goroutine blocks inside the modify.
                let s = det(7)
                let me = tc_thread_id()
                let ran = Box<Int64>(0)
                do {
                    try s.run {
                        ran.value = tc_thread_id()
                        let never = Channel<Int>(capacity: 0)
                        let started = Channel<Int>(capacity: 1)
                        go {
                            started.send(1)
                            holder.state.blockForever(never)
                        }
                        _ = started.receive()
                        for _ in 0..<3 { Goroutine.safePoint() }
                        holder.state.count += 1
                    }
                } catch { report.value.append("round \(round): \(error)") }
                if ran.value != me { report.value.append("round \(round): the M ran on another thread") }
                traces.append(s.scheduleTrace)
                clean("round \(round) after an abandoned access")
                holder.state.count += 1  // aborts if a stale record of the access is in the set
                // A deadlock: every goroutine blocks (one of them inside the modify again).
                do {
                    try det(8).run {
                        let never = Channel<Int>(capacity: 0)
                        go { holder.state.blockForever(never) }
                        _ = never.receive()
                    }
                    report.value.append("round \(round): the deadlock was not reported")
                } catch {
                    guard case .deadlock = error as? SchedulerError else {
                        report.value.append("round \(round): \(error) instead of a deadlock"); return
                    }
                }
                clean("round \(round) after a deadlock")
                // A panic in a goroutine while another is mid-access.
                do {
                    try det(9).run {
                        let never = Channel<Int>(capacity: 0)
                        go { holder.state.blockForever(never) }
                        Goroutine.safePoint()
                        throw GoPanic("boom")
                    }
                    report.value.append("round \(round): the panic was not reported")
                } catch {
                    guard case .panic = error as? SchedulerError else {
                        report.value.append("round \(round): \(error) instead of a panic"); return
                    }
                }
                clean("round \(round) after a panic")
                holder.state.count += 1
            }
            if Set(traces.map { $0 }).count != 1 { report.value.append("the same seed gave different schedules: \(traces)") }
        }
        #expect(report.value == [])
        #expect(holder.state.count == 9)
    }
}
