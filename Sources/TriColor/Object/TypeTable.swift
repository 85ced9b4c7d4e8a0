// The type table: type id -> descriptor and name.
//
// Descriptors live in a fixed-capacity raw buffer so that `Heap.type(of:)`
// is one load with no bounds check and no ARC. Registration appends under
// `lock` and then publishes the new count with a releasing store; a reader
// that obtained a type id from an object header reads the descriptor after
// the allocation that wrote that header, which happened after registration.

import GMP
import Synchronization

@usableFromInline
internal final class TypeTable: @unchecked Sendable {
    // @unchecked Sendable: `descriptors` slots are written once, under `lock`,
    // before `count` publishes them; `names` is only touched under `lock`.

    /// Fixed capacity (type ids 1..<capacity).
    let capacity: Int
    /// Slot i holds the descriptor of type id i. Slot 0 is unused.
    @usableFromInline let descriptors: UnsafeMutablePointer<ObjectType>
    /// Number of used slots including the unused slot 0. Written under `lock`
    /// with `.releasing`; read with `.acquiring`.
    let count: Atomic<Int>
    /// Protects registration and `names`.
    let lock = RuntimeLock()
    /// Type names by id. Protected by `lock`.
    var names: [String] = ["<no type>"]

    init(capacity: Int) {
        self.capacity = capacity
        descriptors = .allocate(capacity: capacity)
        descriptors.initialize(to: ObjectType(id: 0, pointerFields: 0, scalarBytes: 0))
        count = Atomic(1)
    }

    deinit {
        descriptors.deinitialize(count: count.load(ordering: .acquiring))
        descriptors.deallocate()
    }

    func register(name: String, pointerFields: Int, scalarBytes: Int, isArray: Bool = false) -> ObjectType {
        precondition(pointerFields >= 0 && pointerFields < 0x7FFF_FFFF,
                     "registerType: pointerFields \(pointerFields) out of range")
        precondition(scalarBytes >= 0, "registerType: scalarBytes must not be negative")
        return lock.withLock {
            let n = count.load(ordering: .relaxed)
            precondition(n < capacity, "registerType: type table full (\(capacity) types)")
            let t = ObjectType(id: UInt32(n), pointerFields: pointerFields, scalarBytes: scalarBytes, isArray: isArray)
            (descriptors + n).initialize(to: t)
            names.append(name)
            count.store(n + 1, ordering: .releasing)
            return t
        }
    }

    /// `true` if `id` names a registered type.
    func isValid(_ id: UInt32) -> Bool {
        id != 0 && Int(id) < count.load(ordering: .acquiring)
    }

    func name(of id: UInt32) -> String {
        lock.withLock { Int(id) < names.count ? names[Int(id)] : "<bad type id \(id)>" }
    }
}
