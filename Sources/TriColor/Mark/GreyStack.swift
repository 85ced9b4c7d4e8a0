// GreyStack: the mark work list (a miniature of Go's gcWork).
//
// Holds grey objects: marked, not yet scanned. A plain growable stack over
// malloc'd memory, used as a local value inside one marking function so the
// push/pop path has no ARC, no bounds check and no exclusivity check.
// Single-threaded; concurrent collectors will use per-worker stacks with a
// shared overflow list.

/// A LIFO of Refs. Must be `destroy()`ed by its owner (it is a plain value
/// over manually managed memory so that it stays cheap to pass inout).
struct GreyStack {
    private var buffer: UnsafeMutablePointer<Ref>
    private var capacity: Int
    /// Number of queued Refs.
    private(set) var count = 0
    /// Largest count ever reached (statistic).
    private(set) var highWater = 0

    init(capacity: Int = 1024) {
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }

    /// Frees the storage; the stack must not be used afterwards.
    func destroy() { buffer.deallocate() }

    var isEmpty: Bool { count == 0 }

    /// Pushes a grey object. - Complexity: amortized O(1).
    @inline(__always)
    mutating func push(_ r: Ref) {
        if count == capacity { grow() }
        (buffer + count).initialize(to: r)
        count += 1
        if count > highWater { highWater = count }
    }

    /// Pops the most recently pushed object, or nil.
    @inline(__always)
    mutating func pop() -> Ref? {
        if count == 0 { return nil }
        count -= 1
        return buffer[count]
    }

    /// Starts a new high-water measurement.
    mutating func resetHighWater() { highWater = count }

    private mutating func grow() {
        let newCapacity = capacity * 2
        let b = UnsafeMutablePointer<Ref>.allocate(capacity: newCapacity)
        b.moveInitialize(from: buffer, count: count)
        buffer.deallocate()
        buffer = b
        capacity = newCapacity
    }
}
