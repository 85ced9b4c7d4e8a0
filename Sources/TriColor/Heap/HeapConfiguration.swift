// Heap configuration.

/// Parameters fixed when a `Heap` is created.
public struct HeapConfiguration: Sendable {
    /// Virtual bytes reserved for the arena (MAP_NORESERVE: costs address
    /// space, not memory). Rounded up to whole 8 KiB pages. Default 64 GiB; at most 2^48
    /// (a Ref's offset part), else `Heap.init` throws `.invalidConfiguration`.
    public var arenaBytes: Int = 64 << 30
    /// Most bytes of spans in use before allocation fails with
    /// `HeapError.limitExceeded`. Default: no limit beyond the arena.
    /// Changeable later through `Heap.limitBytes`.
    public var limitBytes: Int = .max
    /// Number of global Ref slots (Go's data/bss roots). Default 1024.
    public var globalCount: Int = 1024
    /// Most types that can be registered. Default and maximum 65536 (the header's 16-bit
    /// type id; more throws `.invalidConfiguration`).
    public var typeCapacity: Int = 1 << 16
    /// Checked mode: validate every Ref passed to the object API and report
    /// misuse (freed Ref, stale Ref to a reused slot, bad field index, garbage
    /// Ref) precisely; allocations stamp a generation into the header and the
    /// Ref. Costs a span lookup per access; off for benchmarks.
    public var checked: Bool = false

    public init() {}

    /// A configuration with the given arena size, limit and checked flag.
    public init(arenaBytes: Int = 64 << 30, limitBytes: Int = .max, globalCount: Int = 1024,
                typeCapacity: Int = 1 << 16, checked: Bool = false) {
        self.arenaBytes = arenaBytes
        self.limitBytes = limitBytes
        self.globalCount = globalCount
        self.typeCapacity = typeCapacity
        self.checked = checked
    }
}
