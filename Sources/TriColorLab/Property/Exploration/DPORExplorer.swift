// Dynamic partial-order reduction with sleep sets, for exhaustive exploration.
//
// What. Like ExhaustiveExplorer, a stateless search over a program's schedules: every
// schedule is a fresh run replaying a prefix of choices (Godefroid's VeriSoft). Unlike
// it, the search skips schedules that only reorder independent steps (Footprint.swift
// defines steps, footprints and the dependency relation): of the runs that are the same
// Mazurkiewicz trace, one is enough, since every step does the same thing in each.
//
// How (Flanagan & Godefroid, "Dynamic partial-order reduction for model checking
// software", POPL 2005, with Godefroid's sleep sets, PhD thesis 1996; loom does the same
// for Rust). The current path is a stack of decision nodes, one per scheduling decision
// (forced ones included): the candidates, the goroutine chosen, a backtrack set (what
// must still be tried here), a done set (tried, with the footprint of the step each
// ran) and a sleep set (goroutines whose next step was already covered by a sibling).
// One run:
//   1. replay the path's choices (by goroutine id, so a run that does not reproduce its
//      prefix is noticed), then past it choose the first candidate not asleep; a node
//      where every candidate sleeps is "sleep-blocked": the rest of the run is redundant
//      and is not recorded;
//   2. close every step's footprint at the next decision, and compute happens-before with
//      vector clocks (program order, each earlier dependent step, a goroutine's creation,
//      the hand-off that woke a goroutine);
//   3. for each step i of goroutine p, find the last earlier step j of another goroutine
//      that is dependent on i and does not happen before p's previous step: a race, so
//      the reversed order must be tried from node j. Add p to j's backtrack set if p was
//      a candidate there, else a candidate whose later steps happen before i, else every
//      candidate (FG's rule);
//   4. backtrack to the deepest node with a backtrack entry neither done nor asleep. The
//      branches the nodes left behind never took (within the bound) are what the
//      reduction pruned (`Result.prunedBranches`: each is at least one schedule of the
//      plain search).
// The child of node n reached by step t sleeps on n's sleeping and already-explored
// goroutines whose step is independent of t: running them first again would only give
// reorderings of runs already made.
//
// What we changed or simplified. Races are computed between executed steps only (as in
// loom and the source-set formulation of Abdulla et al., POPL 2014), not against every
// goroutine's pending next step; a run that stops early (a failure, a sleep-blocked
// node) contributes the races of its prefix. An optional preemption bound (`bound`: at
// most that many choices other than the first candidate on a path, as
// ExhaustiveExplorer's) drops backtrack entries beyond it; FG's completeness argument does
// not cover the bounded search (Coons, Musuvathi and McKinley, OOPSLA 2013, add extra
// backtrack points for that), so DPORTests measures coverage against the bounded plain
// search instead of assuming it.

import TriColor
import GMP

/// One decision on the current path (see the essay above).
struct DPORNode {
    var ids: [Int64]
    var chosen: Int64
    var backtrack: Set<Int64>
    /// Tried here, with the footprint of the step it ran.
    var done: [Int64: Footprint] = [:]
    var sleep: [(id: Int64, fp: Footprint)] = []
}

/// Replays a path of nodes, extends it past the prefix, records every step's footprint.
final class DPORStrategy: ScheduleStrategy, @unchecked Sendable {
    private(set) var nodes: [DPORNode]
    let prefixCount: Int
    let log = FootprintLog()
    /// Footprint of the step after decision n.
    private(set) var footprints: [Footprint] = []
    /// Step during which a goroutine was created (the step before it was first a candidate).
    private(set) var createdBy: [Int64: Int] = [:]
    /// Step n -> the step that woke its goroutine through a program channel or wait group
    /// (Footprint.swift: a hand-off between declaring goroutines), for step n the first
    /// the woken goroutine ran after.
    private(set) var wokenBy: [Int: Int] = [:]
    /// Goroutines woken by such a hand-off that have not run since: the waking step.
    private var pendingWake: [Int64: Int] = [:]
    private var seen: Set<Int64> = []
    private var previous: [Int64] = []
    /// Recording stopped: sleep-blocked, or the prefix did not replay.
    private(set) var stopped = false
    private(set) var sleepBlocked = false
    private(set) var mismatch: String?

    init(path: [DPORNode]) {
        nodes = path
        prefixCount = path.count
    }

    func pick(_ candidates: [Int64], running: Int64?, step: Int) -> Int { decide(candidates) }
    func forced(_ only: Int64, step: Int) { _ = decide([only]) }

