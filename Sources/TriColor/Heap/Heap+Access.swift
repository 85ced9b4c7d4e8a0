// Object field access.
//
// Addresses are computed from the arena base and the Ref's offset:
//     pointer field i:  base + ref + 8 + 8*i
//     scalar byte k:    base + ref + 8 + 8*nptr + k   (nptr from the header)
// In unchecked mode these are raw loads and stores with no validation; a bad
// Ref reads or corrupts arbitrary arena memory (never outside the arena's
// reservation unless the offset itself is out of range). In checked mode
// every Ref is validated first and misuse is reported with a precise
// message via `heapMisuse` (Failure.swift: on a goroutine, a panic that ends the run).
// Addresses use `Ref.offset`, which masks off a checked-mode generation tag (Ref.swift).
//
// Stores here have no write barrier: the collector layer wraps them.
//
// Pointer fields are loaded and stored with relaxed atomic word accesses (plain moves on
// x86_64 and arm64): concurrent mark workers read them with relaxed loads while mutators
// run (Mark/Heap+Shade.swift `blacken`), and the write barriers read the old value of a
// slot the same way, so a plain access here would be a data race.
//
// Header words are read and written with relaxed atomic word accesses (plain moves on
// x86_64 and arm64): in checked mode the header alone says whether a slot holds a live
// object (see Heap+Validate.swift), and `validate` may read it while another thread
// allocates into or sweeps the same slot (a stale Ref) without that being a data race.

import CContext

extension Heap {
    // MARK: Pointer fields

    /// Loads pointer field `field` of `ref`.
    /// - Precondition (checked mode): `ref` is a live object and
    ///   0 <= field < its type's pointerFields.
    /// - Complexity: O(1), one load (a relaxed atomic load: a plain move).
    @inlinable @inline(__always)
    public func loadPointer(_ ref: Ref, field: Int) -> Ref {
        pointerSlot(ref, field, operation: "loadPointer").load()
    }

    /// Stores `value` into pointer field `field` of `ref`, with no write barrier.
    /// - Precondition (checked mode): `ref` is a live object, the field is in
    ///   range, and `value` is nil or a live object.
    /// - Complexity: O(1), one store (a relaxed atomic store: a plain move).
    @inlinable @inline(__always)
    public func storePointerNoBarrier(_ ref: Ref, field: Int, _ value: Ref) {
        storePointer(value, at: pointerSlot(ref, field, operation: "storePointer"), operation: "storePointer")
    }

    // MARK: Pointer slots (every field address is computed here)

    /// The address of pointer field `field` of `ref`, with no validation: the object's base
    /// + the header + 8 bytes per field.
    @usableFromInline @inline(__always)
    func fieldSlot(_ ref: Ref, _ field: Int) -> PointerSlot {
        PointerSlot(arena + Int(truncatingIfNeeded: ref.offset) + ObjectHeader.size + field &* 8)
    }

    /// The address of pointer field `field` of `ref`; in checked mode `ref` must be a live
    /// object and the field in range, or `operation` is reported as a misuse. At every
    /// check level the field index is range-checked against the header's field count (one
    /// load of the header word, which shares the field's cache line, and one compare), so a
    /// bad index never writes into the next object.
    @usableFromInline @inline(__always)
    func pointerSlot(_ ref: Ref, _ field: Int, operation: StaticString) -> PointerSlot {
        if _slowPath(checked) {
            checkPointerField(ref, field, operation: operation)
        } else if _slowPath(UInt(bitPattern: field) >= UInt(ObjectHeader.pointerFields(header(ref)))) {
            fieldOutOfRange(ref, field, operation: operation)
        }
        return fieldSlot(ref, field)
    }

    /// The address of global root `index`; the index must be in range.
    @usableFromInline @inline(__always)
    func globalSlot(_ index: Int) -> PointerSlot {
        precondition(index >= 0 && index < globalCount, "global index \(index) out of range 0..<\(globalCount)")
        return PointerSlot(UnsafeMutableRawPointer(globals + index))
    }

    /// Stores `value` into `slot` (no barrier); in checked mode `value` must be nil or live.
    @usableFromInline @inline(__always)
    func storePointer(_ value: Ref, at slot: PointerSlot, operation: StaticString) {
        if _slowPath(checked), !value.isNil { checkValue(value, operation: operation) }
        slot.store(value)
    }

    // MARK: Scalars

    /// Loads a `T` from the scalar area of `ref` at `byteOffset` (unaligned
    /// offsets are allowed).
    /// - Precondition (checked mode): the bytes lie within the type's scalarBytes.
    @inlinable @inline(__always)
    public func loadScalar<T: BitwiseCopyable>(_ ref: Ref, at byteOffset: Int, as type: T.Type = T.self) -> T {
        if _slowPath(checked) {
            checkScalar(ref, byteOffset, MemoryLayout<T>.size, operation: "loadScalar")
        }
        return scalarBase(ref).loadUnaligned(fromByteOffset: byteOffset, as: T.self)
    }

