// CollectorKind: a collector's name and its plan, the value every tool passes around.
//
// The ten built-ins are one row each below (MMTk's plan table): the four safe collectors
// of the mission and six ablations, each a safe collector with one ingredient removed.
// The set is open: `CollectorKind.custom(name:plan:)` makes a new kind from any
// `BarrierPlan`, and `register` adds it to a process-wide registry, after which every
// lookup by name (`CollectorKind(rawValue:)`: gcbench's `--collector`, `tricolor check`
// and `tricolor scenario`, `TRICOLOR_DEBUG=collector=NAME`, replay tokens) finds it like a
// built-in, and `allCases` lists it after them. markSweep is the only kind that runs the
// stop-the-world collector; every other plan, built-in or not, drives the concurrent cycle.
//
// A custom collector declares which invariant it keeps (`BarrierPlan.invariant`): a kind
// that claims strong or weak is "safe" (checked for that invariant at check level full and
// run by default where the tools run safe collectors of their choosing); one that claims
// none is treated as an ablation, judged by the checkmark alone.

import Synchronization

/// Which collector a runtime uses: a name and the plan the runtime builds it from.
///
/// Two kinds are equal when their names are: names are unique among the built-ins and the
/// registry (`register` refuses a second plan under a taken name).
public struct CollectorKind: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The name every tool takes and prints.
    public let rawValue: String
    /// What the collector does.
    public let plan: BarrierPlan
    /// Whether it is one of the ten that ship with TriColor.
    public let isBuiltIn: Bool
    /// Whether its safety argument holds: the four safe built-ins, and every custom kind
    /// whose plan claims an invariant.
    public let isSafe: Bool

    private init(builtIn name: String, _ plan: BarrierPlan, safe: Bool) {
        rawValue = name
        self.plan = plan
        isBuiltIn = true
        isSafe = safe
    }

    private init(customName name: String, plan: BarrierPlan) {
        rawValue = name
        self.plan = plan
        isBuiltIn = false
        isSafe = plan.invariant != .none
    }

    /// The built-in or registered kind named `rawValue`, or nil.
    public init?(rawValue: String) {
        if let k = CollectorKind.builtIns.first(where: { $0.rawValue == rawValue })
            ?? CollectorKind.registry.withLock({ $0.first { $0.rawValue == rawValue } }) {
            self = k
        } else {
            return nil
        }
    }

    public var description: String { rawValue }
    public static func == (a: CollectorKind, b: CollectorKind) -> Bool { a.rawValue == b.rawValue }
    public func hash(into h: inout Hasher) { h.combine(rawValue) }

    // MARK: The built-ins, one row each

    /// Go 1.3: stop the world, mark everything, restart, sweep lazily. No barrier.
    public static let markSweep = CollectorKind(builtIn: "markSweep", .stopTheWorld, safe: true)
    /// Dijkstra insertion barrier, stacks re-scanned at mark termination (Go 1.5-1.7).
    public static let insertion = CollectorKind(builtIn: "insertion", BarrierPlan(
        shadeOld: false, shadeNew: .always, stacks: .concurrentThenRescan, allocateBlack: true, invariant: .strong), safe: true)
    /// Yuasa deletion barrier (snapshot at the beginning), stacks scanned first.
    public static let deletion = CollectorKind(builtIn: "deletion", BarrierPlan(
        shadeOld: true, shadeNew: .never, stacks: .snapshotAtStart, allocateBlack: true, invariant: .weak), safe: true)
    /// Go 1.8's hybrid barrier: stacks scanned one at a time, never re-scanned.
    public static let hybrid = CollectorKind(builtIn: "hybrid", BarrierPlan(
        shadeOld: true, shadeNew: .ifStackGrey, stacks: .blackenEach, allocateBlack: true, invariant: .weak), safe: true)
    /// UNSAFE ablation: concurrent mark with no barrier at all.
    public static let noBarrier = CollectorKind(builtIn: "noBarrier", BarrierPlan(
        shadeOld: false, shadeNew: .never, stacks: .concurrentOnce, allocateBlack: true), safe: false)
    /// UNSAFE ablation: insertion barrier without the stack re-scan.
    public static let insertionNoRescan = CollectorKind(builtIn: "insertionNoRescan", BarrierPlan(
        shadeOld: false, shadeNew: .always, stacks: .concurrentOnce, allocateBlack: true), safe: false)
    /// UNSAFE ablation: deletion barrier without scanning stacks before the heap.
    public static let deletionNoStackFirst = CollectorKind(builtIn: "deletionNoStackFirst", BarrierPlan(
        shadeOld: true, shadeNew: .never, stacks: .concurrentAfterHeap, allocateBlack: true), safe: false)
    /// UNSAFE ablation: hybrid without shade(*slot).
    public static let hybridNoDeletionShade = CollectorKind(builtIn: "hybridNoDeletionShade", BarrierPlan(
        shadeOld: false, shadeNew: .ifStackGrey, stacks: .blackenEach, allocateBlack: true), safe: false)
    /// UNSAFE ablation: hybrid without shade(ptr) for grey stacks.
    public static let hybridNoInsertionShade = CollectorKind(builtIn: "hybridNoInsertionShade", BarrierPlan(
        shadeOld: true, shadeNew: .never, stacks: .blackenEach, allocateBlack: true), safe: false)
    /// UNSAFE ablation: hybrid allocating white while marking.
    public static let hybridAllocateWhite = CollectorKind(builtIn: "hybridAllocateWhite", BarrierPlan(
        shadeOld: true, shadeNew: .ifStackGrey, stacks: .blackenEach, allocateBlack: false), safe: false)

    /// The four safe collectors.
    public static let safe: [CollectorKind] = [.markSweep, .insertion, .deletion, .hybrid]
    /// The unsafe ablations.
    public static let ablations: [CollectorKind] = [.noBarrier, .insertionNoRescan, .deletionNoStackFirst,
                                                    .hybridNoDeletionShade, .hybridNoInsertionShade, .hybridAllocateWhite]
    /// The ten built-ins.
    public static let builtIns: [CollectorKind] = safe + ablations

    /// The built-ins, then every registered kind in registration order.
    public static var allCases: [CollectorKind] { builtIns + registered }

    /// Every name `init(rawValue:)` accepts, comma separated (for usage and error messages).
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