    private func decide(_ ids: [Int64]) -> Int {
        if stopped { return 0 }
        let index = decisionsMade
        if index > 0 { closeStep(index - 1, nextCandidates: ids) }
        for id in ids where seen.insert(id).inserted { createdBy[id] = index - 1 }
        previous = ids
        decisionsMade += 1
        if index < prefixCount {
            guard nodes[index].ids == ids, let c = ids.firstIndex(of: nodes[index].chosen) else {
                mismatch = "decision \(index): candidates \(ids), recorded \(nodes[index].ids) choosing \(nodes[index].chosen)"
                stopped = true
                return 0
            }
            return c
        }
        var sleep: [(id: Int64, fp: Footprint)] = []
        if index > 0 {
            let parent = nodes[index - 1]
            let t = footprints[index - 1]
            for e in parent.sleep where !e.fp.conflicts(with: t) { sleep.append(e) }
            for (q, fp) in parent.done where q != parent.chosen && !fp.conflicts(with: t) && !sleep.contains(where: { $0.id == q }) {
                sleep.append((q, fp))
            }
        }
        guard let c = ids.firstIndex(where: { q in !sleep.contains { $0.id == q } }) else {
            stopped = true
            sleepBlocked = true
            return 0
        }
        nodes.append(DPORNode(ids: ids, chosen: ids[c], backtrack: [ids[c]], sleep: sleep))
        return c
    }

    private var decisionsMade = 0

    private func closeStep(_ n: Int, nextCandidates ids: [Int64]) {
        let ran = nodes[n].chosen
        var fp = log.close(ranBy: ran)
        if let w = pendingWake.removeValue(forKey: ran) {
            fp.read(Footprint.wake(ran))
            wokenBy[n] = w
        }
        // A wake-up (some goroutine runnable now that was not before) that no timer or
        // yield of its own accounts for: between two declaring goroutines, a hand-off
        // through a channel or wait group both declared (the waker writes wake(q), the
        // woken goroutine's next step reads it and happens after it); otherwise (a new
        // goroutine, a collector goroutine on either side) dependent on all.
        let woken = ids.filter { $0 != ran && !previous.contains($0) }
        let spontaneous = log.takeSpontaneousWakeups()
        for q in woken where !spontaneous.contains(q) || !seen.contains(q) {
            if !seen.contains(q) && log.closedStepWasSpawning {
                fp.write(Footprint.goroutineIDs)
            } else if seen.contains(q) && log.declares(ran) && log.declares(q) {
                fp.write(Footprint.wake(q))
                pendingWake[q] = n
            } else {
                fp = .everything
            }
        }
        footprints.append(fp)
    }

    /// After the run: the last step (main's end check, or where a failure stopped the run)
    /// counts as dependent on all; the run's runtime is gone, so nothing is probed.
    func finish() {
        if !stopped && footprints.count < nodes.count { footprints.append(.everything) }
    }
}

/// Exhaustive search with dynamic partial-order reduction (see the essay above).
public struct DPORExplorer: Sendable {
    public var runner: ProgramRunner
    /// At most this many non-first choices per schedule (nil: unbounded).
    public var bound: Int?
    /// Stop after this many schedules.
    public var maxSchedules: Int
    /// Stop at the first failing schedule (else explore on, collecting distinct failures).
    public var stopAtFirstFailure = true

    public init(runner: ProgramRunner, bound: Int? = nil, maxSchedules: Int = 2_000) {
        self.runner = runner
        self.bound = bound
        self.maxSchedules = maxSchedules
    }

    public struct Result: Sendable {
        /// Schedules run (sleep-blocked ones included).
        public var schedules: Int
        /// Runs abandoned at a node where every candidate slept (redundant from there on).
        public var sleepBlocked: Int
        /// Every schedule the search needs was run (no cap, no stop at a failure).
        public var complete: Bool
        /// The first failing run, if any.
        public var failure: RunOutcome?
        /// Distinct failure messages seen.
        public var failures: Set<String>
        /// Runs that did not reproduce their prefix (nondeterminism; should be 0).
        public var mismatches: Int
        /// Steps recorded over all runs, and how many of them were dependent on every step
        /// (the reduction's headroom: only the others can commute).
        public var steps = 0
        public var stepsDependentOnAll = 0
        /// Branches of the bounded search tree, at nodes this search visited, that it never
        /// entered: each is at least one schedule the plain search runs.
        public var prunedBranches = 0
    }