    /// Stores `value` into the scalar area of `ref` at `byteOffset`.
    /// - Precondition (checked mode): the bytes lie within the type's scalarBytes.
    @inlinable @inline(__always)
    public func storeScalar<T: BitwiseCopyable>(_ value: T, into ref: Ref, at byteOffset: Int) {
        if _slowPath(checked) {
            checkScalar(ref, byteOffset, MemoryLayout<T>.size, operation: "storeScalar")
        }
        scalarBase(ref).storeBytes(of: value, toByteOffset: byteOffset, as: T.self)
    }

    /// Address of the first scalar byte of `ref`.
    @inlinable @inline(__always)
    func scalarBase(_ ref: Ref) -> UnsafeMutableRawPointer {
        let p = arena + Int(truncatingIfNeeded: ref.offset)
        let nptr = ObjectHeader.pointerFields(Heap.loadHeader(p))
        return p + ObjectHeader.size + nptr &* 8
    }

    // MARK: Type and size

    /// The header word of `ref` (no validation).
    @inlinable @inline(__always)
    func header(_ ref: Ref) -> UInt64 {
        Heap.loadHeader(arena + Int(truncatingIfNeeded: ref.offset))
    }

    /// Starts bringing `ref`'s header (and the fields in its cache line) into the cache,
    /// without waiting: the drain's look-ahead.
    @inline(__always)
    func prefetchHeader(_ ref: Ref) {
        tc_prefetch(arena + Int(truncatingIfNeeded: ref.offset))
    }

    /// Loads the header word at `p` (relaxed atomic; a plain load in release code).
    @inlinable @inline(__always)
    static func loadHeader(_ p: UnsafeMutableRawPointer) -> UInt64 {
        UInt64(tc_load_relaxed(p.assumingMemoryBound(to: UInt.self)))
    }

    /// Stores the header word at `p` (relaxed atomic; a plain store in release code).
    @inlinable @inline(__always)
    static func storeHeader(_ p: UnsafeMutableRawPointer, _ word: UInt64) {
        tc_store_relaxed(p.assumingMemoryBound(to: UInt.self), UInt(word))
    }

    /// The type of the object `ref` refers to (for an array, the array type with this
    /// object's length).
    /// - Precondition (checked mode): `ref` is a live object.
    @inlinable
    public func type(of ref: Ref) -> ObjectType {
        if _slowPath(checked) { checkValue(ref, operation: "type(of:)") }
        let word = header(ref)
        let t = typeDescriptors[Int(ObjectHeader.typeID(word))]
        return t.isArray ? t.withLength(ObjectHeader.pointerFields(word)) : t
    }

    /// The object's size in bytes (header + pointer fields + scalar bytes
    /// rounded to 8), not the size of its slot.
    @inlinable
    public func size(of ref: Ref) -> Int {
        if _slowPath(checked) { checkValue(ref, operation: "size(of:)") }
        return objectSize(header(ref))
    }

    /// The size of the object whose header is `word`: its type's size, plus 8 bytes per
    /// pointer field beyond the type's (an array's elements; 0 for other types).
    /// - Complexity: O(1), one type-table load.
    @inlinable @inline(__always)
    func objectSize(_ word: UInt64) -> Int {
        let t = typeDescriptors[Int(ObjectHeader.typeID(word))]
        return t.size &+ 8 &* (ObjectHeader.pointerFields(word) &- t.pointerFields)
    }

    /// The number of pointer fields of `ref` (read from the header).
    @inlinable
    public func pointerFieldCount(of ref: Ref) -> Int {
        if _slowPath(checked) { checkValue(ref, operation: "pointerFieldCount") }
        return ObjectHeader.pointerFields(header(ref))
    }

    /// The registered name of the object's type.
    public func typeName(of ref: Ref) -> String {
        types.name(of: ObjectHeader.typeID(header(ref)))
    }

    // MARK: Globals

    /// Loads global slot `index` (a root).
    /// - Precondition: 0 <= index < globalCount (always checked).
    @inlinable
    public func loadGlobal(_ index: Int) -> Ref {
        precondition(index >= 0 && index < globalCount, "global index \(index) out of range 0..<\(globalCount)")
        return globals[index]
    }

    /// Stores `value` into global slot `index`, with no write barrier.
    /// - Precondition: 0 <= index < globalCount (always checked); in checked
    ///   mode `value` is nil or a live object.
    @inlinable
    public func storeGlobalNoBarrier(_ index: Int, _ value: Ref) {
        storePointer(value, at: globalSlot(index), operation: "storeGlobal")
    }

    // MARK: Colour

    /// The colour of the object: white (unmarked), grey (marked and queued),
    /// or black (marked, not queued). See ObjectColor for when colours are
    /// meaningful.
    /// - Precondition: `ref` refers to an object in an in-use span.
    public func color(of ref: Ref) -> ObjectColor {
        guard let s = spanOf(ref.offset) else {
            heapMisuse("color(of:): \(validate(ref) ?? "Ref \(ref) is not in an in-use span")")
        }
        let i = s.pointee.objectIndex(ref.offset)
        if !s.pointee.isMarked(i) { return .white }
        return s.pointee.isGrey(i) ? .grey : .black
    }

    /// `true` if the object's mark bit is set (grey or black).
    public func isMarked(_ ref: Ref) -> Bool { color(of: ref) != .white }
}
