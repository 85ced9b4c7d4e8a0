// Heap: the managed heap (Go's mheap + malloc.go front end).
//
// Structure, from the bottom:
//
//     arena     one virtual reservation, 8 KiB pages            (Arena/PageHeap)
//     PageHeap  runs of pages <-> spans, coalescing free runs  (Go's mheap)
//     CentralList[class]  spans of one class, swept/unswept     (Go's mcentral)
//     AllocCache          one current span per class, per P      (Go's mcache)
//
// Objects are typed (ObjectType), addressed by Ref (arena offset), and carry
// a one-word header (Object/ObjectHeader). Each span has allocation, mark,
// grey and checkmark bitmaps. Collectors (Mark/) set mark bits; sweeping
// (Sweep/) turns mark bits into allocation bits span by span.
//
// Threads: any number of threads may allocate concurrently, each through its
// own AllocCache. Sweeping (lazy, from allocation, and `sweepOne` from a
// background sweeper) is safe concurrently with allocation. Marking,
// `flushCaches`, `startSweepCycle` and `verify` require the world stopped
// (no allocation, no sweeping in flight).

import GMP
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A managed, typed, garbage-collected heap. See the file comment for the
/// structure and the threading contract.
public final class Heap: @unchecked Sendable {
    // @unchecked Sendable: immutable fields are set in init; mutable shared
    // state is atomic or protected by the lock named beside it; raw memory
    // (arena, spans, globals) follows the ownership rules in HeapSpan.swift.

    /// The configuration the heap was created with.
    public let configuration: HeapConfiguration
    /// The page allocator. Internally locked.
    @usableFromInline let pageHeap: PageHeap
    /// Arena base address. Immutable.
    @usableFromInline let arena: UnsafeMutableRawPointer
    /// Page -> span map (owned by pageHeap). Immutable pointer.
    @usableFromInline let spanMap: UnsafeMutablePointer<HeapSpanPointer?>
    /// Checked mode. Immutable.
    @usableFromInline let checked: Bool
    /// Type descriptors, indexed by type id (owned by `types`). Immutable pointer.
    @usableFromInline let typeDescriptors: UnsafeMutablePointer<ObjectType>
    /// The type table. Internally locked.
    let types: TypeTable
    /// One central list per size class; index 0 holds large spans. Immutable array.
    let centrals: [CentralList]
    /// The span every AllocCache slot points at when it caches nothing.
    @usableFromInline let emptySpan: HeapSpanPointer

    /// Heap sweep generation (Go's mheap_.sweepgen). Moves by 2 after each
    /// mark, only with the world stopped; read with `.acquiring`.
    let sweepgen = Atomic<UInt32>(4)
    /// Number of marks begun (the "GC cycle" in messages). Written by the
    /// collector with the world stopped.
    let gcCycle = Atomic<UInt32>(0)
    /// Class at which `sweepOne` starts looking. A hint, relaxed.
    let sweepCursor = Atomic<Int>(1)
    /// The sweepgen for which a full `sweepOne` pass found nothing left to sweep (no new
    /// unswept span can appear until sweepgen moves), so later calls return at once instead
    /// of locking every central list. Acquire/release.
    let sweptThrough = Atomic<UInt32>(0)
    /// Limit on span bytes in use, in pages. Relaxed; see `limitBytes`.
    let limitPages: Atomic<Int>

    /// Global Ref slots (roots). Raw memory; slot writes are single words.
    @usableFromInline let globals: UnsafeMutablePointer<Ref>
    /// Number of global slots. Immutable.
    public let globalCount: Int

    /// Protects `caches`.
    let cachesLock = RuntimeLock()
    /// Registered allocation caches. Protected by `cachesLock`.
    var caches: [AllocCache] = []

    /// Counters; see `HeapStats`. Relaxed atomics, exact when the world is stopped.
    let counters = HeapCounters()
    /// Told the start and end (nanotime) of every span sweep, on the sweeping thread: the
    /// runtime's event log when it records events (the MMU that counts sweeping). Set once
    /// by the owning runtime before any goroutine runs; read-only afterwards.
    var sweepObserver: (@Sendable (Int64, Int64) -> Void)? = nil
    /// What each step touches of the collector's state (DPOR runs only; Trace/AccessObserver.swift).
    /// Set by the owner before any goroutine runs; read-only afterwards, and then only
    /// called on a deterministic run's single M. `@exclusivity(unchecked)`: that rule keeps
    /// accesses apart, and the allocation-while-marking fast path reads it every time.
    @exclusivity(unchecked) package var accessObserver: (any AccessObserver)? = nil

