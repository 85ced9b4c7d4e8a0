import Testing
@testable import TriColor

/// The pacer's rules (Runtime/Pacer.swift) on constructed measurements: Go 1.18's goal,
/// the trigger bounds, the cons/mark model and the soft memory limit.
@Suite struct PacerTests {
    func measurement(marked: Int, stacks: Int = 0, globals: Int = 0) -> MarkMeasurement {
        var m = MarkMeasurement()
        m.heapMarked = marked
        m.heapScan = marked
        m.stackScan = stacks
        m.globalsScan = globals
        m.heapLiveAtEnd = marked
        m.heapInUse = marked
        return m
    }

    @Test func goalCountsStacksAndGlobals() {
        let p = Pacer(gogc: 100, minimumGoal: 4 << 20, concurrent: false)
        #expect(p.cycleEnded(measurement(marked: 10 << 20, stacks: 1 << 20, globals: 1 << 20)) == 10 << 20 + 12 << 20)
        #expect(p.trigger.load(ordering: .relaxed) == 22 << 20, "a stop-the-world collector triggers at the goal")
        let half = Pacer(gogc: 50, minimumGoal: 4 << 20, concurrent: false)
        #expect(half.cycleEnded(measurement(marked: 10 << 20)) == 15 << 20)
        #expect(half.cycleEnded(measurement(marked: 1 << 20)) == 4 << 20, "never below the minimum goal")
        let off = Pacer(gogc: nil, minimumGoal: 4 << 20, concurrent: true)
        #expect(off.cycleEnded(measurement(marked: 1 << 20)) == .max)
        #expect(off.trigger.load(ordering: .relaxed) == .max)
    }

    @Test func triggerStaysBetweenSevenAndNinetyFiveHundredths() {
        let marked = 64 << 20, goal = 128 << 20, span = goal - marked
        #expect(Pacer.trigger(goal: goal, marked: marked, runway: 0) == marked + span / 64 * 61, "no runway: 0.95")
        #expect(Pacer.trigger(goal: goal, marked: marked, runway: .max / 2) == marked + span / 64 * 45, "huge runway: 0.7")
        #expect(Pacer.trigger(goal: goal, marked: marked, runway: 10 << 20) == goal - (10 << 20))
        #expect(Pacer.trigger(goal: goal, marked: goal, runway: 0) == goal)
        // A large heap may trigger as late as 4 MiB before the goal.
        #expect(Pacer.trigger(goal: 2 << 30, marked: 1 << 30, runway: 0) == (2 << 30) - (4 << 20))
    }

    /// One cycle allocated 10 MiB while scanning 40 MiB with no assists: cons/mark is
    /// 10 x 0.25 / (40 x 0.75) = 1/12, and the next runway is that x 3 x the scan work.
    @Test func consMarkModelSetsTheRunway() {
        let p = Pacer(gogc: 100, minimumGoal: 4 << 20, concurrent: true)
        var m = measurement(marked: 40 << 20)
        m.heapLiveAtTrigger = 70 << 20
        m.heapLiveAtEnd = 80 << 20
        m.markNS = 10_000_000
        m.procs = 1
        p.cycleEnded(m)
        let measured = try! #require(p.lastMeasuredConsMark)
        #expect(abs(measured - 1.0 / 12) < 1e-9)
        // The controller moves toward the measurement (kp 0.9 plus the integral term).
        #expect(p.consMark > 0 && p.consMark <= measured * 1.2)
        #expect(p.runway == Int(p.consMark * 3 * Double(40 << 20)))
        // Repeated identical cycles converge on the measurement.
        for _ in 0..<30 { p.cycleEnded(m) }
        #expect(abs(p.consMark - measured) < measured * 0.05)
        // Assists raise the measured utilization and so the cons/mark.
        m.assistNS = 2_500_000
        p.cycleEnded(m)
        #expect(try! #require(p.lastMeasuredConsMark) > measured)
    }

    @Test func memoryLimitCapsTheGoal() {
        let p = Pacer(gogc: 100, minimumGoal: 4 << 20, concurrent: true, memoryLimit: 64 << 20)
        var m = measurement(marked: 40 << 20)
        m.heapLiveAtEnd = 50 << 20
        m.heapInUse = 54 << 20   // 4 MiB of span memory holds no object
        // GOGC alone would allow 80 MiB; the limit allows 64 - 4 - 1 (headroom).
        #expect(p.cycleEnded(m) == 59 << 20)
        #expect(p.memoryLimited)
        // Already 6 MiB past the limit: the goal comes down by the overage too.
        m.heapInUse = 70 << 20
        #expect(p.cycleEnded(m) == max(40 << 20, (64 - 20 - 6 - 1) << 20))
        // The live heap alone exceeds the limit: the goal is the live heap (back-to-back
        // cycles, reined in by the CPU limiter).
        m.heapMarked = 100 << 20
        #expect(p.cycleEnded(m) == 100 << 20)
        // A generous limit leaves GOGC in charge.
        let loose = Pacer(gogc: 100, minimumGoal: 4 << 20, concurrent: true, memoryLimit: 1 << 30)
        #expect(loose.cycleEnded(measurement(marked: 40 << 20)) == 80 << 20)
        #expect(!loose.memoryLimited)
        // GOGC off with a limit: the limit alone paces.
        let limitOnly = Pacer(gogc: nil, minimumGoal: 4 << 20, concurrent: true, memoryLimit: 64 << 20)
        #expect(limitOnly.cycleEnded(measurement(marked: 10 << 20)) == 63 << 20)
        #expect(limitOnly.trigger.load(ordering: .relaxed) < 63 << 20)
    }

    @Test func piControllerSettlesAndSurvivesOverflow() {
        var c = PIController(kp: 0.9, ti: 4.0, tt: 1000, min: -1000, max: 1000)
        var x = 0.0
        for _ in 0..<40 { x = c.next(input: x, setpoint: 2.0)! }
        #expect(abs(x - 2.0) < 0.01)
        #expect(c.next(input: 0, setpoint: .infinity) == nil)
        #expect(c.next(input: 0, setpoint: 1) != nil)
    }
}
