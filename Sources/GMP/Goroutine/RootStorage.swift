// RootStorage: the word-sized root slots a goroutine carries for a collector (GMP never
// interprets them). `Goroutine.roots` says who may touch them and when.

/// Word-sized root slots owned by one goroutine (its "stack" as a collector sees it).
///
/// Grows on demand; slot indexes stay valid until `truncate` below them.
public struct RootStorage: @unchecked Sendable {
    @usableFromInline var base: UnsafeMutablePointer<UInt64>?
    /// Number of slots in use.
    @inlinable public var count: Int { _count }
    @usableFromInline var _count: Int = 0
    @usableFromInline var capacity: Int = 0
    /// True while the owning goroutine is inside `Scheduler.syscall`/`blockingCall`: it has
    /// no P, so a stop-the-world or a stack scan treats it as suspended and reads these slots
    /// from another thread. Writers (push, slot stores, truncate) must check it and refuse
    /// (TriColor does, with a message). Written and read only by the owning goroutine.
    public internal(set) var isFrozen = false

    public init() {}

    /// Appends a slot holding `word`; returns its index.
    @inlinable @discardableResult
    public mutating func push(_ word: UInt64) -> Int {
        if _count == capacity { grow() }
        base![_count] = word
        _count += 1
        return _count - 1
    }

    /// Reads slot `i`. Precondition: `i < count`.
    @inlinable public subscript(i: Int) -> UInt64 {
        get {
            precondition(i >= 0 && i < count, "root slot \(i) out of range (count \(count))")
            return base![i]
        }
        set {
            precondition(i >= 0 && i < count, "root slot \(i) out of range (count \(count))")
            base![i] = newValue
        }
    }

    /// Drops slots `n...` (like popping frames).
    @inlinable public mutating func truncate(to n: Int) {
        precondition(n >= 0 && n <= count, "truncate(to: \(n)) with \(count) slots")
        _count = n
    }

    @usableFromInline mutating func grow() {
        let newCap = max(16, capacity * 2)
        let nb = UnsafeMutablePointer<UInt64>.allocate(capacity: newCap)
        if let b = base {
            nb.update(from: b, count: _count)
            b.deallocate()
        }
        base = nb
        capacity = newCap
    }

    mutating func reset() { _count = 0 }

    func deallocate() { base?.deallocate() }
}
