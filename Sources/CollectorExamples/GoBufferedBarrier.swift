// Go 1.19's write barrier as its buffer actually records it, written only against
// TriColor's public API.
//
// Proposal 17503 specifies the hybrid barrier as
//
//     shade(*slot)
//     if current stack is grey: shade(ptr)
//     *slot = ptr
//
// (TriColor's built-in `hybrid`), but Go's runtime never tests the stack colour: the
// assembly fast path (gcWriteBarrier, asm_amd64.s) records *both* the new pointer and
// *slot in the P's write-barrier buffer, and wbBufFlush1 (mwbbuf.go) shades every entry.
// Its comment says why: "We could avoid shading any of the 'new' pointers in the buffer if
// the stack has been shaded ... This is slightly complicated with the buffer". Shading the
// new pointer unconditionally is always safe, only less precise (more floating garbage).
// So Go 1.19 runs
//
//     shade(*slot); shade(ptr); *slot = ptr
//
// with stacks scanned one goroutine at a time and never re-scanned, allocate-black. It keeps
// the weak invariant (the hybrid's argument applies: it shades a superset).
//
// The ablation drops shade(*slot), leaving Dijkstra's half without Dijkstra's re-scan: a
// goroutine whose stack is already black loads a pointer from a grey object, the object
// drops it without shading it, and it is freed while the black stack holds it.

import TriColor

public enum GoBufferedBarrier {
    /// Go 1.19: both pointers shaded unconditionally; claims the weak invariant.
    public static let plan = BarrierPlan(shadeOld: true, shadeNew: .always, stacks: .blackenEach,
                                         allocateBlack: true, invariant: .weak)
    /// UNSAFE ablation: without shade(*slot).
    public static let noDeletionShadePlan = BarrierPlan(shadeOld: false, shadeNew: .always, stacks: .blackenEach,
                                                        allocateBlack: true, invariant: .none)
}
