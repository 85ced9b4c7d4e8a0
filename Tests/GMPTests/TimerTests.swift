import Testing
@testable import GMP

/// Timers in deterministic mode: virtual time makes every firing time exact.
@Suite struct DeterministicTimerTests {
    func runDet(seed: UInt64 = 1, _ body: @escaping @Sendable () throws -> Void) throws -> Scheduler {
        let s = Scheduler(.deterministic(seed: seed))
        try s.run(body)
        return s
    }

    /// Three timers armed out of order fire in deadline order, each at exactly its deadline.
    @Test func timersFireInDeadlineOrderAtExactTimes() throws {
        let got = Box<[String]>([])
        _ = try runDet {
            let s = Goroutine.current!.scheduler
            let start = s.now()
            let t30 = GoTimer(after: .milliseconds(30))
            let t10 = GoTimer(after: .milliseconds(10))
            let t20 = GoTimer(after: .milliseconds(20))
            for _ in 0..<3 {
                let (name, tick): (String, TimerTick) = Select.run {
                    $0.receive(from: t30.C) { ("t30", $0!) }
                    $0.receive(from: t10.C) { ("t10", $0!) }
                    $0.receive(from: t20.C) { ("t20", $0!) }
                }
                got.value.append("\(name)@\((tick.nanoseconds - start) / 1_000_000)ms")
            }
        }
        #expect(got.value == ["t10@10ms", "t20@20ms", "t30@30ms"])
    }

    /// A ticker ticks on its period; a reader slower than the period finds one tick (the
    /// oldest undelivered) and the missed ones dropped, and the ticker stays on its period.
    @Test func tickerDropsTicksForASlowReader() throws {
        let got = Box<[Int64]>([])
        let buffered = Box(-1)
        _ = try runDet {
            let s = Goroutine.current!.scheduler
            let start = s.now()
            let tick = GoTicker(every: .milliseconds(10))
            got.value.append((tick.C.receive()!.nanoseconds - start) / 1_000_000)
            got.value.append((tick.C.receive()!.nanoseconds - start) / 1_000_000)
            Goroutine.sleep(for: .milliseconds(55))  // ticks at 30 (kept), 40-70 (dropped) while asleep
            buffered.value = tick.C.count
            got.value.append((tick.C.receive()!.nanoseconds - start) / 1_000_000)
            got.value.append((tick.C.receive()!.nanoseconds - start) / 1_000_000)
            tick.stop()
        }
        #expect(buffered.value == 1)
        #expect(got.value == [10, 20, 30, 80])
    }

