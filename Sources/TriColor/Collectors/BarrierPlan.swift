// A collector's properties as one constant value (MMTk's "plan constraints"): which parts
// of a write barrier it runs, how and when it scans goroutine stacks, and whether it
// allocates black while marking. The four safe collectors and the six ablations are just
// different plans driven by the same concurrent cycle (ConcurrentCollector.swift).

/// What a concurrent collector does; see `BarrierPlan.for(_:)` for each collector.
struct BarrierPlan: Sendable {
    /// The insertion half: shade(ptr), the pointer being written.
    enum ShadeNew: Sendable {
        case never
        /// Dijkstra: always.
        case always
        /// Go 1.8 hybrid: only while the writing goroutine's stack is still grey (not yet
        /// scanned this cycle).
        case ifStackGrey
    }

    /// When goroutine stacks are scanned.
    enum Stacks: Sendable {
        /// All stacks in the sweep-termination stop-the-world, before any heap object is
        /// scanned (Yuasa: the snapshot must include the stacks).
        case snapshotAtStart
        /// Concurrently one goroutine at a time, then all again in the mark-termination
        /// stop-the-world (Dijkstra: stack writes have no barrier).
        case concurrentThenRescan
        /// Concurrently one goroutine at a time, once.
        case concurrentOnce
        /// Concurrently, but only after the heap has been drained (an ablation).
        case concurrentAfterHeap
        /// Go 1.8 hybrid: one goroutine at a time, and the scanned stack turns black.
        case blackenEach
    }

    /// The deletion half: shade(*slot), the pointer being overwritten (Yuasa, hybrid).
    var shadeOld: Bool
    var shadeNew: ShadeNew
    var stacks: Stacks
    var allocateBlack: Bool

    var hasBarrier: Bool { shadeOld || shadeNew != .never }

    static func `for`(_ kind: CollectorKind) -> BarrierPlan {
        switch kind {
        case .insertion: BarrierPlan(shadeOld: false, shadeNew: .always, stacks: .concurrentThenRescan, allocateBlack: true)
        case .insertionNoRescan: BarrierPlan(shadeOld: false, shadeNew: .always, stacks: .concurrentOnce, allocateBlack: true)
        case .deletion: BarrierPlan(shadeOld: true, shadeNew: .never, stacks: .snapshotAtStart, allocateBlack: true)
        case .deletionNoStackFirst: BarrierPlan(shadeOld: true, shadeNew: .never, stacks: .concurrentAfterHeap, allocateBlack: true)
        case .hybrid: BarrierPlan(shadeOld: true, shadeNew: .ifStackGrey, stacks: .blackenEach, allocateBlack: true)
        case .hybridNoDeletionShade: BarrierPlan(shadeOld: false, shadeNew: .ifStackGrey, stacks: .blackenEach, allocateBlack: true)
        case .hybridNoInsertionShade: BarrierPlan(shadeOld: true, shadeNew: .never, stacks: .blackenEach, allocateBlack: true)
        case .hybridAllocateWhite: BarrierPlan(shadeOld: true, shadeNew: .ifStackGrey, stacks: .blackenEach, allocateBlack: false)
        case .noBarrier: BarrierPlan(shadeOld: false, shadeNew: .never, stacks: .concurrentOnce, allocateBlack: true)
        case .markSweep: preconditionFailure("markSweep is not a concurrent collector")
        }
    }
}
