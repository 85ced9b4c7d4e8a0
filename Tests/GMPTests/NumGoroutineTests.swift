import Testing
@testable import GMP

/// `Scheduler.numGoroutine` (Go's runtime.NumGoroutine) counts user goroutines only.
@Suite struct NumGoroutineTests {
    @Test func countsUserGoroutinesNotSystemOnes() throws {
        let seen = Box<[Int]>([])
        var c = SchedulerConfig()
        c.procs = 2
        try Scheduler.run(c) {
            let s = Goroutine.current!.scheduler
            seen.value.append(s.numGoroutine)  // main
            let gate = Channel<Int>()
            let wg = WaitGroup()
            for _ in 0..<3 {
                wg.add(1)
                go { _ = gate.receive(); wg.done() }
            }
            wg.add(1)
            go(prepare: { $0.isSystem = true }) { _ = gate.receive(); wg.done() }
            seen.value.append(s.numGoroutine)
            seen.value.append(s.goroutineCount)
            gate.close()
            wg.wait()
            // done() comes just before each goroutine exits: wait for the exits.
            var spins = 0
            while s.numGoroutine != 1 && spins < 100_000 {
                Goroutine.yield()
                spins += 1
            }
            seen.value.append(s.numGoroutine)
        }
        #expect(seen.value == [1, 4, 5, 1])
    }
}