    /// Creates a heap, reserving its arena.
    /// - Throws: `HeapError.reservationFailed` if the OS refuses the reservation.
    public init(configuration: HeapConfiguration = HeapConfiguration()) throws(HeapError) {
        precondition(configuration.globalCount >= 0, "globalCount must not be negative")
        precondition(configuration.typeCapacity >= 2, "typeCapacity must be at least 2")
        guard configuration.typeCapacity <= ObjectHeader.maxTypes else {
            throw .invalidConfiguration("typeCapacity \(configuration.typeCapacity) is more than the header's "
                + "\(ObjectHeader.maxTypes) type ids (ObjectHeader.swift)")
        }
        guard configuration.arenaBytes <= Int(Ref.offsetMask) else {
            throw .invalidConfiguration("arenaBytes \(configuration.arenaBytes) is more than a Ref's 48-bit offset "
                + "can address (Ref.swift)")
        }
        guard let ph = PageHeap(arenaBytes: configuration.arenaBytes) else {
            throw .reservationFailed(bytes: configuration.arenaBytes)
        }
        self.configuration = configuration
        pageHeap = ph
        arena = ph.arena
        spanMap = ph.spanMap
        checked = configuration.checked
        types = TypeTable(capacity: configuration.typeCapacity)
        typeDescriptors = types.descriptors
        centrals = (0..<SizeClasses.count).map { CentralList(sizeClass: $0) }
        emptySpan = ph.makeSentinel()
        emptySpan.pointee.state = .dead
        emptySpan.pointee.nelems = 0
        emptySpan.pointee.allocCache = 0
        limitPages = Atomic(Self.pages(forLimit: configuration.limitBytes))
        globalCount = configuration.globalCount
        globals = .allocate(capacity: max(1, configuration.globalCount))
        globals.initialize(repeating: .nil, count: max(1, configuration.globalCount))
    }

    deinit {
        globals.deallocate()
        for c in caches { c.deallocateStorage() }
    }

    private static func pages(forLimit bytes: Int) -> Int {
        bytes == .max ? .max : bytes / SizeClasses.pageSize
    }

    /// The heap limit in bytes of spans in use (rounded down to pages).
    /// Allocation beyond it throws `HeapError.limitExceeded`.
    public var limitBytes: Int {
        get {
            let p = limitPages.load(ordering: .relaxed)
            return p == .max ? .max : p * SizeClasses.pageSize
        }
        set { limitPages.store(Self.pages(forLimit: newValue), ordering: .relaxed) }
    }

    /// The GC cycle number: how many marks have begun.
    public var cycle: UInt32 { gcCycle.load(ordering: .relaxed) }

    // MARK: Types

    /// Registers an object type and returns its descriptor.
    /// - Parameters:
    ///   - name: used in error messages and checkmark paths.
    ///   - pointerFields: number of Ref fields (each 8 bytes, scanned by the GC).
    ///   - scalarBytes: number of non-pointer bytes (not scanned).
    /// - Precondition: the type table is not full.
    public func registerType(name: String, pointerFields: Int, scalarBytes: Int = 0) -> ObjectType {
        types.register(name: name, pointerFields: pointerFields, scalarBytes: scalarBytes)
    }

    /// Registers an array type: one type for pointer arrays of every length, each
    /// allocation choosing its length (`TriColorRuntime.allocArray`, `ObjectType.withLength`).
    /// - Parameters:
    ///   - name: used in error messages.
    ///   - scalarBytes: non-pointer bytes after the elements (a length or a tag, say).
    public func registerArrayType(name: String, scalarBytes: Int = 0) -> ObjectType {
        types.register(name: name, pointerFields: 0, scalarBytes: scalarBytes, isArray: true)
    }

    /// The registered name of `type`.
    public func name(of type: ObjectType) -> String { types.name(of: type.id) }

    // MARK: Span lookup

    /// The in-use span containing arena offset `offset`, or nil.
    @inline(__always)
    func spanOf(_ offset: UInt64) -> HeapSpanPointer? {
        let page = Int(truncatingIfNeeded: offset >> SizeClasses.pageShift)
        guard page > 0 && page < pageHeap.arenaPages, let s = spanMap[page],
              s.pointee.state == .inUse else { return nil }
        return s
    }
}

/// Heap-wide counters. Each is a relaxed atomic; sums are exact only with
/// the world stopped and every AllocCache flushed.
final class HeapCounters: Sendable {
    /// Bytes (slot sizes) handed out, ever.
    let bytesAllocated = Atomic<Int>(0)
    /// Objects handed out, ever.
    let objectsAllocated = Atomic<Int>(0)
    /// Objects freed by sweeping, ever.
    let objectsFreed = Atomic<Int>(0)
    /// Bytes (slot sizes) freed by sweeping, ever.
    let bytesFreed = Atomic<Int>(0)
    /// Spans swept, ever.
    let spansSwept = Atomic<Int>(0)
    /// Nanoseconds spent in `sweep(span)`, ever.
    let sweepNanos = Atomic<Int>(0)
    /// Object bytes (exact object sizes) found live by the last mark.
    let liveBytes = Atomic<Int>(0)
    /// Objects found live by the last mark.
    let liveObjects = Atomic<Int>(0)
    /// Span bytes in use when the last mark ended.
    let inUseAtMark = Atomic<Int>(0)
    /// Nanoseconds of the last mark / all marks.
    let lastMarkNanos = Atomic<Int>(0)
    let totalMarkNanos = Atomic<Int>(0)
    /// Completed collections.
    let collections = Atomic<Int>(0)
    /// Go's heapLive: bytes of objects live at the last mark plus bytes handed to allocation
    /// caches since (a cached span counts in full when cached; its unused part is taken
    /// back when it is uncached), plus large objects. The pacer compares it with the GC
    /// trigger. Relaxed; reset by the collector at mark termination.
    let heapLive = Atomic<Int>(0)
}
