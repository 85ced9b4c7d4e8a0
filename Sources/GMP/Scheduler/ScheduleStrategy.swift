// The choice procedures of deterministic mode: the `ScheduleStrategy` protocol, the three
// built-in strategies (`ScheduleStrategyKind` selects one), and the replay string format
// that records and replays a run's choices. Deterministic.swift explains when decisions
// happen.

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
