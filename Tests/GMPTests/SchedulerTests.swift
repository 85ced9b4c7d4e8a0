import CContext
import Foundation
import Synchronization
import Testing
@testable import GMP

@Suite(.serialized) struct SchedulerTests {
    /// A goroutine spinning through safe points cannot starve another at GOMAXPROCS=1:
    /// sysmon preempts it after 10 ms.
    @Test func sysmonPreemptsSpinnerAtOneProc() throws {
        let timedOut = Box(false)
        let spinsWhenMainRan = Box(0)
        var c = SchedulerConfig()
        c.procs = 1
        try Scheduler.run(c) {
            let flag = Atomic<Bool>(false)
            let spins = Atomic<Int>(0)
            let wg = WaitGroup()
            wg.add(1)
            go {
                let t0 = nanotime()
                // Spin without blocking; only preemption lets main run again.
                while !flag.load(ordering: .relaxed) {
                    if nanotime() - t0 > 5_000_000_000 { timedOut.value = true; break }
                    spins.add(1, ordering: .relaxed)
                    Goroutine.safePoint()
                }
                wg.done()
            }
            Goroutine.yield()  // the spinner starts; main waits on the global queue
            spinsWhenMainRan.value = spins.load(ordering: .relaxed)
            flag.store(true, ordering: .relaxed)
            wg.wait()
        }
        #expect(!timedOut.value, "the spinner was never preempted")
        #expect(spinsWhenMainRan.value > 0, "main ran before the spinner started spinning")
    }

    /// A goroutine blocked in `blockingCall` hands its P off at once: at GOMAXPROCS=1 other
    /// goroutines keep running during the call.
    @Test func blockingCallHandsOffP() throws {
        let (progress, _) = try progressDuringCall { Scheduler.blockingCall($0) }
        #expect(progress > 100)
    }

    /// A plain `syscall` keeps its P, but sysmon retakes it when other work is waiting.
    @Test func sysmonRetakesPFromSyscall() throws {
        let (progress, s) = try progressDuringCall { Scheduler.syscall($0) }
        #expect(progress > 100)
        #expect(s.stats.syscallRetakes.load(ordering: .relaxed) >= 1)
    }

    /// At GOMAXPROCS=1, one goroutine blocks its thread for 200 ms inside `call`; returns how
    /// many times another goroutine ran meanwhile, and the scheduler.
    func progressDuringCall(_ call: @escaping @Sendable (() -> Void) -> Void) throws -> (Int, Scheduler) {
        let progress = Box(0)
        var c = SchedulerConfig()
        c.procs = 1
        let s = Scheduler(c)
        try s.run {
            let inCall = Atomic<Bool>(false), callDone = Atomic<Bool>(false)
            let wg = WaitGroup()
            wg.add(2)
            go {
                call {
                    inCall.store(true, ordering: .releasing)
                    usleep(200_000)
                }
                callDone.store(true, ordering: .releasing)
                wg.done()
            }
            go {
                while !inCall.load(ordering: .acquiring) { Goroutine.yield() }
                while !callDone.load(ordering: .acquiring) {
                    progress.value += 1
                    Goroutine.yield()
                }
                wg.done()
            }
            wg.wait()
        }
        return (progress.value, s)
    }

