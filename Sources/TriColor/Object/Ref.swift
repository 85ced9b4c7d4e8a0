// Ref: a reference to a heap object.

/// A reference to an object in a `Heap`: the object's byte offset from the
/// start of the heap's arena. Not a Swift pointer; it is only meaningful
/// together with the heap that produced it.
///
/// `Ref.nil` (offset 0) refers to no object. Offset 0 is never a valid object
/// address because the arena's first page is never handed out.
///
/// A Ref held only in a Swift local is not a GC root: it stays valid until the
/// next point where a collection can run. Anything that must survive a
/// collection must be reachable from a root (a global, a stack slot, a
/// `RootSource`). In checked mode the heap turns use of a stale Ref into a
/// precise error.
///
/// The word has two parts (`bits`):
///
///     bits  0..<48  offset: the object's header, from the arena base
///     bits 48..<64  generation tag: 0, or (checked mode) the object's allocation generation
///
/// In checked mode every allocation stamps the slot's header with a new generation
/// (1...65535, never 0) and returns a Ref tagged with it; fields, slots and channels store
/// the whole word, so every copy of that Ref carries the tag. A Ref whose tag differs from
/// the header's generation is stale: its object was freed and the slot reused by a newer
/// object (Heap+Validate.swift). Tag 0 means "no generation": Refs built from a bare offset
/// (`Ref(offset:)` by a tool) and every Ref outside checked mode, which are checked as
/// before. Two Refs to one object compare equal when both come from the heap (same tag).
@frozen
public struct Ref: Hashable, Sendable, CustomStringConvertible, ExpressibleByNilLiteral {
    /// The whole word: offset and generation tag (see the type's documentation). This is
    /// what a pointer field, a stack slot or a channel buffer stores.
    public let bits: UInt64

    /// Mask of the offset part of `bits`.
    public static let offsetMask: UInt64 = (1 << 48) - 1

    /// Byte offset of the object's header from the arena base; 0 for nil.
    /// - Complexity: O(1), one AND (the only cost the generation tag adds to an access
    ///   outside checked mode).
    @inlinable @inline(__always)
    public var offset: UInt64 { bits & Ref.offsetMask }

    /// The generation tag (0: none; see the type's documentation).
    @inlinable @inline(__always)
    public var generation: UInt16 { UInt16(truncatingIfNeeded: bits >> 48) }

    /// Makes a Ref from a word as fields and slots store it (an offset, optionally with a
    /// generation tag in bits 48..<64). No validation happens here; see `Heap.validate(_:)`.
    @inlinable @inline(__always)
    public init(offset: UInt64) { self.bits = offset }

    /// Makes a Ref to `offset` tagged with `generation`.
    @inlinable @inline(__always)
    public init(offset: UInt64, generation: UInt16) { self.bits = offset | (UInt64(generation) << 48) }

    /// The nil reference.
    @inlinable @inline(__always)
    public init(nilLiteral: ()) { self.bits = 0 }

    /// The nil reference.
    public static let `nil` = Ref(offset: 0)

    /// `true` for the nil reference (a tag on offset 0 is still nil).
    @inlinable @inline(__always)
    public var isNil: Bool { offset == 0 }

    /// "nil" or the offset in hex, e.g. "0x12008" (the tag is not shown).
    public var description: String {
        isNil ? "nil" : "0x" + String(offset, radix: 16)
    }
}
