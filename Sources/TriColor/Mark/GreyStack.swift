// GreyStack: one marker's stack of grey objects (the local half of Go's gcWork).
//
// A growable LIFO of Refs over malloc'd memory, so push and pop cost no ARC, no bounds check
// and no exclusivity check. It belongs to one marker at a time: a P's GCWork while mutators
// run (the goroutine on that P touches it between safe points), or the single marker of a
// stop-the-world mark. Sharing between markers goes through WorkPool (WorkPool.swift).

/// A LIFO of grey Refs. Must be `destroy()`ed by its owner (a plain value over manually
/// managed memory, cheap to copy into a local for a drain loop and write back).
struct GreyStack {
    private var buffer: UnsafeMutablePointer<Ref>
    private var capacity: Int
    /// Number of queued Refs.
    private(set) var count = 0
    /// Largest count reached since the last `resetHighWater` (statistic).
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

    /// Pushes every Ref of `refs`.
    mutating func push(contentsOf refs: [Ref]) {
        for r in refs { push(r) }
    }

    /// Removes the `n` most recently pushed objects and returns them (to give away).
    mutating func removeTop(_ n: Int) -> [Ref] {
        let k = min(n, count)
        let out = Array(UnsafeBufferPointer(start: buffer + (count - k), count: k))
        count -= k
        return out
    }

    /// Removes every occurrence of `r` (stepping a mark by hand scans a chosen object).
    mutating func remove(_ r: Ref) {
        var j = 0
        for i in 0..<count where buffer[i] != r {
            buffer[j] = buffer[i]
            j += 1
        }
        count = j
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