    public func explore(_ program: MutatorProgram) -> Result {
        var path: [DPORNode] = []
        var result = Result(schedules: 0, sleepBlocked: 0, complete: false, failure: nil, failures: [], mismatches: 0)
        while result.schedules < maxSchedules {
            let strategy = DPORStrategy(path: path)
            let box = UncheckedBox(strategy)
            let outcome = runner.run(program, schedule: .custom { box.value }, footprints: strategy.log)
            strategy.finish()
            result.schedules += 1
            if strategy.sleepBlocked { result.sleepBlocked += 1 }
            if strategy.mismatch != nil { result.mismatches += 1 }
            if outcome.failed {
                if result.failure == nil { result.failure = outcome }
                result.failures.insert(outcome.message)
                if stopAtFirstFailure { return result }
            }
            var nodes = strategy.nodes
            let steps = min(nodes.count, strategy.footprints.count)
            result.steps += steps
            result.stepsDependentOnAll += strategy.footprints.prefix(steps).filter(\.all).count
            nodes.removeLast(nodes.count - steps)
            for n in 0..<steps { nodes[n].done[nodes[n].chosen] = strategy.footprints[n] }
            if let p = path.indices.last, p >= steps {
                // The prefix did not replay: its last choice counts as tried, no races.
                path[p].done[path[p].chosen] = .everything
                nodes = path
            } else {
                Self.addBacktracks(&nodes, strategy.footprints, strategy.createdBy, wokenBy: strategy.wokenBy)
            }
            let (next, pruned) = nextPath(nodes)
            result.prunedBranches += pruned
            guard let next else {
                result.complete = true
                return result
            }
            path = next
        }
        return result
    }

    /// Step 3 of the essay: vector clocks over the path's steps, races, backtrack sets.
    /// `wokenBy[i]`: the step that woke step i's goroutine (it happens before i).
    static func addBacktracks(_ nodes: inout [DPORNode], _ fps: [Footprint], _ createdBy: [Int64: Int],
                              wokenBy: [Int: Int] = [:]) {
        var index: [Int64: Int] = [:]
        for n in nodes where index[n.chosen] == nil { index[n.chosen] = index.count }
        for n in nodes { for q in n.ids where index[q] == nil { index[q] = index.count } }
        let width = index.count
        let thread = nodes.map { index[$0.chosen]! }
        var clocks: [[Int]] = []
        clocks.reserveCapacity(nodes.count)
        var last: [Int: Int] = [:]   // thread -> its latest step
        for i in nodes.indices {
            let p = thread[i]
            var c: [Int]
            if let l = last[p] { c = clocks[l] } else if let k = createdBy[nodes[i].chosen], k >= 0, k < i { c = clocks[k] } else {
                c = Array(repeating: -1, count: width)
            }
            if let w = wokenBy[i], w < i {
                for t in 0..<width where clocks[w][t] > c[t] { c[t] = clocks[w][t] }
            }
            var race: Int?
            var j = i - 1
            while j >= 0 {
                let tj = thread[j]
                if tj != p && c[tj] < j && fps[j].conflicts(with: fps[i]) {
                    if race == nil { race = j }
                    for t in 0..<width where clocks[j][t] > c[t] { c[t] = clocks[j][t] }
                }
                j -= 1
            }
            c[p] = i
            clocks.append(c)
            last[p] = i
            guard let j = race else { continue }
            let me = nodes[i].chosen
            if nodes[j].ids.contains(me) {
                nodes[j].backtrack.insert(me)
            } else if let q = nodes[j].ids.first(where: { c[index[$0]!] > j }) {
                nodes[j].backtrack.insert(q)
            } else {
                nodes[j].backtrack.formUnion(nodes[j].ids)
            }
        }
    }

    /// Step 4: the path to the deepest node with something left to try (nil: finished),
    /// and the branches the nodes it leaves behind never took (within the bound): the
    /// subtrees the plain search would have entered there and this one pruned.
    func nextPath(_ nodes: [DPORNode]) -> (path: [DPORNode]?, pruned: Int) {
        var preemptions: [Int] = [0]
        for n in nodes { preemptions.append(preemptions.last! + (n.chosen != n.ids[0] ? 1 : 0)) }
        func allowed(_ n: Int, _ q: Int64) -> Bool {
            bound.map { preemptions[n] + (q != nodes[n].ids[0] ? 1 : 0) <= $0 } ?? true
        }
        var pruned = 0
        var n = nodes.count - 1
        while n >= 0 {
            let node = nodes[n]
            for q in node.ids where node.backtrack.contains(q) && node.done[q] == nil && !node.sleep.contains(where: { $0.id == q }) {
                if !allowed(n, q) { continue }
                var path = Array(nodes[...n])
                path[n].chosen = q
                return (path, pruned)
            }
            pruned += node.ids.filter { node.done[$0] == nil && allowed(n, $0) }.count
            n -= 1
        }
        return (nil, pruned)
    }
}
