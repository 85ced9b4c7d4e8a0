import GMP
import Testing
@testable import TriColor

/// Modelling a language heap: one array type for pointer arrays of every length (small and
/// large), and a type declared with named, typed fields.
@Suite struct ArrayAndLayoutTests {
    @Test(arguments: CollectorKind.safe)
    func arraysOfEveryLengthShareOneTypeAndKeepTheirElements(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector, check: .cheap)
        let vec = rt.registerArrayType(name: "Vector", scalarBytes: 8)
        let leaf = rt.registerType(name: "Leaf", pointerFields: 0, scalarBytes: 8)
        let lengths = [0, 1, 3, 100, 5000]   // 5000 elements: a large object (> 32 KiB)
        try rt.run {
            var arrays: [StackSlot] = []
            for n in lengths {
                let a = rt.push(rt.allocArray(vec, count: n))
                rt.storeScalar(Int64(n), into: rt[a], at: 0)
                for i in stride(from: 0, to: n, by: max(1, n / 7)) {
                    let e = rt.alloc(leaf)
                    rt.storeScalar(Int64(i), into: e, at: 0)
                    rt.store(rt[a], i, e)
                }
                arrays.append(a)
            }
            for _ in 0..<1000 { _ = rt.alloc(leaf) }      // garbage
            rt.collect()
            rt.collect()
            for (a, n) in zip(arrays, lengths) {
                let arr = rt[a]
                #expect(rt.heap.pointerFieldCount(of: arr) == n)
                #expect(rt.heap.type(of: arr) == vec.withLength(n))
                #expect(rt.heap.size(of: arr) == 8 + 8 * n + 8)
                #expect(rt.loadScalar(arr, at: 0, as: Int64.self) == Int64(n))
                for i in stride(from: 0, to: n, by: max(1, n / 7)) {
                    let e = rt.load(arr, i)
                    #expect(rt.heap.validate(e) == nil)
                    #expect(rt.loadScalar(e, at: 0, as: Int64.self) == Int64(i))
                }
            }
        }
        #expect(rt.heap.verify() == [])
    }

    @Test func anElementPastTheLengthIsAMisuse() throws {
        let rt = try smallRuntime(check: .off)
        let vec = rt.registerArrayType(name: "Vector")
        let message = panicMessage(rt) {
            let a = rt.allocArray(vec, count: 4)
            rt.store(a, 3, a)
            rt.store(a, 4, a)
        }
        let text = try #require(message)
        #expect(text.contains("store: field 4 out of range for type Vector with 4 pointer fields"), "\(text)")
    }

    @Test func allocArrayOfANonArrayTypeIsAMisuse() throws {
        let rt = try smallRuntime()
        let node = rt.registerType(name: "Node", pointerFields: 2)
        let message = panicMessage(rt) { _ = rt.allocArray(node, count: 3) }
        let text = try #require(message)
        #expect(text.contains("allocArray: Node is not an array type"), "\(text)")
    }

    @Test func aLayoutNamesAndAlignsItsFields() throws {
        var cons = ObjectLayout("Cons")
        let car = cons.pointer("car"), cdr = cons.pointer("cdr")
        let tag = cons.scalar("tag", UInt8.self), value = cons.scalar("value", Int64.self)
        #expect(car.index == 0 && cdr.index == 1)
        #expect(tag.offset == 0 && value.offset == 8 && cons.scalarBytes == 16)
        #expect(cons.pointerName(1) == "cdr" && cons.pointerName(2) == nil)
        let rt = try smallRuntime(.hybrid)
        let t = rt.registerType(cons)
        #expect(t.pointerFields == 2 && t.scalarBytes == 16)
        try rt.run {
            // A three-element list (3 2 1), built through the handles.
            let list = rt.push(nil)
            for v in Int64(1)...3 {
                let c = rt.alloc(t)
                rt[c, tag] = 7
                rt[c, value] = v
                rt.store(c, cdr, rt[list])
                rt[list] = c
            }
            rt.collect()
            var seen: [Int64] = []
            var c = rt[list]
            while !c.isNil {
                #expect(rt[c, tag] == 7)
                seen.append(rt[c, value])
                c = rt.load(c, cdr)
            }
            #expect(seen == [3, 2, 1])
        }
    }
}
