// SpanList: an intrusive doubly linked list of span descriptors (Go's mSpanList).
//
// The links live in the spans (`next`, `prev`, `onList`). A span is on at most
// one list. The list value itself and the links of its members are protected
// by the lock of whatever structure owns the list (a CentralList's lock or the
// page heap's lock). `id` (unique per list, never 0) identifies the list in
// `HeapSpan.onList`, which the list operations check.

import Synchronization

/// Source of SpanList identities.
private let nextSpanListID = Atomic<Int>(1)

@usableFromInline
internal struct SpanList {
    /// First span, or nil when empty.
    private(set) var first: HeapSpanPointer?
    /// Number of spans on the list.
    private(set) var count: Int = 0
    /// Stable identity for `HeapSpan.onList`.
    let id: Int

    init() { id = nextSpanListID.add(1, ordering: .relaxed).oldValue }

    var isEmpty: Bool { first == nil }

    /// Pushes `s` at the front. - Precondition: `s` is on no list.
    mutating func push(_ s: HeapSpanPointer) {
        precondition(s.pointee.onList == 0, "SpanList.push: span already on a list")
        s.pointee.next = first
        s.pointee.prev = nil
        if let f = first { f.pointee.prev = s }
        first = s
        s.pointee.onList = id
        count += 1
    }

    /// Removes `s`. - Precondition: `s` is on this list.
    mutating func remove(_ s: HeapSpanPointer) {
        precondition(s.pointee.onList == id, "SpanList.remove: span not on this list")
        if let p = s.pointee.prev { p.pointee.next = s.pointee.next } else { first = s.pointee.next }
        if let n = s.pointee.next { n.pointee.prev = s.pointee.prev }
        s.pointee.next = nil
        s.pointee.prev = nil
        s.pointee.onList = 0
        count -= 1
    }

    /// Removes and returns the first span, or nil.
    mutating func pop() -> HeapSpanPointer? {
        guard let s = first else { return nil }
        remove(s)
        return s
    }

    /// Calls `body` on each member. `body` must not modify the list.
    func forEach(_ body: (HeapSpanPointer) -> Void) {
        var s = first
        while let cur = s {
            s = cur.pointee.next
            body(cur)
        }
    }
}
