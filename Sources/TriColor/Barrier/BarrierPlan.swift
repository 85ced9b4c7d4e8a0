// A collector's properties as one constant value (MMTk's "plan constraints"): which parts
// of a write barrier it runs, how and when it scans goroutine stacks, whether it allocates
// black while marking, whether `go` statements and channel transfers shade what they move,
// and which tri-colour invariant its safety argument keeps (checked at level full). The
// three concurrent safe collectors and the six ablations are different plans driven by the
// same concurrent cycle (Collectors/Concurrent/); markSweep's plan has no barrier at all,
// because its world is stopped while it marks. Each built-in's row is in
// Collectors/CollectorKind.swift.
//
// The plan is public: a user composes a new collector from these parts and registers it
// under a name (`CollectorKind.register(name:plan:)`), and every tool that takes a
// collector name (gcbench, `tricolor check`, `tricolor scenario`, `TRICOLOR_DEBUG`) then
// runs it like a built-in. For example Go 1.19's barrier as its buffer really records it
// (mwbbuf.go records both pointers and never tests the stack colour):
//
//     BarrierPlan(shadeOld: true, shadeNew: .always, stacks: .blackenEach,
//                 allocateBlack: true, invariant: .weak)
//
// The barrier's slow path (Barrier/WriteBarrier.swift) runs the halves in this order, before
// the store:
//
//     shade(*slot)                          if shadeOld                 (Yuasa, hybrid, Go 1.19)
//     shade(ptr)                            if shadeNew == .always      (Dijkstra, Go 1.19)
//     if current stack is grey: shade(ptr)  if shadeNew == .ifStackGrey (Go 1.8 hybrid)
//     rescan(source object)                 if regreySource             (Steele)
//     slowPath.record(store)                if slowPath != nil          (a barrier of one's own)
//     *slot = ptr

/// What a concurrent collector does: a value a user can compose into a new collector.
///
/// Every field is read by the barrier's slow path or by the cycle; none is read by the
/// barrier's fast path (one relaxed load of the enabled flag), so a plan costs nothing
/// while no mark runs.
public struct BarrierPlan: Sendable, Equatable {
    /// The insertion half: shade(ptr), the pointer being written.
    public enum ShadeNew: Sendable, Equatable {
        case never
        /// Dijkstra: always.
        case always
        /// Go 1.8 hybrid: only while the writing goroutine's stack is still grey (not yet
        /// scanned this cycle).
        case ifStackGrey
    }

    /// When goroutine stacks are scanned.
    public enum Stacks: Sendable, Equatable {
        /// All stacks in the sweep-termination stop-the-world, before any heap object is
        /// scanned (Yuasa: the snapshot must include the stacks).
        case snapshotAtStart
        /// Concurrently one goroutine at a time, then all again in the mark-termination
        /// stop-the-world (Dijkstra, Steele: stack writes have no barrier).
        case concurrentThenRescan
        /// Concurrently one goroutine at a time, once.
        case concurrentOnce
        /// Concurrently, but only after the heap has been drained (an ablation).
        case concurrentAfterHeap
        /// Go 1.8 hybrid: one goroutine at a time, and the scanned stack turns black.
        case blackenEach
    }

    /// The invariant a plan's safety argument keeps while marking (Checks/Invariants.swift).
    /// At check level full the checker asserts it after every barrier and every scan step;
    /// the checkmark (level cheap and up) runs whatever the claim.
    public enum Invariant: String, Sendable, Equatable {
        /// No black object points to a white one (Dijkstra, Steele).
        case strong
        /// Every white object a black one points to is reachable from a grey heap object
        /// through white objects (Yuasa, hybrid).
        case weak
        /// None claimed: the ablations, whose damage the checkmark shows.
        case none
    }

    /// The deletion half: shade(*slot), the pointer being overwritten (Yuasa, hybrid).
    public var shadeOld: Bool
    public var shadeNew: ShadeNew
    /// Steele's half (1975): the object being written into is queued to be scanned again
    /// after the store, so a black source turns grey instead of its new target being
    /// shaded. A store into a global or a runtime root has no source object; there the
    /// half shades `ptr` instead (a global is a root that is not re-scanned).
    ///
    /// On real threads the barrier cannot know a source is still white at the moment of
    /// the store (a marker on another P may blacken it between the test and the store), so
    /// a white source is shaded too: whatever its colour, every source written while
    /// marking is scanned by this P after the store lands. An object scanned twice is
    /// counted live once.
    public var regreySource: Bool
    public var stacks: Stacks
    /// Objects allocated while marking are black (marked, never scanned).
    public var allocateBlack: Bool
    /// `go(carrying:)` and channel transfers shade the Refs they move between stacks
    /// while marking (the hybrid barrier's rule for pointers that move without a barrier).
    public var shadeMovedPointers: Bool
    public var invariant: Invariant
    /// A slow path of one's own, run after the halves above (Barrier/BarrierSlowPath.swift).
    public var slowPath: (any BarrierSlowPath)?

    /// A plan from its parts. `shadeMovedPointers` defaults to whether the plan has a
    /// barrier at all (as every built-in does).
    public init(shadeOld: Bool, shadeNew: ShadeNew, regreySource: Bool = false, stacks: Stacks,
                allocateBlack: Bool, shadeMovedPointers: Bool? = nil, invariant: Invariant = .none,
                slowPath: (any BarrierSlowPath)? = nil) {
        self.shadeOld = shadeOld
        self.shadeNew = shadeNew
        self.regreySource = regreySource
        self.stacks = stacks
        self.allocateBlack = allocateBlack
        self.shadeMovedPointers = shadeMovedPointers ?? (shadeOld || shadeNew != .never || regreySource || slowPath != nil)
        self.invariant = invariant
        self.slowPath = slowPath
    }

    /// Whether any half of the barrier runs (a plan without one is never enabled).
    public var hasBarrier: Bool { shadeOld || shadeNew != .never || regreySource || slowPath != nil }

    /// Equal parts, and the same slow-path object (or none).
    public static func == (a: BarrierPlan, b: BarrierPlan) -> Bool {
        a.shadeOld == b.shadeOld && a.shadeNew == b.shadeNew && a.regreySource == b.regreySource && a.stacks == b.stacks
            && a.allocateBlack == b.allocateBlack && a.shadeMovedPointers == b.shadeMovedPointers
            && a.invariant == b.invariant && a.slowPath === b.slowPath
    }

    /// No barrier, stacks scanned with the world stopped, nothing allocated black: a
    /// stop-the-world collector.
    public static let stopTheWorld = BarrierPlan(shadeOld: false, shadeNew: .never, stacks: .snapshotAtStart, allocateBlack: false)
}

extension BarrierPlan: CustomStringConvertible {
    /// One line naming every part, for listings and failure reports.
    public var description: String {
        var halves: [String] = []
        if shadeOld { halves.append("shade(*slot)") }
        switch shadeNew {
        case .never: break
        case .always: halves.append("shade(ptr)")
        case .ifStackGrey: halves.append("shade(ptr) if stack grey")
        }
        if regreySource { halves.append("rescan(source)") }
        if let slowPath { halves.append("\(type(of: slowPath))") }
        return "barrier \(halves.isEmpty ? "none" : halves.joined(separator: " + ")), stacks \(stacks), "
            + "allocate \(allocateBlack ? "black" : "white"), moved pointers \(shadeMovedPointers ? "shaded" : "not shaded"), "
            + "invariant \(invariant.rawValue)"
    }
}
