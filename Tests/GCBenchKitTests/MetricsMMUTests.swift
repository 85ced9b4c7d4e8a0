import Testing
@testable import GCBenchKit
@testable import TriColor

/// Minimum mutator utilization against hand-computed cases and a brute-force scan.
@Suite struct MetricsMMUTests {
    /// Run [0, 100] with pauses [10,20), [30,35), [60,90): 45 units paused.
    let mu = MutatorUtilization(pauses: [60..<90, 10..<20, 30..<35], start: 0, end: 100)

    @Test func handComputedWindows() {
        #expect(mu.pausedTotal == 45)
        #expect(mu.minimum(window: 5) == 0)          // inside [60, 90)
        #expect(mu.minimum(window: 30) == 0)         // exactly [60, 90)
        #expect(mu.minimum(window: 40) == 0.25)      // [50, 90]: 30 paused of 40
        #expect(abs(mu.minimum(window: 60) - 25.0 / 60) < 1e-12)   // [30, 90]: 35 of 60
        #expect(mu.minimum(window: 80) == 35.0 / 80) // [10, 90]: 45 of 80
        #expect(mu.minimum(window: 100) == 0.55)     // the whole run
        #expect(mu.minimum(window: 1_000) == 0.55)   // clamped to the run
        #expect(mu.overall == 0.55)
    }

    @Test func noPausesIsFullUtilization() {
        let m = MutatorUtilization(pauses: [], start: 1_000, end: 2_000)
        #expect(m.minimum(window: 1) == 1)
        #expect(m.minimum(window: 500) == 1)
        #expect(m.overall == 1)
    }

    @Test func pausesAreClippedAndMerged() {
        // [-5, 5) sticks out of the run; [40, 60) and [50, 70) overlap; [95, 200) sticks out.
        let m = MutatorUtilization(pauses: [-5..<5, 40..<60, 50..<70, 95..<200, 30..<30], start: 0, end: 100)
        #expect(m.pauses == [0..<5, 40..<70, 95..<100])
        #expect(m.pausedTotal == 40)
        #expect(m.minimum(window: 30) == 0)
        #expect(m.minimum(window: 40) == 0.25)       // [30, 70] or [40, 80]: 30 of 40
        #expect(m.gcTime(from: 0, to: 100) == 40)
        #expect(m.gcTime(from: 2, to: 45) == 8)
    }

    @Test func eventsGiveTheSTWIntervals() {
        let events = [GCEvent(kind: .stw, name: "sweep termination", start: 10, end: 20),
                      GCEvent(kind: .mark, name: "mark", start: 20, end: 60),       // concurrent: not a pause
                      GCEvent(kind: .assist, name: "assist", start: 30, end: 35, p: 0),
                      GCEvent(kind: .stw, name: "mark termination", start: 60, end: 65)]
        let m = MutatorUtilization(events: events, start: 0, end: 100)
        #expect(m.pauses == [10..<20, 60..<65])
        #expect(m.minimum(window: 10) == 0)
        #expect(m.minimum(window: 20) == 0.5)
    }

    /// The breakpoint algorithm agrees with trying every integer window start.
    @Test func matchesBruteForce() {
        var rng = SplitMix64Test(seed: 42)
        for _ in 0..<50 {
            var pauses: [Range<Int64>] = []
            for _ in 0..<Int(rng.next() % 8) {
                let a = Int64(rng.next() % 200), l = Int64(rng.next() % 20) + 1
                pauses.append(a..<(a + l))
            }
            let m = MutatorUtilization(pauses: pauses, start: 0, end: 200)
            for w in [1, 3, 7, 10, 25, 50, 120, 199] as [Int64] {
                var worst: Int64 = 0
                for t in 0...(200 - w) {
                    // Count paused unit intervals [x, x+1) in [t, t+w) directly.
                    var p: Int64 = 0
                    for x in t..<(t + w) where pauses.contains(where: { $0.contains(x) }) { p += 1 }
                    worst = max(worst, p)
                }
                #expect(m.minimum(window: w) == Double(w - worst) / Double(w), "window \(w), pauses \(pauses)")
            }
        }
    }

