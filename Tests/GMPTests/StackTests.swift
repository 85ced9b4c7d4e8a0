import CContext
import Foundation
import Testing
@testable import GMP

/// Goroutine stacks large enough for a recursive interpreter, and what they cost.
@Suite struct StackTests {
    /// A recursion several hundred KiB deep (a tree-walking interpreter's eval) runs on a
    /// goroutine with the default configuration: the stack is a 1 MiB reservation of
    /// which only the touched pages are committed.
    @Test func deepRecursionFitsTheDefaultStack() throws {
        let result = Box(0)
        try Scheduler.run(SchedulerConfig()) {
            @inline(never) @Sendable func eval(_ depth: Int) -> Int {
                var frame = (0..<128).map { _ in depth }  // heap, plus a big frame below
                var pad: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int,
                          Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
                    (depth, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                withUnsafeMutablePointer(to: &pad) { _ = $0 }
                frame[0] = pad.0
                return depth == 0 ? 0 : 1 + eval(depth - 1) + frame[0] - depth
            }
            let done = Channel<Int>()
            go { done.send(eval(1_000)) }  // >= 1,000 x 256 B of frames: past 64 KiB
            result.value = done.receive()!
        }
        #expect(result.value == 1_000)
    }

    /// Measurement (not a check; run with TRICOLOR_MEASURE_STACKS=<stackSize bytes> or
    /// `default`): resident memory and page tables for 10,000 parked goroutines. The docs
    /// quote its output.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TRICOLOR_MEASURE_STACKS"] != nil))
    func residentCostOfTenThousandGoroutines() throws {
        let arg = ProcessInfo.processInfo.environment["TRICOLOR_MEASURE_STACKS"]!
        var c = SchedulerConfig()
        c.procs = 2
        if let n = Int(arg) { c.stackSize = n }
        let stackSize = c.stackSize
        let line = Box("")
        try Scheduler.run(c) {
            let n = 10_000
            let gate = Channel<Int>()
            let wg = WaitGroup()
            let rss0 = tc_rss_bytes(), pte0 = vmPTEKiB()
            for _ in 0..<n {
                wg.add(1)
                go { wg.done(); _ = gate.receive() }
            }
            wg.wait()
            let rss1 = tc_rss_bytes(), pte1 = vmPTEKiB()
            line.value = "stackSize=\(stackSize) goroutines=\(n) rss_delta=\(rss1 - rss0) B "
                + "(\((rss1 - rss0) / n) B/goroutine) page_tables_delta=\(pte1 - pte0) KiB"
            gate.close()
        }
        print("MEASURE " + line.value)
    }

    /// VmPTE (page-table memory) from /proc/self/status, KiB.
    func vmPTEKiB() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for l in s.split(separator: "\n") where l.hasPrefix("VmPTE:") {
            return Int(l.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
        }
        return -1
    }

    /// Goroutines on one thread (P=1) keep their own rounding mode across switches: the
    /// context switch carries MXCSR / the x87 control word (FPCR on arm64) with the
    /// goroutine, including when it skips reloading an unchanged value.
    @Test func roundingModeTravelsWithTheGoroutine() throws {
        let seen = Box([String]())
        var c = SchedulerConfig()
        c.procs = 1
        try Scheduler.run(c) {
            let upwardSet = Channel<Void>(), checked = Channel<Void>(), done = Channel<Void>()
            go {
                fesetround(FE_UPWARD)
                upwardSet.send(())
                checked.receive()
                seen.value.append("a \(fegetround() == FE_UPWARD)")
                fesetround(FE_TONEAREST)
                done.send(())
            }
            upwardSet.receive()
            seen.value.append("main \(fegetround() == FE_TONEAREST)")
            checked.send(())
            done.receive()
        }
        #expect(seen.value == ["main true", "a true"])
    }
}
