// Ref validation (checked mode).
//
// A Ref is valid if it is the start of an allocated slot in an in-use span
// whose header names a registered type. The checks, in order, and what each
// failure means:
//   1. nil                                     -> "nil Ref"
//   2. outside the pages ever handed out       -> "garbage Ref ...: outside the heap"
//   3. not 8-byte aligned                      -> "misaligned Ref ..."
//   4. in a free page run: if the header there is a checked-mode freed
//      header, "use of freed object 0x... of type T (freed in GC cycle N)";
//      otherwise "garbage Ref ...: points into free pages"
//   5. not at a slot boundary                  -> "misaligned Ref ...: interior of an object"
//   6. slot free: freed header -> "use of freed object ..." as in 4;
//      otherwise "Ref ... points to a never-allocated slot"
//   7. header's type id not registered         -> "corrupt header"
//   8. (checked mode) the Ref's generation tag is not 0 and differs from the header's
//      generation: the object it named was freed and the slot now holds a newer object ->
//      "stale Ref ...: the object it referred to (generation g) was freed and its slot
//      reused by a Node (generation h)"
// How step 6 decides "free" (checked mode): from the header word alone, never from the
// span's allocation state (freeIndex, allocBits), which belongs to the P allocating from
// the span or to the thread sweeping it and may change under a concurrent validate. In
// checked mode the header of a slot is, at every moment:
//   - 0 if the slot was never allocated (fresh pages are zero; growSpan clears stale
//     words at the slot starts of reused pages, Heap+Allocate.swift `clearStaleHeaders`);
//   - a live header (type id, pointer count) once allocated (written last by allocate);
//   - a freed header once a sweep found the object dead (Heap+Sweep.swift `markFreed`),
//     until the slot is allocated again.
// Header words are relaxed atomics, and validate reads only the span's geometry
// (startPage, pageCount, base, elemSize, nelems, divMul, sizeClass, state), which is
// immutable while the span is in use. Outside checked mode (validate called as a tool)
// freed objects keep live-looking headers, so step 6 falls back to the span's allocation
// state (Go's isFree); that is exact only when no other thread allocates from or sweeps
// the span meanwhile.
// Limits: freed headers and generations exist only for objects allocated and freed while
// checked mode was on; a Ref with tag 0 (built from a bare offset) to a reused slot
// validates as the new object, as in Go; generations wrap after 65535 reuses of one slot.

extension Heap {
    /// Checks that `ref` refers to a live (allocated) object.
    /// - Returns: nil if valid, or a message describing the misuse, e.g.
    ///   "use of freed object 0x12008 of type Node (freed in GC cycle 3)".
    /// - Complexity: O(1).
    public func validate(_ ref: Ref) -> String? {
        let off = ref.offset
        if off == 0 { return "nil Ref" }
        let page = Int(truncatingIfNeeded: off >> SizeClasses.pageShift)
        guard off < UInt64(pageHeap.arenaBytes), page >= 1, page <= pageHeap.pagesTouched else {
            return "garbage Ref \(ref): outside the heap's allocated pages"
        }
        if off & 7 != 0 { return "misaligned Ref \(ref): not 8-byte aligned" }
        guard let s = spanOf(off),
              page >= s.pointee.startPage, page < s.pointee.startPage + s.pointee.pageCount else {
            if let m = freedMessage(ref) { return m + "; its span was returned to the page heap" }
            return "garbage Ref \(ref): points into free pages"
        }
        let index = s.pointee.objectIndex(off)
        let slotStart = s.pointee.base + UInt64(index) * s.pointee.elemSize
        if index >= s.pointee.nelems {
            return "garbage Ref \(ref): past the last object of its span"
        }
        if slotStart != off {
            return "misaligned Ref \(ref): interior of the object at 0x\(String(slotStart, radix: 16)) "
                + "(span class \(s.pointee.sizeClass), element size \(s.pointee.elemSize))"
        }
        let word = header(ref)
        if checked {
            if word == 0 { return "Ref \(ref) points to a never-allocated slot" }
            if ObjectHeader.isFreed(word) { return freedMessage(ref, word) }
        } else if s.pointee.isFree(index) {
            return freedMessage(ref) ?? "Ref \(ref) points to a never-allocated slot"
        }
        if ObjectHeader.isFreed(word) || !types.isValid(ObjectHeader.typeID(word)) {
            return "corrupt header 0x\(String(word, radix: 16)) at \(ref)"
        }
        if checked, ref.generation != 0, ref.generation != ObjectHeader.generation(word) {
            return "stale Ref \(ref): the object it referred to (generation \(ref.generation)) was freed and its "
                + "slot reused by a \(types.name(of: ObjectHeader.typeID(word))) "
                + "(generation \(ObjectHeader.generation(word)))"
        }
        return nil
    }

