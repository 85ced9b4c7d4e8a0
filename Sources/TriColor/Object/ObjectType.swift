// Type descriptors.

/// The layout of a class of heap objects: how many pointer fields and how many
/// scalar bytes. Obtained from `Heap.registerType(name:pointerFields:scalarBytes:)`;
/// the name lives in the heap's type table (`Heap.name(of:)`), which keeps this
/// value trivially copyable for the allocation fast path.
///
/// Layout of an instance: header (8 bytes), `pointerFields` Refs (8 bytes
/// each), `scalarBytes` rounded up to a multiple of 8.
///
/// An array type (`Heap.registerArrayType`) is one registered type for pointer arrays of
/// every length: the registered descriptor has no pointer fields, and each allocation
/// (`TriColorRuntime.allocArray`) uses `withLength(n)`, the same id with n pointer fields.
/// The length lives in the object's header, which is where scanning, field range checks
/// and sizes (`Heap.objectSize`) read it, so an array costs the collector nothing extra.
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
    /// Whether this is an array type (pointer fields chosen per allocation).
    public let isArray: Bool
    /// The header word written into every new instance.
    @usableFromInline let headerWord: UInt64

    @usableFromInline
    init(id: UInt32, pointerFields: Int, scalarBytes: Int, isArray: Bool = false) {
        self.id = id
        self.pointerFields = pointerFields
        self.scalarBytes = scalarBytes
        self.isArray = isArray
        let size = ObjectHeader.size + 8 * pointerFields + ((scalarBytes + 7) & ~7)
        self.size = size
        self.sizeClass = size <= SizeClasses.maxSmallSize ? SizeClasses.sizeClass(for: size) : 0
        self.headerWord = ObjectHeader.live(typeID: id, pointerFields: pointerFields)
    }

    /// This array type with `length` pointer fields (what one allocation uses).
    /// - Precondition: `isArray`, 0 <= length < 2^31 - 1 (the runtime checks both first).
    @inlinable
    public func withLength(_ length: Int) -> ObjectType {
        ObjectType(id: id, pointerFields: length, scalarBytes: scalarBytes, isArray: true)
    }

    /// The largest array length (the header's pointer-field count has 31 bits).
    public static let maxArrayLength = 0x7FFF_FFFE

    /// `true` if instances are allocated in their own span.
    @inlinable public var isLarge: Bool { sizeClass == 0 }
}