    /// Goroutines migrate between threads at GOMAXPROCS=2 while running Swift code that
    /// allocates, throws and prints.
    @Test func migrationWithAllocationThrowsAndPrinting() throws {
        struct Oops: Error { let n: Int }
        final class Node { var next: Node?; let v: Int; init(_ v: Int, _ n: Node?) { self.v = v; next = n } }
        let migrated = Atomic<Int>(0)
        let checks = Atomic<Int>(0)
        var c = SchedulerConfig()
        c.procs = 2
        try Scheduler.run(c) {
            let wg = WaitGroup()
            for k in 0..<16 {
                wg.add(1)
                go {
                    var threads = Set<Int64>()
                    var list: Node? = nil
                    var out = ""
                    for i in 0..<300 {
                        threads.insert(tc_thread_id())
                        list = Node(i, list)
                        do {
                            if i % 3 == 0 { throw Oops(n: i) }
                        } catch let e as Oops {
                            print("g\(k) caught \(e.n)", to: &out)
                        } catch {}
                        Goroutine.yield()
                    }
                    var sum = 0
                    while let n = list { sum += n.v; list = n.next }
                    if sum == 300 * 299 / 2 && out.split(separator: "\n").count == 100 {
                        checks.add(1, ordering: .relaxed)
                    }
                    if threads.count > 1 { migrated.add(1, ordering: .relaxed) }
                    wg.done()
                }
            }
            wg.wait()
        }
        #expect(checks.load(ordering: .relaxed) == 16)
        #expect(migrated.load(ordering: .relaxed) >= 1, "no goroutine ran on two threads")
    }

