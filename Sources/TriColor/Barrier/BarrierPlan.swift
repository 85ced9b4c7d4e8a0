// A collector's properties as one constant value (MMTk's "plan constraints"): which parts
// of a write barrier it runs, how and when it scans goroutine stacks, whether it allocates
// black while marking, and which tri-colour invariant its safety argument keeps (checked
// at level full). The three concurrent safe collectors and the six ablations are different
// plans driven by the same concurrent cycle (Collectors/Concurrent/); markSweep's plan has
// no barrier at all, because its world is stopped while it marks.

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

    /// The invariant a plan's safety argument keeps while marking (Checks/Invariants.swift).
    enum Invariant: Sendable {
        /// No black object points to a white one (Dijkstra).
        case strong
        /// Every white object a black one points to is reachable from a grey heap object
        /// through white objects (Yuasa, hybrid).
        case weak
        /// None claimed: the ablations, whose damage the checkmark shows.
        case none
    }

    /// The deletion half: shade(*slot), the pointer being overwritten (Yuasa, hybrid).
    var shadeOld: Bool
    var shadeNew: ShadeNew
    var stacks: Stacks
    var allocateBlack: Bool
    var invariant: Invariant = .none

    var hasBarrier: Bool { shadeOld || shadeNew != .never }

    /// No barrier, stacks scanned with the world stopped, nothing allocated black: a
    /// stop-the-world collector.
    static let stopTheWorld = BarrierPlan(shadeOld: false, shadeNew: .never, stacks: .snapshotAtStart, allocateBlack: false)

    static func `for`(_ kind: CollectorKind) -> BarrierPlan {
        switch kind {
        case .insertion: BarrierPlan(shadeOld: false, shadeNew: .always, stacks: .concurrentThenRescan, allocateBlack: true, invariant: .strong)
        case .insertionNoRescan: BarrierPlan(shadeOld: false, shadeNew: .always, stacks: .concurrentOnce, allocateBlack: true)
        case .deletion: BarrierPlan(shadeOld: true, shadeNew: .never, stacks: .snapshotAtStart, allocateBlack: true, invariant: .weak)
        case .deletionNoStackFirst: BarrierPlan(shadeOld: true, shadeNew: .never, stacks: .concurrentAfterHeap, allocateBlack: true)
        case .hybrid: BarrierPlan(shadeOld: true, shadeNew: .ifStackGrey, stacks: .blackenEach, allocateBlack: true, invariant: .weak)
        case .hybridNoDeletionShade: BarrierPlan(shadeOld: false, shadeNew: .ifStackGrey, stacks: .blackenEach, allocateBlack: true)
        case .hybridNoInsertionShade: BarrierPlan(shadeOld: true, shadeNew: .never, stacks: .blackenEach, allocateBlack: true)
        case .hybridAllocateWhite: BarrierPlan(shadeOld: true, shadeNew: .ifStackGrey, stacks: .blackenEach, allocateBlack: false)
        case .noBarrier: BarrierPlan(shadeOld: false, shadeNew: .never, stacks: .concurrentOnce, allocateBlack: true)
        case .markSweep: .stopTheWorld
        }
    }
}