    /// The same at 2 Ps with per-P slices (a pause takes both Ps), against trying every
    /// integer window start and counting busy P-units directly.
    @Test func perPSlicesMatchBruteForce() {
        var rng = SplitMix64Test(seed: 7)
        for _ in 0..<20 {
            var intervals: [GCInterval] = []
            for _ in 0..<Int(rng.next() % 12) {
                let a = Int64(rng.next() % 200), l = Int64(rng.next() % 30) + 1
                let p: Int? = rng.next() % 4 == 0 ? nil : Int(rng.next() % 2)
                intervals.append(GCInterval(a..<(a + l), p: p))
            }
            let m = MutatorUtilization(intervals: intervals, procs: 2, start: 0, end: 200)
            func busy(_ x: Int64, _ p: Int) -> Bool {
                intervals.contains { $0.range.contains(x) && ($0.p == nil || $0.p == p) }
            }
            for w in [1, 4, 9, 20, 33, 80, 199] as [Int64] {
                var worst: Int64 = 0
                for t in 0...(200 - w) {
                    var units: Int64 = 0
                    for x in t..<(t + w) { units += (busy(x, 0) ? 1 : 0) + (busy(x, 1) ? 1 : 0) }
                    worst = max(worst, units)
                }
                let expected = (Double(w) - Double(worst) / 2) / Double(w)
                #expect(abs(m.minimum(window: w) - expected) < 1e-12, "window \(w), intervals \(intervals)")
            }
        }
    }

    @Test func curveIsMonotoneInPracticeAndEndsAtOverall() {
        let ws = mu.standardWindows(from: 1, perDecade: 4)
        #expect(ws.last == 100)
        let curve = mu.curve(windows: ws)
        #expect(curve.last!.mmu == mu.overall)
        #expect(curve.first!.mmu == 0)
    }
}

/// A tiny deterministic generator for tests.
struct SplitMix64Test {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Per-P utilization (the way `go tool trace` computes MMU): at 2 Ps a worker slice on
/// one P costs a window half its length, a pause all of it, and slices that overlap on
/// one P (or overlap a pause) count once.
@Test func workerAndAssistSlicesCountPerP() {
    let events = [GCEvent(kind: .worker, name: "fractional", start: 10, end: 30, p: 0),
                  GCEvent(kind: .assist, name: "assist", start: 20, end: 40, p: 0),    // overlaps on P0
                  GCEvent(kind: .assist, name: "assist", start: 50, end: 60, p: 1),
                  GCEvent(kind: .stw, name: "stw", start: 55, end: 65),
                  GCEvent(kind: .run, name: "G1", start: 0, end: 100, p: 1)]           // not GC
    let m = MutatorUtilization(events: events, procs: 2, start: 0, end: 100)
    // P0 busy [10, 40) and [55, 65); P1 busy [50, 65): (30 + 10 + 15) / 2 = 27.5.
    #expect(m.gcTotal == 27.5)
    #expect(m.pausedTotal == 10)
    #expect(m.gcTime(from: 10, to: 40) == 15)
    #expect(m.minimum(window: 10) == 0)                          // [55, 65): both Ps
    #expect(m.minimum(window: 20) == 0.375)                      // [50, 70) or [45, 65): 12.5 of 20
    #expect(m.minimum(window: 100) == m.overall)
    #expect(m.overall == 0.725)
    let one = MutatorUtilization(events: events, procs: 1, start: 0, end: 100)
    #expect(one.minimum(window: 20) == 0)                        // [10, 30) is all GC on one P
}

/// Sweeping counts as mutator time by default and as GC time on its own P with
/// `countingSweep` (the --mmu-sweep option): a sweep slice overlapping a worker on the same P
/// counts once, one on the other P half.
@Test func sweepSlicesCountOnlyWhenAsked() {
    let events = [GCEvent(kind: .worker, name: "fractional", start: 10, end: 30, p: 0),
                  GCEvent(kind: .sweep, name: "sweep", start: 20, end: 50, p: 0),      // overlaps the worker
                  GCEvent(kind: .sweep, name: "sweep", start: 60, end: 80, p: 1)]
    let plain = MutatorUtilization(events: events, procs: 2, start: 0, end: 100)
    #expect(plain.gcTotal == 10)                                 // the worker only: 20 / 2
    #expect(plain.minimum(window: 20) == 0.5)
    let counted = MutatorUtilization(events: events, procs: 2, start: 0, end: 100, countingSweep: true)
    // P0 busy [10, 50), P1 busy [60, 80): (40 + 20) / 2 = 30.
    #expect(counted.gcTotal == 30)
    #expect(counted.minimum(window: 20) == 0.5)                  // never both Ps at once
    #expect(counted.minimum(window: 40) == 0.5)                  // [10, 50): one P of two
    let one = MutatorUtilization(events: events, procs: 1, start: 0, end: 100, countingSweep: true)
    #expect(one.minimum(window: 40) == 0)                        // [10, 50) is all GC on one P
    #expect(one.overall == 0.4)
}