    /// Stop before the deadline returns true and nothing is ever delivered; reset moves the
    /// deadline; stop after firing returns false.
    @Test func stopAndReset() throws {
        let log = Box<[String]>([])
        _ = try runDet {
            let s = Goroutine.current!.scheduler
            let start = s.now()
            let a = GoTimer(after: .milliseconds(10))
            log.value.append("stop \(a.stop())")
            log.value.append("stop again \(a.stop())")
            let b = GoTimer(after: .milliseconds(10))
            log.value.append("reset \(b.reset(.milliseconds(40)))")
            let t = b.C.receive()!
            log.value.append("b at \((t.nanoseconds - start) / 1_000_000)ms")
            log.value.append("a delivered \(a.C.tryReceive() != nil)")
            log.value.append("stop fired \(b.stop())")
            log.value.append("reset fired \(b.reset(.milliseconds(5)))")
            log.value.append("b again at \((b.C.receive()!.nanoseconds - start) / 1_000_000)ms")
        }
        #expect(log.value == ["stop true", "stop again false", "reset true", "b at 40ms",
                              "a delivered false", "stop fired false", "reset fired false", "b again at 45ms"])
    }

    /// afterFunc runs its function on a new goroutine at the deadline; a stopped one never runs.
    @Test func afterFuncRunsOnItsOwnGoroutine() throws {
        let log = Box<[String]>([])
        _ = try runDet {
            let s = Goroutine.current!.scheduler
            let start = s.now()
            let mainID = Goroutine.current!.id
            let done = Channel<String>(capacity: 2)
            let cancelled = afterFunc(.milliseconds(5)) { done.send("cancelled ran") }
            _ = afterFunc(.milliseconds(20)) {
                let g = Goroutine.current!
                done.send("ran at \((g.scheduler.now() - start) / 1_000_000)ms on main \(g.id == mainID)")
            }
            log.value.append("stop \(cancelled.stop())")
            log.value.append(done.receive()!)
            Goroutine.sleep(for: .milliseconds(10))
            log.value.append("buffered \(done.count)")
        }
        #expect(log.value == ["stop true", "ran at 20ms on main false", "buffered 0"])
    }

    /// A select with a timeout takes the timeout when nothing else is ready, at exactly the
    /// timeout, and takes the ready case (leaving the timeout unfired) when one is.
    @Test func selectWithTimeout() throws {
        let log = Box<[String]>([])
        _ = try runDet {
            let s = Goroutine.current!.scheduler
            let start = s.now()
            let never = Channel<Int>()
            let r1: String = Select.run {
                $0.receive(from: never) { _ in "value" }
                $0.receive(from: after(.milliseconds(25))) { "timeout at \(($0!.nanoseconds - start) / 1_000_000)ms" }
            }
            log.value.append(r1)
            let ready = Channel<Int>(capacity: 1)
            ready.send(7)
            let r2: String = Select.run {
                $0.receive(from: ready) { "value \($0!)" }
                $0.receive(from: after(.milliseconds(25))) { _ in "timeout" }
            }
            log.value.append(r2)
        }
        #expect(log.value == ["timeout at 25ms", "value 7"])
    }

    /// Same seed, same interleaving and same firing times, with sleepers and timers mixed.
    @Test func timersAreReproducible() throws {
        func once(_ seed: UInt64) throws -> ([String], [Int64]) {
            let log = Box<[String]>([])
            let s = try runDet(seed: seed) {
                let start = Goroutine.current!.scheduler.now()
                let wg = WaitGroup()
                let out = Channel<String>(capacity: 64)
                for k in 1...4 {
                    wg.add(1)
                    go {
                        let t = GoTimer(after: .milliseconds(Int64(5 * k)))
                        Goroutine.sleep(for: .milliseconds(Int64(3 * (5 - k))))
                        let tick = t.C.receive()!
                        out.send("g\(k) \(tick.nanoseconds - start)")
                        wg.done()
                    }
                }
                wg.wait()
                out.close()
                for v in out { log.value.append(v) }
            }
            return (log.value, s.scheduleTrace)
        }
        for seed: UInt64 in [1, 7, 42] {
            let a = try once(seed), b = try once(seed)
            #expect(a.0 == b.0)
            #expect(a.1 == b.1)
            #expect(a.0.count == 4)
        }
    }
}

/// Timers on real threads: what must hold whatever the timing (bounds are generous).
@Suite struct TimerTests {
    func run(procs: Int = 2, _ body: @escaping @Sendable () throws -> Void) throws {
        var c = SchedulerConfig()
        c.procs = procs
        try Scheduler.run(c, body)
    }

    @Test(arguments: [1, 2])
    func timerFiresNoEarlierThanItsDeadline(procs: Int) throws {
        let elapsed = Box<Int64>(0)
        try run(procs: procs) {
            let t0 = nanotime()
            let t = GoTimer(after: .milliseconds(5))
            let tick = t.C.receive()!
            elapsed.value = tick.nanoseconds - t0
            #expect(!t.stop())
        }
        #expect(elapsed.value >= 5_000_000)
    }

    /// Stopped long before its deadline: stop returns true, the timer leaves its heap, and
    /// nothing arrives after the deadline has passed.
    @Test func stopBeforeFireNeverDelivers() throws {
        let log = Box<[String]>([])
        try run {
            let s = Goroutine.current!.scheduler
            let t = GoTimer(after: .milliseconds(200))
            log.value.append("stopped \(t.stop())")
            log.value.append("pending \(s.timersPending)")
            Goroutine.sleep(for: .milliseconds(250))
            log.value.append("delivered \(t.C.tryReceive() != nil)")
        }
        #expect(log.value == ["stopped true", "pending false", "delivered false"])
    }

    /// Reset moves a far deadline close; the backstop timeout must not be what fires.
    @Test func resetMovesTheDeadline() throws {
        let result = Box("")
        try run {
            let t = GoTimer(after: .seconds(3600))
            let wasArmed = t.reset(.milliseconds(2))
            result.value = Select.run {
                $0.receive(from: t.C) { _ in "fired armed=\(wasArmed)" }
                $0.receive(from: after(.seconds(30))) { _ in "backstop" }
            }
        }
        #expect(result.value == "fired armed=true")
    }

