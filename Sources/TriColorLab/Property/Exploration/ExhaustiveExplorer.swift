// Exhaustive (bounded) enumeration of schedules for tiny programs.
//
// A deterministic run is a function of its choice sequence: at decision i the strategy
// picks c_i in 0..<n_i. The explorer walks the tree of choice sequences depth first, using
// replay-string prefixes as the tree's nodes (Godefroid's stateless search, as in
// VeriSoft/CHESS): run with a prefix p, choosing 0 at every decision past it while
// recording each decision's candidate count n_i; then the next prefix is found by
// backtracking to the deepest decision i with an untried sibling,
//
//     next = c_0 ... c_{i-1} (c_i + 1)      deepest i with c_i + 1 < n_i
//
// which visits every sequence exactly once, in lexicographic order. The full tree is far
// too big (a run of a few operations makes a hundred decisions, many with 3-5 candidates),
// so the search is bounded like CHESS's preemption bounding: only sequences with at most
// `bound` non-zero choices (at most `bound` departures from "keep running the current or
// first runnable goroutine") are explored, plus a cap on the number of schedules. Within
// the bound the enumeration is complete: `complete` says the cap was not hit.

import TriColor
import GMP

/// Follows a prefix of choices, then picks 0; records every decision's candidate count.
final class PrefixStrategy: ScheduleStrategy, @unchecked Sendable {
    let prefix: [Int]
    private(set) var choices: [Int] = []
    private(set) var counts: [Int] = []

    init(prefix: [Int]) { self.prefix = prefix }

    func pick(_ candidates: [Int64], running: Int64?, step: Int) -> Int {
        let i = choices.count
        let c = i < prefix.count ? min(prefix[i], candidates.count - 1) : 0
        choices.append(c)
        counts.append(candidates.count)
        return c
    }
}

/// Bounded depth-first enumeration of schedules (see the essay above).
public struct ExhaustiveExplorer: Sendable {
    public var runner: ProgramRunner
    /// At most this many non-zero choices per schedule.
    public var bound: Int
    /// Stop after this many schedules.
    public var maxSchedules: Int
    /// Stop at the first failing schedule (else explore on, collecting distinct failures).
    public var stopAtFirstFailure = true

    public init(runner: ProgramRunner, bound: Int = 2, maxSchedules: Int = 2_000) {
        self.runner = runner
        self.bound = bound
        self.maxSchedules = maxSchedules
    }

    public struct Result: Sendable {
        /// Schedules run.
        public var schedules: Int
        /// Every schedule within the bound was run (the cap was not hit, no failure stopped it).
        public var complete: Bool
        /// The first failing run, if any.
        public var failure: RunOutcome?
        /// The replay strings of every schedule run (when asked for; for tests).
        public var replays: [String]
        /// Distinct failure messages seen.
        public var failures: Set<String> = []
    }

    /// Enumerates schedules of `program` until one fails, the bound is exhausted or the cap
    /// is hit.
    public func explore(_ program: MutatorProgram, keepReplays: Bool = false) -> Result {
        var prefix: [Int] = []
        var schedules = 0
        var replays: [String] = []
        var first: RunOutcome?
        var failures: Set<String> = []
        while schedules < maxSchedules {
            let strategy = PrefixStrategy(prefix: prefix)
            let box = UncheckedBox(strategy)
            let outcome = runner.run(program, schedule: .custom { box.value })
            schedules += 1
            if keepReplays { replays.append(outcome.replay) }
            if outcome.failed {
                first = first ?? outcome
                failures.insert(outcome.message)
                if stopAtFirstFailure { return Result(schedules: schedules, complete: false, failure: outcome, replays: replays, failures: failures) }
            }
            guard let next = Self.nextPrefix(choices: strategy.choices, counts: strategy.counts, bound: bound) else {
                return Result(schedules: schedules, complete: true, failure: first, replays: replays, failures: failures)
            }
            prefix = next
        }
        return Result(schedules: schedules, complete: false, failure: first, replays: replays, failures: failures)
    }

    /// The next prefix in lexicographic order with at most `bound` non-zero choices, or nil.
    static func nextPrefix(choices: [Int], counts: [Int], bound: Int) -> [Int]? {
        var nonzeroBefore = Array(repeating: 0, count: choices.count + 1)
        for (i, c) in choices.enumerated() { nonzeroBefore[i + 1] = nonzeroBefore[i] + (c != 0 ? 1 : 0) }
        var i = choices.count - 1
        while i >= 0 {
            if choices[i] + 1 < counts[i] && nonzeroBefore[i] + 1 <= bound {
                return Array(choices[..<i]) + [choices[i] + 1]
            }
            i -= 1
        }
        return nil
    }
}

/// Hands a non-Sendable value to a `@Sendable` closure that runs on the same run's thread.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}