    @Test func deadlockIsReported() {
        var c = SchedulerConfig()
        c.procs = 2
        #expect {
            try Scheduler.run(c) {
                let ch = Channel<Int>()
                go { _ = Channel<Int>().receive() }
                _ = ch.receive()
            }
        } throws: { error in
            guard case .deadlock(let report) = error as? SchedulerError else { return false }
            let text = "\(error)"
            return text.contains("all goroutines are asleep - deadlock!")
                && report.contains("goroutine 1 [chan receive]:")
                && report.contains("goroutine 2 [chan receive]:")
        }
    }

    @Test func deadlockOnMutexAndWaitGroup() {
        #expect {
            try Scheduler.run(SchedulerConfig()) {
                let wg = WaitGroup()
                wg.add(1)
                wg.wait()
            }
        } throws: { error in
            guard case .deadlock(let r) = error as? SchedulerError else { return false }
            return r.contains("[sync.WaitGroup.Wait]")
        }
    }

    @Test func panicNamesGoroutine() {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        #expect {
            try Scheduler.run(SchedulerConfig()) {
                let ch = Channel<Int>()
                go { throw Boom() }
                _ = ch.receive()
            }
        } throws: { error in
            guard case .panic(let g, let msg) = error as? SchedulerError else { return false }
            return g == 2 && msg == "boom"
        }
    }

    @Test func sendOnClosedChannelPanics() {
        #expect {
            try Scheduler.run(SchedulerConfig()) {
                let ch = Channel<Int>(capacity: 1)
                ch.close()
                ch.send(1)
            }
        } throws: { error in
            guard case .panic(1, let msg) = error as? SchedulerError else { return false }
            return msg == "send on closed channel"
        }
    }

    @Test func mutexExcludesAndWaitGroupWaits() throws {
        let counter = Box(0)
        let maxInside = Box(0)
        var c = SchedulerConfig()
        c.procs = 2
        try Scheduler.run(c) {
            let mu = GoMutex()
            let wg = WaitGroup()
            let inside = Box(0)  // guarded by mu
            for _ in 0..<20 {
                wg.add(1)
                go {
                    for _ in 0..<100 {
                        mu.withLock {
                            inside.value += 1
                            maxInside.value = max(maxInside.value, inside.value)
                            let v = counter.value
                            Goroutine.yield()  // park-free yield inside the critical section
                            counter.value = v + 1
                            inside.value -= 1
                        }
                    }
                    wg.done()
                }
            }
            wg.wait()
        }
        #expect(counter.value == 2000)
        #expect(maxInside.value == 1)
    }

    @Test func sleepersWakeInDeadlineOrder() throws {
        let order = Box<[Int]>([])
        var c = SchedulerConfig()
        c.procs = 2
        try Scheduler.run(c) {
            let mu = GoMutex()
            let wg = WaitGroup()
            for k in [5, 1, 4, 2, 3] {
                wg.add(1)
                go {
                    Goroutine.sleep(nanoseconds: Int64(k) * 15_000_000)
                    mu.withLock { order.value.append(k) }
                    wg.done()
                }
            }
            wg.wait()
        }
        #expect(order.value == [1, 2, 3, 4, 5])
    }

    /// While the world is stopped no other goroutine makes progress; afterwards they do.
    @Test func stopTheWorldStopsEveryone() throws {
        let frozen = Box(false), resumed = Box(false)
        var c = SchedulerConfig()
        c.procs = 2
        let s = Scheduler(c)
        try s.run {
            let counter = Atomic<Int>(0)
            let stop = Atomic<Bool>(false)
            let wg = WaitGroup()
            for _ in 0..<4 {
                wg.add(1)
                go {
                    while !stop.load(ordering: .relaxed) {
                        counter.add(1, ordering: .relaxed)
                        Goroutine.safePoint()
                    }
                    wg.done()
                }
            }
            Goroutine.sleep(nanoseconds: 2_000_000)
            let w = s.stopTheWorld(reason: "test")
            let a = counter.load(ordering: .relaxed)
            let t0 = nanotime()
            while nanotime() - t0 < 20_000_000 {}
            frozen.value = counter.load(ordering: .relaxed) == a
            s.startTheWorld(w)
            Goroutine.sleep(nanoseconds: 5_000_000)
            resumed.value = counter.load(ordering: .relaxed) > a
            stop.store(true, ordering: .relaxed)
            wg.wait()
        }
        #expect(frozen.value)
        #expect(resumed.value)
        #expect(s.stats.worldStops.load(ordering: .relaxed) == 1)
        #expect(s.stats.stwMaxNS.load(ordering: .relaxed) >= 20_000_000)
    }

    /// `withSuspended` freezes one running goroutine and lets the collector read its roots.
    @Test func suspendOneGoroutineReadsRoots() throws {
        let seen = Box<[UInt64]>([])
        let stable = Box(true)
        var c = SchedulerConfig()
        c.procs = 2
        let s = Scheduler(c)
        try s.run {
            let stop = Atomic<Bool>(false)
            let started = WaitGroup()
            started.add(1)
            let target = Box<Goroutine?>(nil)
            let wg = WaitGroup()
            wg.add(1)
            go {
                let me = Goroutine.current!
                me.roots.push(0)
                target.value = me
                started.done()
                var i: UInt64 = 0
                while !stop.load(ordering: .relaxed) {
                    i += 1
                    me.roots[0] = i
                    Goroutine.safePoint()
                }
                wg.done()
            }
            started.wait()
            for _ in 0..<20 {
                s.withSuspended(target.value!) { g in
                    let a = g.roots[0]
                    for _ in 0..<1000 where g.roots[0] != a { stable.value = false }
                    seen.value.append(a)
                }
                Goroutine.sleep(nanoseconds: 200_000)
            }
            stop.store(true, ordering: .relaxed)
            wg.wait()
        }
        #expect(stable.value, "roots changed while suspended")
        #expect(seen.value.count == 20)
        #expect(Set(seen.value).count > 1, "the goroutine ran between suspensions")
    }

    @Test func schedtraceLineHasGoShape() throws {
        let line = Box("")
        var c = SchedulerConfig()
        c.procs = 2
        let s = Scheduler(c)
        try s.run { line.value = s.schedtraceLine() }
        let re = #/^SCHED \d+ms: gomaxprocs=2 idleprocs=\d+ threads=\d+ spinningthreads=\d+ idlethreads=\d+ runqueue=\d+ \[\d+ \d+\]$/#
        #expect(line.value.wholeMatch(of: re) != nil, "\(line.value)")
    }

    @Test func debugSettingsParse() {
        var c = SchedulerConfig()
        let problems = c.apply(debug: "schedtrace=250,gomaxprocs=3,gctrace=1")
        #expect(problems.isEmpty)
        #expect(c.schedtraceMS == 250 && c.procs == 3)
        #expect(c.apply(debug: "gomaxprocs=zero") == ["gomaxprocs=zero: want a positive integer"])
    }

    @Test func manyParkedGoroutines() throws {
        let n = 20_000
        let parked = Box(0)
        var c = SchedulerConfig()
        c.procs = 2
        let s = Scheduler(c)
        try s.run {
            let gate = Channel<Int>()
            let wg = WaitGroup()
            wg.add(n)
            for _ in 0..<n { go { wg.done(); _ = gate.receive() } }
            wg.wait()
            parked.value = s.goroutineCount - 1
            gate.close()
        }
        #expect(parked.value == n)
    }

    @Test func goroutineLimitFailsWithMessage() {
        var c = SchedulerConfig()
        c.maxGoroutines = 100
        #expect {
            try Scheduler.run(c) {
                let gate = Channel<Int>()
                for _ in 0..<200 { go { _ = gate.receive() } }
            }
        } throws: { error in
            guard case .resourceLimit(let m) = error as? SchedulerError else { return false }
            return m.contains("too many goroutines") && m.contains("100")
        }
    }
}

