import Foundation

// Deterministic mode: one M, one P, and a strategy that picks the next goroutine at every
// scheduling decision.
//
// A decision happens (1) at every safe point of the running goroutine (candidates: the
// running goroutine first, then the runnable set in the order goroutines became runnable),
// (2) at a yield (candidates: the runnable set), and (3) when the running goroutine blocks
// or exits (candidates: the runnable set). A decision with a single candidate is forced and
// not recorded. Time is virtual: every decision advances the clock by 1 us and timers fire
// against that clock, so sleeps are deterministic too. With everything on one thread, the
// same strategy choices produce the same run on any machine; the recorded choices form the
// replay string, and `ScheduleStrategyKind.replay` feeds them back.

/// Chooses among `count` candidates at each decision.
public protocol ScheduleStrategy: AnyObject {
    /// Returns an index in `0..<candidates.count`. `running` is the goroutine that was
    /// running at a safe-point decision (it is `candidates[0]`), nil when it blocked.
    func pick(_ candidates: [Int64], running: Int64?, step: Int) -> Int
}

/// Uniform random choice from SplitMix64.
public final class RandomStrategy: ScheduleStrategy {
    var rng: SplitMix64
    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }
    public func pick(_ candidates: [Int64], running: Int64?, step: Int) -> Int {
        Int(rng.next() % UInt64(candidates.count))
    }
}

/// Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS
/// 2010): each goroutine gets a random priority when first seen; `depth - 1` change points
/// are drawn uniformly from `1...expectedSteps`; at change point i the running goroutine's
/// priority drops to i (below every initial priority). The highest priority candidate runs.
/// A bug of depth d is found with probability at least 1/(n k^(d-1)).
public final class PCTStrategy: ScheduleStrategy {
    var rng: SplitMix64
    var priority: [Int64: Int] = [:]
    let changePoints: [Int: Int]
    let depth: Int

    public init(seed: UInt64, depth: Int, expectedSteps: Int) {
        rng = SplitMix64(seed: seed)
        self.depth = max(1, depth)
        var cps: [Int: Int] = [:]
        for i in 1..<self.depth {
            cps[Int(rng.next() % UInt64(max(1, expectedSteps))) + 1] = i
        }
        changePoints = cps
    }

    public func pick(_ candidates: [Int64], running: Int64?, step: Int) -> Int {
        for id in candidates where priority[id] == nil {
            // Initial priorities above every change-point priority, random order.
            priority[id] = depth + Int(rng.next() % 1_000_000)
        }
        if let running, let i = changePoints[step] { priority[running] = depth - i }
        var best = 0
        for i in 1..<candidates.count where priority[candidates[i]]! > priority[candidates[best]]! {
            best = i
        }
        return best
    }
}

/// Feeds back recorded choices.
public final class ReplayStrategy: ScheduleStrategy {
    let choices: [Int]
    var next = 0
    /// Set when the program asked for a decision the replay did not record.
    public private(set) var mismatch: String?

    public init(_ replay: String) throws(SchedulerError) {
        choices = try ReplayString.decode(replay)
    }

    public func pick(_ candidates: [Int64], running: Int64?, step: Int) -> Int {
        guard next < choices.count else {
            if mismatch == nil { mismatch = "replay ended after \(choices.count) decisions but the program made more" }
            return 0
        }
        let c = choices[next]
        next += 1
        if c >= candidates.count {
            if mismatch == nil { mismatch = "decision \(next - 1) chose \(c) of \(candidates.count) candidates" }
            return 0
        }
        return c
    }
}

/// The replay string format: `r1:` then the recorded choices separated by `.`, with runs
/// written `choice*count` (for example `r1:0*12.1.0*3.2`).
public enum ReplayString {
    public static func encode(_ choices: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < choices.count {
            var j = i
            while j < choices.count && choices[j] == choices[i] { j += 1 }
            parts.append(j - i == 1 ? "\(choices[i])" : "\(choices[i])*\(j - i)")
            i = j
        }
        return "r1:" + parts.joined(separator: ".")
    }

