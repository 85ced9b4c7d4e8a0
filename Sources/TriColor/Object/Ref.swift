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
@frozen
public struct Ref: Hashable, Sendable, CustomStringConvertible, ExpressibleByNilLiteral {
    /// Byte offset of the object's header from the arena base; 0 for nil.
    public let offset: UInt64

    /// Makes a Ref from a raw arena offset. No validation happens here; see
    /// `Heap.validate(_:)`.
    @inlinable @inline(__always)
    public init(offset: UInt64) { self.offset = offset }

    /// The nil reference.
    @inlinable @inline(__always)
    public init(nilLiteral: ()) { self.offset = 0 }

    /// The nil reference.
    public static let `nil` = Ref(offset: 0)

    /// `true` for the nil reference.
    @inlinable @inline(__always)
    public var isNil: Bool { offset == 0 }

    /// "nil" or the offset in hex, e.g. "0x12008".
    public var description: String {
        offset == 0 ? "nil" : "0x" + String(offset, radix: 16)
    }
}
