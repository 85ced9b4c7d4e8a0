// The pacer (Go's gcControllerState, mgcpacer.go, reduced to its rule).
//
// Heap goal = max(minimum, marked x (1 + GOGC/100)), where `marked` is the bytes the last
// cycle found live. A stop-the-world collector triggers at the goal itself. A concurrent
// collector must trigger earlier, so that marking (while the mutator keeps allocating)
// ends near the goal: the trigger is goal - runway, with the runway set from the last
// cycle's allocation during mark and clamped to [5%, 40%] of the goal's headroom. GOGC off
// means no automatic cycles (only explicit, forced and heap-limit ones).

import Synchronization

final class Pacer: @unchecked Sendable {
    let gogc: Int?
    let minimumGoal: Int
    let concurrent: Bool
    /// heapLive value at which the next cycle starts (Int.max: never). Relaxed: read on
    /// every allocation, written at mark termination.
    let trigger = Atomic<Int>(.max)
    /// The current goal (relaxed).
    let goal = Atomic<Int>(0)
    /// Fraction of the headroom used as runway before the goal (concurrent collectors),
    /// in thousandths. Written at mark termination by the cycle owner.
    private var runwayPermille = 300

    init(gogc: Int?, minimumGoal: Int, concurrent: Bool) {
        self.gogc = gogc
        self.minimumGoal = minimumGoal
        self.concurrent = concurrent
        setGoal(marked: 0)
    }

    /// Computes the next goal and trigger from the bytes marked live; returns the goal.
    @discardableResult
    func cycleEnded(marked: Int, allocatedDuringMark: Int = 0) -> Int {
        if concurrent, let _ = gogc {
            let headroom = max(1, goal.load(ordering: .relaxed) - marked)
            let want = allocatedDuringMark * 1000 / headroom
            runwayPermille = min(400, max(50, (runwayPermille + want) / 2))
        }
        return setGoal(marked: marked)
    }

    @discardableResult
    private func setGoal(marked: Int) -> Int {
        guard let gogc else {
            goal.store(.max, ordering: .relaxed)
            trigger.store(.max, ordering: .relaxed)
            return .max
        }
        let g = max(minimumGoal, marked + marked * gogc / 100)
        goal.store(g, ordering: .relaxed)
        if concurrent {
            let headroom = g - marked
            trigger.store(max(marked + headroom / 2, g - headroom * runwayPermille / 1000), ordering: .relaxed)
        } else {
            trigger.store(g, ordering: .relaxed)
        }
        return g
    }
}
