// Type descriptors.

/// The layout of a class of heap objects: how many pointer fields and how many
/// scalar bytes. Obtained from `Heap.registerType(name:pointerFields:scalarBytes:)`;
/// the name lives in the heap's type table (`Heap.name(of:)`), which keeps this
/// value trivially copyable for the allocation fast path.
///
/// Layout of an instance: header (8 bytes), `pointerFields` Refs (8 bytes
/// each), `scalarBytes` rounded up to a multiple of 8.
@frozen
public struct ObjectType: Hashable, Sendable {
    /// Index in the heap's type table; never 0.
    public let id: UInt32
    /// Number of pointer (Ref) fields.
    public let pointerFields: Int
    /// Number of scalar (non-pointer) bytes the type declared.
    public let scalarBytes: Int
    /// Bytes an instance occupies: header + pointers + scalars rounded to 8.
    public let size: Int
    /// Size class serving this type, or 0 for a large object (> 32 KiB)
    /// that gets its own span.
    public let sizeClass: UInt8
    /// The header word written into every new instance.
    @usableFromInline let headerWord: UInt64

    @usableFromInline
    init(id: UInt32, pointerFields: Int, scalarBytes: Int) {
        self.id = id
        self.pointerFields = pointerFields
        self.scalarBytes = scalarBytes
        let size = ObjectHeader.size + 8 * pointerFields + ((scalarBytes + 7) & ~7)
        self.size = size
        self.sizeClass = size <= SizeClasses.maxSmallSize ? SizeClasses.sizeClass(for: size) : 0
        self.headerWord = ObjectHeader.live(typeID: id, pointerFields: pointerFields)
    }

    /// `true` if instances are allocated in their own span.
    @inlinable public var isLarge: Bool { sizeClass == 0 }
}