    /// A ticker's channel never holds more than one tick, however slow the reader; after
    /// stop (and one possibly in-flight tick) nothing more arrives.
    @Test func tickerDropsTicksAndStops() throws {
        let log = Box<[String]>([])
        try run {
            let tick = GoTicker(every: .milliseconds(1))
            Goroutine.sleep(for: .milliseconds(30))
            log.value.append("buffered \(tick.C.count) of \(tick.C.capacity)")
            _ = tick.C.receive()
            _ = tick.C.receive()
            tick.stop()
            Goroutine.sleep(for: .milliseconds(5))
            _ = tick.C.tryReceive()  // a tick fired concurrently with stop
            Goroutine.sleep(for: .milliseconds(20))
            log.value.append("after stop \(tick.C.tryReceive() != nil)")
        }
        #expect(log.value == ["buffered 1 of 1", "after stop false"])
    }

    @Test func selectTimesOutOnARealClock() throws {
        let result = Box("")
        let elapsed = Box<Int64>(0)
        try run {
            let never = Channel<Int>()
            let t0 = nanotime()
            result.value = Select.run {
                $0.receive(from: never) { _ in "value" }
                $0.receive(from: after(.milliseconds(10))) { _ in "timeout" }
            }
            elapsed.value = nanotime() - t0
        }
        #expect(result.value == "timeout")
        #expect(elapsed.value >= 10_000_000)
    }

    @Test func afterFuncRunsOnANewGoroutine() throws {
        let ids = Box<[Int64]>([])
        try run {
            let done = Channel<Int64>()
            _ = afterFunc(.milliseconds(2)) { done.send(Goroutine.current!.id) }
            ids.value = [Goroutine.current!.id, done.receive()!]
        }
        #expect(ids.value.count == 2 && ids.value[0] != ids.value[1])
    }

    /// Many goroutines sleeping, arming, resetting and stopping at once on both Ps (and so
    /// on both heaps): every sleeper wakes, every stop is consistent, no timer is left armed.
    @Test func concurrentSleepsResetsAndStops() throws {
        let woke = Box(0)
        let pendingAfter = Box(true)
        try run {
            let s = Goroutine.current!.scheduler
            let shared = GoTimer(after: .seconds(3600))
            let wg = WaitGroup()
            let count = Channel<Int>(capacity: 1000)
            for k in 0..<40 {
                wg.add(1)
                go {
                    for i in 0..<25 {
                        if (k + i) % 3 == 0 {
                            Goroutine.sleep(nanoseconds: Int64(1 + (k * i) % 500) * 1_000)
                        } else {
                            shared.reset(.seconds(3600))
                            let own = GoTimer(after: .microseconds(Int64(50 + i)))
                            if i % 2 == 0 { own.stop() } else { _ = own.C.receive() }
                        }
                    }
                    count.send(1)
                    wg.done()
                }
            }
            wg.wait()
            count.close()
            for v in count { woke.value += v }
            shared.stop()
            pendingAfter.value = s.timersPending
        }
        #expect(woke.value == 40)
        #expect(pendingAfter.value == false)
    }

    /// A timer on the heap of a P that is not the waiter's (idle, or another M's) still
    /// fires: by an M looking for work, a parked M's timed wake-up, or sysmon.
    @Test(arguments: [0, 1])
    func timerOnAnotherPsHeapFires(pid: Int) throws {
        let got = Box<[String]>([])
        try run {
            let s = Goroutine.current!.scheduler
            let ch = Channel<TimerTick>(capacity: 1)
            let t = RuntimeTimer(.send(ch))
            s.addTimer(t, when: s.now() + 100_000_000, period: 0, on: s.allp[pid], wake: true)   // 100 ms: still pending when read, even under TSan
            got.value.append("on P\(t.owner.load(ordering: .relaxed))")
            _ = ch.receive()
            got.value.append("fired, on heap \(t.owner.load(ordering: .relaxed))")
        }
        #expect(got.value == ["on P\(pid)", "fired, on heap -1"])
    }

    /// A goroutine that waits only on a timer is not deadlocked; one that waits on nothing
    /// that can happen is, and the report says why.
    @Test func pendingTimerIsNotADeadlock() throws {
        try run { _ = after(.milliseconds(5)).receive() }
        #expect(throws: SchedulerError.self) {
            try run {
                let c = Channel<Int>()
                _ = c.receive()
            }
        }
    }
}
