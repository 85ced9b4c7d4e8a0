// The object header.
//
// Every object starts with one 8-byte header word, followed by its pointer
// fields (one 8-byte Ref each) and then its scalar bytes (rounded up to 8):
//
//     +--------+--------+--------+-----+--------+---------------+
//     | header | ptr 0  | ptr 1  | ... | ptr n-1| scalar bytes  |
//     +--------+--------+--------+-----+--------+---------------+
//     0        8        16                      8+8n
//
// Header word of a live object:
//     bits  0..<16  type id (never 0 for an allocated object)
//     bits 16..<32  allocation generation (checked mode; 0 otherwise)
//     bits 32..<63  number of pointer fields (duplicated from the type so a
//                   scan and a scalar access need no type-table lookup)
//     bit  63       0
//
// In checked mode the sweeper rewrites the header of every object it frees:
//     bits  0..<16  type id of the dead object (kept for error messages)
//     bits 16..<32  its allocation generation (kept for the next allocation)
//     bits 32..<63  GC cycle in which it was found dead
//     bit  63       1 (`freedFlag`)
// The next allocation into the slot stamps generation + 1 (wrapping 65535 -> 1)
// and tags its Ref with it (Ref.swift), so a stale Ref to a reused slot is told
// apart from the new object by its tag (Heap+Validate.swift), which Go cannot do.

@usableFromInline
internal enum ObjectHeader {
    /// Size of the header in bytes.
    @usableFromInline static let size = 8
    /// Bit 63: set in the header of an object freed by a checked-mode sweep.
    @usableFromInline static let freedFlag: UInt64 = 1 << 63
    /// Type ids fit in 16 bits (`HeapConfiguration.typeCapacity` is at most this).
    static let maxTypes = 1 << 16

    /// The header word of a live object.
    @inlinable @inline(__always)
    static func live(typeID: UInt32, pointerFields: Int) -> UInt64 {
        UInt64(typeID) | (UInt64(pointerFields) << 32)
    }

    /// The header word written over a freed object in checked mode.
    @inlinable
    static func freed(typeID: UInt32, generation: UInt16, cycle: UInt32) -> UInt64 {
        freedFlag | (UInt64(cycle & 0x7FFF_FFFF) << 32) | (UInt64(generation) << 16) | UInt64(typeID)
    }

    @inlinable @inline(__always)
    static func typeID(_ word: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: word & 0xFFFF) }

    /// The allocation generation in a live or freed header (0 outside checked mode).
    @inlinable @inline(__always)
    static func generation(_ word: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: word >> 16) }

    /// `word` (a live header without a generation) stamped with `generation`.
    @inlinable @inline(__always)
    static func withGeneration(_ word: UInt64, _ generation: UInt16) -> UInt64 {
        word | (UInt64(generation) << 16)
    }

    /// The generation after the one in `previous` (a freed header, or 0 for a slot never
    /// allocated): 1...65535, wrapping past 0 so that a tag of 0 always means "none".
    @inlinable
    static func nextGeneration(after previous: UInt64) -> UInt16 {
        let g = generation(previous)
        return g == UInt16.max ? 1 : g &+ 1
    }

    @inlinable @inline(__always)
    static func pointerFields(_ word: UInt64) -> Int { Int((word >> 32) & 0x7FFF_FFFF) }

    @inlinable @inline(__always)
    static func isFreed(_ word: UInt64) -> Bool { word & freedFlag != 0 }

    /// The cycle recorded in a freed header.
    @inlinable
    static func freedCycle(_ word: UInt64) -> UInt32 { UInt32((word >> 32) & 0x7FFF_FFFF) }
}