// MARK: - Custom kinds and the registry

/// Why a custom collector kind was refused.
public struct CollectorKindError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension CollectorKind {
    /// Every registered kind, in registration order (a handful: a linear search). A
    /// `Synchronization.Mutex`, held only for an array access, never across a call that
    /// could switch goroutines (DESIGN: such a Mutex must not be held over a switch).
    private static let registry = Mutex<[CollectorKind]>([])

    /// A new, unregistered collector kind: `plan` under `name`. A runtime can use it at
    /// once (`RuntimeConfig.collector`); `register` makes the name known to the tools.
    /// - Throws: `CollectorKindError` if `name` is empty, does not start with a letter,
    ///   holds a character other than letters, digits, `_`, `-` and `.` (names travel
    ///   inside replay tokens and `TRICOLOR_DEBUG` lists), or is a built-in's name.
    public static func custom(name: String, plan: BarrierPlan) throws(CollectorKindError) -> CollectorKind {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII else {
            throw CollectorKindError(message: "collector name '\(name)' must start with an ASCII letter")
        }
        if let bad = name.unicodeScalars.first(where: { !($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0))) }) {
            throw CollectorKindError(message: "collector name '\(name)' holds '\(bad)': use letters, digits, '_', '-' and '.'")
        }
        if builtIns.contains(where: { $0.rawValue == name }) {
            throw CollectorKindError(message: "collector name '\(name)' is a built-in collector's")
        }
        return CollectorKind(customName: name, plan: plan)
    }

    /// Makes `custom(name:plan:)` and registers it, so that every lookup by name finds it.
    /// Registering the same name with the same plan again returns the registered kind.
    /// - Throws: `CollectorKindError` for a bad name (see `custom`) or a name already
    ///   registered with a different plan.
    @discardableResult
    public static func register(name: String, plan: BarrierPlan) throws(CollectorKindError) -> CollectorKind {
        let kind = try custom(name: name, plan: plan)
        let existing: CollectorKind? = registry.withLock { r in
            if let e = r.first(where: { $0.rawValue == name }) { return e }
            r.append(kind)
            return nil
        }
        guard let existing else { return kind }
        guard existing.plan == plan else {
            throw CollectorKindError(message: "collector '\(name)' is already registered with another plan (\(existing.plan))")
        }
        return existing
    }

    /// Every registered kind, in registration order.
    public static var registered: [CollectorKind] { registry.withLock { $0 } }
}