/// Goroutine.onSystemStack (Go's systemstack): the body runs on the M's thread stack,
/// deeper than a 16 KiB goroutine stack allows, as the same goroutine, and the goroutine
/// carries on normally afterwards.
@Test func onSystemStackRunsDeepWorkOffTheGoroutineStack() throws {
    @inline(never) @Sendable func depth(_ n: Int) -> Int {
        var pad = (n, n, n, n, n, n, n, n, n, n, n, n, n, n, n, n)   // 128 bytes a frame
        withUnsafeMutablePointer(to: &pad) { _ = $0 }
        return n == 0 ? pad.0 : depth(n - 1) + 1
    }
    // The lines travel over a channel (GMP's own synchronisation, which ThreadSanitizer
    // sees), not through a Synchronization.Mutex, whose futex it does not.
    let results = Box<[String]>([])
    try Scheduler.run(.smallStacks) {
        let lines = Channel<String>(capacity: 3)
        for k in 0..<3 {
            go {
                let id = Goroutine.current!.id
                var onStack = 0
                let addr = withUnsafeMutablePointer(to: &onStack) { UInt(bitPattern: $0) }
                let (sameG, far, deep, inside) = Goroutine.onSystemStack { () -> (Bool, Bool, Int, Bool) in
                    var local = 0
                    let here = withUnsafeMutablePointer(to: &local) { UInt(bitPattern: $0) }
                    let distance = here > addr ? here - addr : addr - here
                    // 2,000 frames of >= 128 bytes: far beyond 16 KiB.
                    return (Goroutine.current!.id == id, distance > 64 << 10,
                            depth(2_000), Goroutine.isOnSystemStack)
                }
                Goroutine.yield()
                lines.send("\(k) \(sameG) \(far) \(deep) \(inside) \(Goroutine.isOnSystemStack)")
            }
        }
        results.value = (0..<3).map { _ in lines.receive()! }
    }
    #expect(results.value.sorted() == (0..<3).map { "\($0) true true 2000 true false" })
}

/// Goroutines that were made runnable but never ran when main returned are dropped with their
/// scheduler, and the scheduler itself goes away. Under ThreadSanitizer this is also the
/// regression test for destroying fibers that were never current (TSan died in
/// ThreadContext::OnFinished after a few thousand of them, tc_context_destroy).
@Test func goroutinesThatNeverRanAreReleasedWithTheirScheduler() throws {
    weak var dropped: Scheduler?
    for _ in 0..<4 {
        var c = SchedulerConfig()
        c.procs = 1
        let s = Scheduler(c)
        dropped = s
        let ran = Atomic<Int>(0)
        try s.run {
            for _ in 0..<2_000 { go { ran.add(1, ordering: .relaxed) } }
        }
        // Main never blocked at one P, so most of them never ran (it is no error for some to run).
        #expect(ran.load(ordering: .relaxed) < 2_000)
        #expect(s.stats.goroutinesCreated.load(ordering: .relaxed) == 2_001)
    }
    #expect(dropped == nil, "the scheduler (and the goroutines it held) was never released")
}
