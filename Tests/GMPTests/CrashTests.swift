import Testing
@testable import GMP

/// Crashes that must produce a clear message, run in a child process (exit tests).
@Suite struct CrashTests {
    @Test func stackOverflowNamesGoroutine() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            @inline(never) @Sendable func recurse(_ n: Int) -> Int {
                var pad = (n, n, n, n, n, n, n, n)
                withUnsafeMutablePointer(to: &pad) { _ = $0 }
                return n == Int.max ? 0 : recurse(n + 1) + pad.0
            }
            try? Scheduler.run(SchedulerConfig()) {
                go { _ = recurse(0) }
                Goroutine.sleep(nanoseconds: 1_000_000_000)
            }
        }.map { result in
            let err = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(err.contains("goroutine 2 stack overflow"), "\(err)")
        }
    }

    @Test func channelOutsideGoroutineIsAClearError() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Channel<Int>(capacity: 1).send(1)
        }.map { result in
            let err = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(err.contains("must be called from a goroutine"), "\(err)")
        }
    }
}
