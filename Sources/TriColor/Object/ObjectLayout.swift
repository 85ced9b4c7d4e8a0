// ObjectLayout: a type declared field by field, with typed handles for its fields.
//
// A registered type is only counts (pointer fields, scalar bytes), and the heap API takes a
// bare field index and a bare scalar byte offset. A language implementer would rather
// write `rt.load(cell, car)` and `rt[cell, tag]`. The builder hands out a `PointerField`
// per pointer field (in declaration order: its index) and a `ScalarField<T>` per scalar
// (its offset, aligned to T), then registers the type. The handles are plain integers, so
// an access through them costs exactly what the untyped call costs.

/// A pointer field of a type declared with `ObjectLayout`: its index.
@frozen
public struct PointerField: Hashable, Sendable {
    /// Index among the type's pointer fields.
    public let index: Int
    @inlinable init(index: Int) { self.index = index }
}

/// A scalar field of type `T` declared with `ObjectLayout`: its byte offset in the
/// object's scalar area.
@frozen
public struct ScalarField<T: BitwiseCopyable>: Hashable, Sendable {
    /// Byte offset in the scalar area (aligned to `MemoryLayout<T>.alignment`).
    public let offset: Int
    @inlinable init(offset: Int) { self.offset = offset }
}

/// Builds a type's layout field by field:
///
/// ```swift
/// var cons = ObjectLayout("Cons")
/// let car = cons.pointer("car"), cdr = cons.pointer("cdr")
/// let tag = cons.scalar("tag", UInt8.self), value = cons.scalar("value", Int64.self)
/// let consType = rt.registerType(cons)
/// let c = rt.alloc(consType)
/// rt.store(c, car, rt.alloc(consType))
/// rt[c, value] = 42                       // offset 8: aligned after the 1-byte tag
/// ```
///
/// Handles are not tied to their type: using `car` on an object of another type reaches
/// that type's field of the same index (range-checked as every field access is).
public struct ObjectLayout: Sendable {
    /// The type's name (for messages).
    public let name: String
    /// Pointer field names, in index order.
    public private(set) var pointerNames: [String] = []
    /// Scalar fields: name, offset and size, in declaration order.
    public private(set) var scalars: [(name: String, offset: Int, size: Int)] = []
    /// Scalar bytes so far (the end of the last scalar).
    public private(set) var scalarBytes = 0

    public init(_ name: String) { self.name = name }

    /// Declares the next pointer field.
    /// - Precondition: `name` is not already a field of this layout.
    public mutating func pointer(_ name: String) -> PointerField {
        precondition(!has(name), "ObjectLayout \(self.name): field \(name) declared twice")
        pointerNames.append(name)
        return PointerField(index: pointerNames.count - 1)
    }

    /// Declares the next scalar field, aligned to `MemoryLayout<T>.alignment`.
    /// - Precondition: `name` is not already a field of this layout.
    public mutating func scalar<T: BitwiseCopyable>(_ name: String, _: T.Type) -> ScalarField<T> {
        precondition(!has(name), "ObjectLayout \(self.name): field \(name) declared twice")
        let align = MemoryLayout<T>.alignment
        let offset = (scalarBytes + align - 1) / align * align
        scalars.append((name, offset, MemoryLayout<T>.size))
        scalarBytes = offset + MemoryLayout<T>.size
        return ScalarField(offset: offset)
    }

    /// The name of pointer field `index`, if declared.
    public func pointerName(_ index: Int) -> String? {
        pointerNames.indices.contains(index) ? pointerNames[index] : nil
    }

    private func has(_ name: String) -> Bool {
        pointerNames.contains(name) || scalars.contains { $0.name == name }
    }
}

extension TriColorRuntime {
    /// Registers the type `layout` declares (its pointer fields and scalar bytes).
    public func registerType(_ layout: ObjectLayout) -> ObjectType {
        registerType(name: layout.name, pointerFields: layout.pointerNames.count, scalarBytes: layout.scalarBytes)
    }

    /// Loads pointer field `field` of `obj` (as `load(_:_:)` with its index).
    @inlinable @inline(__always)
    public func load(_ obj: Ref, _ field: PointerField) -> Ref { load(obj, field.index) }

    /// Stores into pointer field `field` of `obj` through the write barrier.
    @inlinable @inline(__always)
    public func store(_ obj: Ref, _ field: PointerField, _ value: Ref) { store(obj, field.index, value) }

    /// Reads or writes scalar field `field` of `obj` (no barrier: scalars are not pointers).
    @inlinable
    public subscript<T: BitwiseCopyable>(obj: Ref, field: ScalarField<T>) -> T {
        @inline(__always) get { loadScalar(obj, at: field.offset, as: T.self) }
        @inline(__always) set { storeScalar(newValue, into: obj, at: field.offset) }
    }
}
