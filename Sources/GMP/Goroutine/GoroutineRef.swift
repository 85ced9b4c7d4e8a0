import CContext
import Synchronization

// GoroutineRef, and the ownership rule for every reference the runtime keeps to its own
// objects (the one place it is stated; other comments refer here).
//
// Who holds the +1. A goroutine object is retained exactly once for its scheduler's life:
// by `Scheduler.allgs` (Go's allgs), from `newG` until the scheduler is deinitialized. Dead
// goroutines go on free lists and are reused, never freed while the scheduler lives. Every
// other place the runtime names a goroutine holds a `GoroutineRef`, which is +0: neither
// retained nor released. That covers run-queue slots, `runnext`, the global queue and its
// `schedlink` links, the free lists, `Processor.curg`, `Scheduler.stwOwner`, a channel's
// `Waiter`, the argument a new stack starts with, and the thread-local current goroutine.
// Ms and Ps follow the same rule with `Unmanaged` fields whose names end in `U` (`schedU`,
// `mU`, `pU`): the +1 on an M is held by `Scheduler.allm` (and by its thread while it runs),
// on a P by `Scheduler.allp`, on the scheduler by its owner (the caller of `run`, which
// returns only after every M and the sysmon thread have exited; sysmon also retains it).
//
// So a ref costs nothing to store, copy or drop, and stays valid while its scheduler lives.
// It names a goroutine *object*: once that goroutine exits the object may be reused for a
// new goroutine, so code that keeps a ref across an exit must check `id` or the status.
//
// Why not strong references: a class reference loaded from a field into a local costs a
// retain/release pair per use across any atomic or opaque call, which was half of the time
// of a switch. Code holding a ref borrows the object with `withGoroutine` (no retain, no
// release, for the duration of a closure), as hot paths borrow Ms, Ps and the scheduler
// with `Unmanaged._withUnsafeGuaranteedRef`; `goroutine` gives an ordinary strong reference
// for colder paths.

/// A +0 handle on a goroutine: the object's address, valid while its scheduler lives (the
/// ownership rule is in this file's opening comment). A trivial one-word struct; an
/// optional ref is one word too (nil is the null address), which is how run queues and
/// atomics store "no goroutine".
@usableFromInline
struct GoroutineRef: Equatable, @unchecked Sendable {
    /// The object's address (`Unmanaged.toOpaque()` of the reference); never null.
    @usableFromInline let raw: UnsafeMutableRawPointer

    @inlinable @inline(__always)
    init(_ g: Goroutine) { raw = Unmanaged.passUnretained(g).toOpaque() }

    @inlinable @inline(__always)
    init(raw: UnsafeMutableRawPointer) { self.raw = raw }

    /// The ref stored as `word` in raw run-queue memory. `word` must be non-zero.
    @inline(__always)
    init(word: UInt) { raw = UnsafeMutableRawPointer(bitPattern: word).unsafelyUnwrapped }

    /// The ref as a machine word, for raw run-queue memory (never zero).
    @inline(__always)
    var word: UInt { UInt(bitPattern: raw) }

    /// The goroutine the calling thread is running (its thread-local `g`), nil on g0 or on
    /// a thread that is not a scheduler thread.
    @inlinable @inline(__always)
    static var current: GoroutineRef? { tc_tls_g().map(GoroutineRef.init(raw:)) }

    /// Calls `body` with the goroutine borrowed: no retain or release.
    @inlinable @inline(__always)
    func withGoroutine<R>(_ body: (Goroutine) throws -> R) rethrows -> R {
        try Unmanaged<Goroutine>.fromOpaque(raw)._withUnsafeGuaranteedRef(body)
    }

    /// A strong reference to the goroutine (the caller's local retains it as usual).
    @inline(__always)
    var goroutine: Goroutine { Unmanaged<Goroutine>.fromOpaque(raw).takeUnretainedValue() }
}

extension Goroutine {
    /// A +0 handle on this goroutine.
    @inlinable @inline(__always)
    var ref: GoroutineRef { GoroutineRef(self) }
}

// `Atomic<GoroutineRef?>` (runnext, curg, stwOwner): stored as the address word, nil as 0,
// exactly like `Atomic<UnsafeMutableRawPointer?>`.
extension GoroutineRef: AtomicRepresentable, AtomicOptionalRepresentable {
    @usableFromInline typealias AtomicRepresentation = UnsafeMutableRawPointer.AtomicRepresentation
    @usableFromInline typealias AtomicOptionalRepresentation = UnsafeMutableRawPointer.AtomicOptionalRepresentation

    @inlinable @inline(__always)
    static func encodeAtomicRepresentation(_ value: consuming GoroutineRef) -> AtomicRepresentation {
        UnsafeMutableRawPointer.encodeAtomicRepresentation(value.raw)
    }

    @inlinable @inline(__always)
    static func decodeAtomicRepresentation(_ storage: consuming AtomicRepresentation) -> GoroutineRef {
        GoroutineRef(raw: UnsafeMutableRawPointer.decodeAtomicRepresentation(storage))
    }

    @inlinable @inline(__always)
    static func encodeAtomicOptionalRepresentation(_ value: consuming GoroutineRef?) -> AtomicOptionalRepresentation {
        UnsafeMutableRawPointer.encodeAtomicOptionalRepresentation(value?.raw)
    }

    @inlinable @inline(__always)
    static func decodeAtomicOptionalRepresentation(_ storage: consuming AtomicOptionalRepresentation) -> GoroutineRef? {
        UnsafeMutableRawPointer.decodeAtomicOptionalRepresentation(storage).map(GoroutineRef.init(raw:))
    }
}

extension Goroutine {
    /// Calls `body` with the calling goroutine borrowed (no retain or release: the write
    /// barrier's hybrid half asks for it on every store while marking); nil on a thread
    /// that is not running a goroutine. `body` must not reach a safe point.
    @inlinable @inline(__always)
    public static func withCurrentBorrowed<R>(_ body: (Goroutine) throws -> R) rethrows -> R? {
        guard let me = GoroutineRef.current else { return nil }
        return try me.withGoroutine(body)
    }
}