    /// The "use of freed object" message if a checked-mode freed header sits at `ref`.
    private func freedMessage(_ ref: Ref) -> String? {
        let word = header(ref)
        guard ObjectHeader.isFreed(word) else { return nil }
        return freedMessage(ref, word)
    }

    /// The "use of freed object" message for the freed header `word` at `ref`.
    private func freedMessage(_ ref: Ref, _ word: UInt64) -> String {
        "use of freed object \(ref) of type \(types.name(of: ObjectHeader.typeID(word))) "
            + "(freed in GC cycle \(ObjectHeader.freedCycle(word)))"
    }

    /// "0x1040 (Node)": a Ref with its type name, for messages.
    public func describe(_ ref: Ref) -> String {
        if ref.isNil { return "nil" }
        if validate(ref) != nil { return "\(ref) (invalid)" }
        return "\(ref) (\(typeName(of: ref)))"
    }

    // MARK: Checked-mode entry points (never inlined)

    /// Validates `ref` as an object operand.
    @usableFromInline @inline(never)
    func checkValue(_ ref: Ref, operation: StaticString) {
        if let m = validate(ref) { heapMisuse("\(operation): \(m)") }
    }

    /// Validates `ref` and that `field` is one of its pointer fields.
    @usableFromInline @inline(never)
    func checkPointerField(_ ref: Ref, _ field: Int, operation: StaticString) {
        if let m = validate(ref) { heapMisuse("\(operation) field \(field): \(m)") }
        let n = ObjectHeader.pointerFields(header(ref))
        if field < 0 || field >= n {
            heapMisuse("\(operation): field \(field) out of range for type \(typeName(of: ref)) "
                       + "with \(n) pointer fields (object \(ref))")
        }
    }

    /// A field index out of range at check level off (the object itself is not validated).
    @usableFromInline @inline(never)
    func fieldOutOfRange(_ ref: Ref, _ field: Int, operation: StaticString) -> Never {
        let n = ObjectHeader.pointerFields(header(ref))
        heapMisuse("\(operation): field \(field) out of range for type \(typeName(of: ref)) "
                   + "with \(n) pointer fields (object \(ref))")
    }

    /// Validates `ref` and that bytes [offset, offset+width) are scalar bytes.
    @usableFromInline @inline(never)
    func checkScalar(_ ref: Ref, _ offset: Int, _ width: Int, operation: StaticString) {
        if let m = validate(ref) { heapMisuse("\(operation): \(m)") }
        let t = typeDescriptors[Int(ObjectHeader.typeID(header(ref)))]
        if offset < 0 || offset + width > t.scalarBytes {
            heapMisuse("\(operation): scalar bytes \(offset)..<\(offset + width) out of range for type "
                       + "\(typeName(of: ref)) with \(t.scalarBytes) scalar bytes (object \(ref))")
        }
    }

    /// Non-trapping form of the pointer-field check, for tests and tools.
    /// - Returns: nil if `loadPointer(ref, field:)` would be valid.
    public func validateField(_ ref: Ref, field: Int) -> String? {
        if let m = validate(ref) { return m }
        let n = ObjectHeader.pointerFields(header(ref))
        if field < 0 || field >= n {
            return "field \(field) out of range for type \(typeName(of: ref)) with \(n) pointer fields"
        }
        return nil
    }
}
