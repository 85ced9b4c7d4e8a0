// The pacer: when the next cycle starts and what heap it aims for (Go 1.19's
// gcControllerState, mgcpacer.go; the design is golang.org/design/44167-gc-pacer-redesign).
//
// The heap goal. With GOGC = g, a cycle that marked M bytes live, scanned S bytes of stacks
// and has G bytes of globals aims to finish before the heap reaches
//
//     goal = M + (M + S + G) x g / 100             (at least RuntimeConfig.minimumHeapGoal)
//
// so GOGC=100 lets the heap grow by the whole GC work of the last cycle (Go 1.18 added the
// stacks and globals: they are work the collector must do, so they earn heap too).
//
// The soft memory limit (Go 1.19's GOMEMLIMIT; `RuntimeConfig.memoryLimit`). The goal is
// capped so that heap memory stays under the limit:
//
//     limitGoal = limit - overhead - overage - 1 MiB      (never below M)
//
// where overhead is the span memory that holds no object (free slots, cached spans: heap
// in use minus heapLive at mark end), overage is how far heap memory already is past the
// limit, and 1 MiB is Go's headroom for pacing error. Unlike Go, whose limit covers every
// byte the runtime maps, ours covers heap spans only: goroutine stacks and runtime metadata
// are outside it. With a limit the goal may sit at the live heap itself, so cycles run back
// to back; the GC CPU limiter (GCCPU.swift) then stops assists once GC has taken more than
// half the CPU for a while, and the heap is allowed past the limit rather than the program
// being starved. The hard `heapLimit` is a different knob: past it allocation fails.
//
// The trigger (concurrent collectors). Marking runs while the mutator allocates, so the
// cycle must start early enough that the mutator, allocating during the mark, reaches the
// goal just as marking ends. Go 1.18's model measures the cons/mark ratio of the cycle that
// just ended: bytes allocated per CPU-second of mutator, over bytes scanned per CPU-second
// of GC,
//
//     consMark = (heapLive_end - heapLive_trigger) x (u + u_idle) / (scanWork x (1 - u))
//
// with u = 0.25 (background) + assist time / (mark time x procs), u_idle the idle workers'
// share, scanWork = heap + stack + globals bytes scanned. A PI controller smooths it across
// cycles (kp 0.9, ti 4, tt 1000, clamped to +-1000: Go's tuning). With the GC held to 25%
// of the CPU, the mutator gets 75%, so it allocates
//
//     runway = consMark x (1 - 0.25) / 0.25 x (expected scan work)
//
// bytes during the next mark, and the trigger is goal - runway, kept between 0.7 and 0.95
// of the way from M to the goal (and at most goal - 4 MiB on large heaps). A stop-the-world
// collector triggers at the goal itself. GOGC off means no automatic cycles unless a memory
// limit is set (explicit, forced and heap-limit cycles still run).
//
// Simplified from Go: the trigger and the limit goal are computed at mark termination only
// (Go recomputes them as heapLive and non-heap memory move), and Go's sweep-distance and
// minimum-runway adjustments are left out.

import Synchronization

/// What a finished mark measured, the pacer's inputs.
struct MarkMeasurement: Sendable {
    /// Bytes marked live (M).
    var heapMarked = 0
    /// Bytes of heap objects scanned, of stack slots scanned, and of globals.
    var heapScan = 0
    var stackScan = 0
    var globalsScan = 0
    /// heapLive when the cycle was triggered and when its mark ended.
    var heapLiveAtTrigger = 0
    var heapLiveAtEnd = 0
    /// Heap span bytes in use at mark end.
    var heapInUse = 0
    /// Wall time of the concurrent mark, and GC CPU time inside it, by kind (ns).
    var markNS: Int64 = 0
    var assistNS: Int64 = 0
    var idleNS: Int64 = 0
    var procs = 1
}

/// `@unchecked Sendable`: `trigger` and `goal` are atomics; everything else is written only
/// by the goroutine ending a cycle (under the runtime's cycle lock).
final class Pacer: @unchecked Sendable {
    let gogc: Int?
    let minimumGoal: Int
    let concurrent: Bool
    /// The soft memory limit on heap span bytes (.max: none).
    let memoryLimit: Int
    /// heapLive value at which the next cycle starts (Int.max: never). Relaxed: read on
    /// every allocation, written at mark termination.
    let trigger = Atomic<Int>(.max)
    /// The current goal (relaxed).
    let goal = Atomic<Int>(0)
    /// The smoothed cons/mark ratio, and the last measured one (cycle owner).
    private(set) var consMark = 0.0
    private(set) var lastMeasuredConsMark: Double? = nil
    /// Bytes the mutator is expected to allocate during the next mark.
    private(set) var runway = 0
    /// Whether the last goal came from the memory limit.
    private(set) var memoryLimited = false
    private var controller = PIController(kp: 0.9, ti: 4.0, tt: 1000, min: -1000, max: 1000)

