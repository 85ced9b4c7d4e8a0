// RootStorage: the word-sized root slots a goroutine carries for a collector (GMP never
// interprets them). `Goroutine.roots` says who may touch them and when.

/// Word-sized root slots owned by one goroutine (its "stack" as a collector sees it).
///
/// Grows on demand; slot indexes stay valid until `truncate` below them. Each push also
/// records a stamp (a count of pushes into this storage, never reset), so a handle that
/// kept (index, stamp) can tell its slot from a later one at the same index after a
/// truncate (`holds(index:stamp:owner:)`); `owner` tells it from another goroutine's.
public struct RootStorage: @unchecked Sendable {
    @usableFromInline var base: UnsafeMutablePointer<UInt64>?
    /// The stamp of each slot in use (parallel to `base`).
    @usableFromInline var stamps: UnsafeMutablePointer<UInt64>?
    /// Pushes ever made into this storage: the next push's stamp is this + 1.
    @usableFromInline var pushes: UInt64 = 0
    /// Number of slots in use.
    @inlinable public var count: Int { _count }
    @usableFromInline var _count: Int = 0
    @usableFromInline var capacity: Int = 0
    /// The id of the goroutine these slots belong to (set when it is created or reused).
    public internal(set) var owner: Int64 = 0
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
        base.unsafelyUnwrapped[_count] = word
        pushes &+= 1
        stamps.unsafelyUnwrapped[_count] = pushes
        _count += 1
        return _count - 1
    }

    /// The stamp the last push got (the newest slot's).
    @inlinable public var lastPushStamp: UInt64 { pushes }

    /// The stamp of slot `i` (the value of `pushes` right after it was pushed).
    /// Precondition: `i < count`.
    @inlinable public func stamp(at i: Int) -> UInt64 {
        precondition(i >= 0 && i < count, "root slot \(i) out of range (count \(count))")
        return stamps.unsafelyUnwrapped[i]
    }

    /// Whether slot `index`, pushed with `stamp` by goroutine `owner`, is still in use here:
    /// false after a truncate below it (even once the index is pushed again) and for
    /// another goroutine's slot.
    /// - Complexity: O(1), three compares.
    @inlinable @inline(__always)
    public func holds(index: Int, stamp: UInt64, owner: Int64) -> Bool {
        owner == self.owner && UInt(bitPattern: index) < UInt(bitPattern: _count)
            && stamps.unsafelyUnwrapped[index] == stamp
    }

    /// Slot `i` with no range check: only after `holds` said yes.
    @inlinable @inline(__always)
    public subscript(unchecked i: Int) -> UInt64 {
        get { base.unsafelyUnwrapped[i] }
        nonmutating set { base.unsafelyUnwrapped[i] = newValue }
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
        let ns = UnsafeMutablePointer<UInt64>.allocate(capacity: newCap)
        if let b = base, let st = stamps {
            nb.update(from: b, count: _count)
            ns.update(from: st, count: _count)
            b.deallocate()
            st.deallocate()
        }
        base = nb
        stamps = ns
        capacity = newCap
    }

    /// Empties the storage for goroutine `owner` (a new or reused goroutine). `pushes`
    /// carries on, so no stamp repeats within this storage.
    mutating func reset(owner: Int64) {
        _count = 0
        self.owner = owner
    }

    func deallocate() {
        base?.deallocate()
        stamps?.deallocate()
    }
}
