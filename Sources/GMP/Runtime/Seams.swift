import CContext

// Small public accessors a collector needs from the scheduler's internals.

extension Processor {
    /// The P held by the calling thread's M (nil outside scheduler threads or while the M
    /// has no P, e.g. inside `Scheduler.syscall`). Valid until the goroutine's next safe
    /// point: after one it may run on another P.
    @inline(__always) public static var current: Processor? { Machine.current?.p }
}

extension Goroutine {
    /// The scheduler this goroutine belongs to.
    public var scheduler: Scheduler { sched }
}

// Hot-path accessors for a collector's mutator API: ARC-free and exclusivity-check-free
// (they read `let` fields of borrowed objects and stable raw memory), and inlinable.

extension Processor {
    /// The calling thread's P's per-P storage cell: its pointee is `localStorage`
    /// unretained (nil when empty). Nil outside scheduler threads or while the M has no P
    /// (e.g. inside `Scheduler.syscall`). Like `current`, valid until the goroutine's next
    /// safe point; the object in the cell lives while the P's `localStorage` holds it.
    @inlinable @inline(__always)
    public static var currentLocalStorageCell: UnsafeMutablePointer<UnsafeMutableRawPointer?>? {
        guard let raw = tc_tls_m() else { return nil }
        return Unmanaged<Machine>.fromOpaque(raw)._withUnsafeGuaranteedRef { $0.pLocalCell.pointee }
    }
}

extension Goroutine {
    /// The calling goroutine's root storage (`roots`), or nil on a thread that is not
    /// running a goroutine. The pointer is stable for the goroutine's whole life, across
    /// safe points and moves between threads; only that goroutine may use it (see `roots`).
    @inlinable @inline(__always)
    public static var currentRoots: UnsafeMutablePointer<RootStorage>? {
        guard let raw = tc_tls_g() else { return nil }
        return Unmanaged<Goroutine>.fromOpaque(raw)._withUnsafeGuaranteedRef { $0.rootsStorage }
    }
}
