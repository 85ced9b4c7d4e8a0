import Testing
import GMP

/// The README's example, verbatim apart from capturing the printed sum.
@Test func readmeExample() throws {
    let printed = Box(0)
    try Scheduler.run(SchedulerConfig()) {
        let jobs = Channel<Int>(capacity: 16)
        let results = Channel<Int>()
        let wg = WaitGroup()
        for _ in 0..<4 {
            wg.add(1)
            go {
                for n in jobs { results.send(n * n) }
                wg.done()
            }
        }
        go { for n in 1...100 { jobs.send(n) }; jobs.close() }
        go { wg.wait(); results.close() }
        var sum = 0
        for r in results { sum += r }
        printed.value = sum
    }
    #expect(printed.value == 338350)
}