    public static func decode(_ s: String) throws(SchedulerError) -> [Int] {
        guard s.hasPrefix("r1:") else { throw .replay("replay string must start with 'r1:', got '\(s.prefix(12))'") }
        var out: [Int] = []
        let body = s.dropFirst(3)
        if body.isEmpty { return [] }
        for (idx, part) in body.split(separator: ".", omittingEmptySubsequences: false).enumerated() {
            let fields = part.split(separator: "*")
            guard fields.count == 1 || fields.count == 2, let v = Int(fields[0]), v >= 0,
                  let n = fields.count == 2 ? Int(fields[1]) : 1, n >= 1 else {
                throw .replay("bad replay element \(idx) '\(part)' (want CHOICE or CHOICE*COUNT)")
            }
            out.append(contentsOf: repeatElement(v, count: n))
        }
        return out
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, high-quality seeded generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Deterministic-mode state. Touched only by the single M (no locks needed).
final class DeterministicState: @unchecked Sendable {
    var runnable: [Goroutine] = []
    /// Chosen at a safe point; runs next without a new decision.
    unowned(unsafe) var forced: Goroutine?
    let strategy: ScheduleStrategy
    var choices: [Int] = []
    /// Scratch buffer for the candidates' ids (reused by every decision).
    var ids: [Int64] = []
    var steps = 0
    let maxSteps: Int
    var virtualNow: Int64 = 0
    /// Trace of decisions: (step, chosen goroutine id). Kept for diagnostics and tests.
    var trace: [Int64] = []

    init(_ config: DeterministicConfig) {
        maxSteps = config.maxSteps
        switch config.strategy {
        case .random(let seed): strategy = RandomStrategy(seed: seed)
        case .pct(let seed, let depth, let steps): strategy = PCTStrategy(seed: seed, depth: depth, expectedSteps: steps)
        case .custom(let make): strategy = make()
        case .replay(let s):
            do { strategy = try ReplayStrategy(s) } catch {
                strategy = RandomStrategy(seed: 0)
                initError = error
            }
        }
    }

    var initError: SchedulerError?

    func makeRunnable(_ g: Goroutine) { runnable.append(g) }

    /// One decision among `candidates`; records it unless forced.
    /// One decision among `first` (the running goroutine at a safe point, if any) followed
    /// by `rest`; builds only the id list the strategy needs (no array of goroutines).
    func choose(first: Goroutine?, rest: [Goroutine]) -> Int {
        steps += 1
        virtualNow += 1_000
        let n = rest.count + (first == nil ? 0 : 1)
        if n == 1 { return 0 }
        ids.removeAll(keepingCapacity: true)
        if let first { ids.append(first.id) }
        for g in rest { ids.append(g.id) }
        let c = strategy.pick(ids, running: first?.id, step: steps)
        choices.append(c)
        return c
    }

    /// A safe point (`forceSwitch` false) or a yield (true) of the running goroutine `g`.
    func step(_ g: Goroutine, blocking: Bool, forceSwitch: Bool) {
        let sched = g.sched
        sched.releaseExpiredTimersDet()
        if forceSwitch {
            if runnable.isEmpty { return }
            let k = choose(first: nil, rest: runnable)
            forced = runnable.remove(at: k)
            trace.append(forced!.id)
            g.mcall(.yield)
            return
        }
        if runnable.isEmpty {
            steps += 1
            virtualNow += 1_000
            return
        }
        let k = choose(first: g, rest: runnable)
        if k == 0 {
            trace.append(g.id)
            return
        }
        forced = runnable.remove(at: k - 1)
        trace.append(forced!.id)
        g.mcall(.yield)
    }

    func willPark(_ g: Goroutine) {}
}

extension Scheduler {
    /// Moves goroutines whose (virtual) timers expired to the runnable set.
    func releaseExpiredTimersDet() {
        guard let det, let due = timers.nextDeadline(), due <= det.virtualNow else { return }
        for g in timers.popExpired(now: det.virtualNow) {
            g.casStatus(from: .waiting, to: .runnable)
            det.makeRunnable(g)
        }
    }

    func detFindRunnable(_ m: Machine) -> (Goroutine, Bool)? {
        let det = self.det!
        if let e = det.initError {
            det.initError = nil
            fail(e)
        }
        while true {
            if shuttingDown.load(ordering: .acquiring) { return nil }
            if let r = det.strategy as? ReplayStrategy, let msg = r.mismatch {
                fail(.replay(msg))
                return nil
            }
            if det.steps > det.maxSteps {
                fail(.replay("deterministic run exceeded \(det.maxSteps) decisions (DeterministicConfig.maxSteps)"))
                return nil
            }
            if let f = det.forced {
                det.forced = nil
                return (f, true)
            }
            releaseExpiredTimersDet()
            if det.runnable.isEmpty {
                if let due = timers.nextDeadline() {
                    det.virtualNow = max(det.virtualNow, due)
                    continue
                }
                fail(.deadlock(goroutineReport()))
                return nil
            }
            let k = det.choose(first: nil, rest: det.runnable)
            let g = det.runnable.remove(at: k)
            det.trace.append(g.id)
            return (g, false)
        }
    }

    /// The choices made so far in deterministic mode, as a replay string (nil otherwise).
    public var replayString: String? {
        det.map { ReplayString.encode($0.choices) }
    }

    /// The sequence of goroutine ids chosen at each recorded or forced-at-safe-point
    /// decision, in deterministic mode (empty otherwise). Two runs with the same seed
    /// produce the same trace.
    public var scheduleTrace: [Int64] { det?.trace ?? [] }
}
