// The choice procedures of deterministic mode: the `ScheduleStrategy` protocol, the three
// built-in strategies (`ScheduleStrategyKind` selects one), and the replay string format
// that records and replays a run's choices. Deterministic.swift explains when decisions
// happen.

/// Chooses among `count` candidates at each decision.
public protocol ScheduleStrategy: AnyObject {
    /// Returns an index in `0..<candidates.count` (at least two candidates). `running` is
    /// the goroutine that was running at a safe-point decision (it is `candidates[0]`), nil
    /// at a yield or when it blocked. `step` counts every decision, forced ones included.
    func pick(_ candidates: [Int64], running: Int64?, step: Int) -> Int
    /// A forced decision (`only` is the single candidate) at `step`: nothing to choose, but
    /// strategies that count steps (PCT) see it. The default does nothing.
    func forced(_ only: Int64, step: Int)
}

extension ScheduleStrategy {
    public func forced(_ only: Int64, step: Int) {}
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
/// 2010). Each goroutine gets a random initial priority (all above `depth`) when first
/// seen; `depth - 1` distinct change points k_1 < ... are drawn uniformly from
/// `1...expectedSteps`; every decision runs the highest-priority candidate.
///
/// Steps are the scheduler's decisions, every one of them: safe points, yields, blocks and
/// exits, forced ones included (`forced`), so the change points are counted in the same
/// steps the program takes. At step s = k_i the goroutine that executed the step before
/// (the one this strategy chose last, running or just blocked) drops to priority
/// `depth - i`, below every initial priority, before the choice is made; the paper lowers
/// the thread after its step k_i, which is the same schedule with change points shifted by
/// one. With n goroutines and at most k = `expectedSteps` steps, a bug of depth d (d
/// ordering constraints) is hit with probability at least 1/(n k^(d-1)) per run
/// (GMPTests/PCTGuaranteeTests measures it). A run longer than `expectedSteps` is still
/// scheduled by priority; its change points all lie in the first `expectedSteps` steps.
public final class PCTStrategy: ScheduleStrategy {
    var rng: SplitMix64
    var priority: [Int64: Int] = [:]
    /// Step -> change-point index i (1-based).
    let changePoints: [Int: Int]
    let depth: Int
    /// The goroutine chosen at the previous decision (it executed the step since).
    var last: Int64?

    public init(seed: UInt64, depth: Int, expectedSteps: Int) {
        rng = SplitMix64(seed: seed)
        self.depth = max(1, depth)
        let k = max(1, expectedSteps)
        var cps: [Int: Int] = [:]
        var i = 1
        while i < self.depth && cps.count < k {
            let s = Int(rng.next() % UInt64(k)) + 1
            if cps[s] == nil {
                cps[s] = i
                i += 1
            }
        }
        changePoints = cps
    }

    /// Initial priorities: above every change-point priority, in random order.
    func priorityOf(_ id: Int64) -> Int {
        if let p = priority[id] { return p }
        let p = depth + Int(rng.next() % 1_000_000_000)
        priority[id] = p
        return p
    }

    func applyChangePoint(_ step: Int) {
        if let i = changePoints[step], let g = last { priority[g] = depth - i }
    }

    public func pick(_ candidates: [Int64], running: Int64?, step: Int) -> Int {
        for id in candidates { _ = priorityOf(id) }
        if let running { last = running }
        applyChangePoint(step)
        var best = 0
        for i in 1..<candidates.count where priority[candidates[i]]! > priority[candidates[best]]! {
            best = i
        }
        last = candidates[best]
        return best
    }

    public func forced(_ only: Int64, step: Int) {
        _ = priorityOf(only)
        applyChangePoint(step)
        last = only
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
        // One string grown in place (every run of a property test encodes its choices).
        var out = "r1:"
        out.reserveCapacity(3 + 2 * choices.count)
        var i = 0
        while i < choices.count {
            var j = i
            while j < choices.count && choices[j] == choices[i] { j += 1 }
            if i > 0 { out.append(".") }
            out.append(String(choices[i]))
            if j - i > 1 {
                out.append("*")
                out.append(String(j - i))
            }
            i = j
        }
        return out
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