    static let goalUtilization = 0.25
    static let memoryLimitHeadroom = 1 << 20

    init(gogc: Int?, minimumGoal: Int, concurrent: Bool, memoryLimit: Int = .max) {
        self.gogc = gogc
        self.minimumGoal = minimumGoal
        self.concurrent = concurrent
        self.memoryLimit = memoryLimit
        set(MarkMeasurement())
    }

    /// Computes the next goal and trigger from what the cycle measured; returns the goal.
    @discardableResult
    func cycleEnded(_ m: MarkMeasurement) -> Int {
        if concurrent { updateConsMark(m) }
        return set(m)
    }

    /// Go's endCycle: the cons/mark this cycle should have had, through the controller.
    private func updateConsMark(_ m: MarkMeasurement) {
        let scanWork = m.heapScan + m.stackScan + m.globalsScan
        guard m.heapLiveAtEnd > m.heapLiveAtTrigger, scanWork > 0, m.markNS > 0 else { return }
        let cpu = Double(m.markNS) * Double(max(1, m.procs))
        let u = Pacer.goalUtilization + Double(m.assistNS) / cpu
        let uIdle = Double(m.idleNS) / cpu
        guard u < 1 else { return }
        let current = Double(m.heapLiveAtEnd - m.heapLiveAtTrigger) * (u + uIdle) / (Double(scanWork) * (1 - u))
        lastMeasuredConsMark = current
        if let next = controller.next(input: consMark, setpoint: current) {
            consMark = next
        } else {
            consMark = 0
        }
    }

    @discardableResult
    private func set(_ m: MarkMeasurement) -> Int {
        let marked = m.heapMarked
        var g = Int.max
        if let gogc {
            g = max(minimumGoal, marked + (marked + m.stackScan + m.globalsScan) * gogc / 100)
        }
        memoryLimited = false
        if memoryLimit != .max {
            let lg = limitGoal(m)
            if lg < g { (g, memoryLimited) = (lg, true) }
        }
        goal.store(g, ordering: .relaxed)
        if g == .max {
            trigger.store(.max, ordering: .relaxed)
            return g
        }
        if !concurrent {
            trigger.store(g, ordering: .relaxed)
            return g
        }
        let expectedScan = m.heapScan + m.stackScan + m.globalsScan
        let gu = Pacer.goalUtilization
        runway = Int(min(Double(Int.max / 2), consMark * (1 - gu) / gu * Double(expectedScan)))
        trigger.store(Pacer.trigger(goal: g, marked: marked, runway: runway), ordering: .relaxed)
        return g
    }

    /// Go's memoryLimitHeapGoal over heap span memory (see the essay).
    private func limitGoal(_ m: MarkMeasurement) -> Int {
        let overhead = max(0, m.heapInUse - m.heapLiveAtEnd)
        let overage = max(0, m.heapInUse - memoryLimit)
        if overhead + overage >= memoryLimit { return m.heapMarked }
        var g = memoryLimit - overhead - overage
        let h = Pacer.memoryLimitHeadroom
        g = g < 2 * h ? h : g - h
        return max(g, m.heapMarked)
    }

    /// Go's trigger(): goal - runway, between 0.7 and 0.95 of the way from `marked` to the
    /// goal (the upper bound raised to goal - 4 MiB on large heaps).
    static func trigger(goal: Int, marked: Int, runway: Int) -> Int {
        if marked >= goal { return goal }
        let span = goal - marked
        let minTrigger = marked + span / 64 * 45
        var maxTrigger = marked + span / 64 * 61
        let fourMiB = 4 << 20
        if goal > fourMiB && goal - fourMiB > maxTrigger { maxTrigger = goal - fourMiB }
        maxTrigger = max(maxTrigger, minTrigger)
        let t = runway > goal ? minTrigger : goal - runway
        return min(max(t, minTrigger), maxTrigger)
    }
}

/// Go's piController (mgcpacer.go): a proportional-integral controller with anti-windup.
struct PIController {
    let kp: Double, ti: Double, tt: Double, min: Double, max: Double
    private var errIntegral = 0.0

    init(kp: Double, ti: Double, tt: Double, min: Double, max: Double) {
        (self.kp, self.ti, self.tt, self.min, self.max) = (kp, ti, tt, min, max)
    }

    /// The next output for one period; nil if it overflowed (the state is reset).
    mutating func next(input: Double, setpoint: Double, period: Double = 1) -> Double? {
        let raw = kp * (setpoint - input) + errIntegral
        if !raw.isFinite { errIntegral = 0; return nil }
        let out = Swift.min(Swift.max(raw, min), max)
        errIntegral += (kp * period / ti) * (setpoint - input) + (period / tt) * (out - raw)
        if !errIntegral.isFinite { errIntegral = 0; return nil }
        return out
    }
}
