// Steele's barrier (Guy Steele, "Multiprocessing compactifying garbage collection", CACM
// 1975), written only against TriColor's public API.
//
// The problem every concurrent barrier solves: a mutator hides a white object from the
// marker by (a) writing a pointer to it into a black object and (b) destroying every other
// path to it from grey objects. Dijkstra's insertion barrier forbids (a) by shading the
// *target*: `shade(ptr); *slot = ptr`. Steele forbids (a) the other way round: the black
// *source* is turned grey again, so the marker comes back to it and finds the new pointer:
//
//     if source is black: source := grey     (re-queue it for scanning)
//     *slot = ptr
//
// Both keep the strong invariant (no black object points to a white one). Steele's is
// the more precise: the target is retained only if the source still points to it when the
// marker gets back, so a pointer written and overwritten during the mark leaves no
// floating garbage; the price is that a source written many times is scanned many times.
// Stack writes have no barrier in either, so every stack is re-scanned with the world
// stopped at mark termination, as Go 1.5-1.7 did for Dijkstra.
//
// In TriColor's plan (BarrierPlan.regreySource) the source is queued on the writing P's
// own grey stack, which only that P drains and never before the store lands. On real
// threads a source cannot be proven white at the store (another P may blacken it between
// the test and the store), so a white source is queued too; see `BarrierPlan.regreySource`.
// This is the race Go's mbarrier.go names when it declines to make its barrier conditional
// on the colour of the object holding the slot: "the cost of ensuring that the object
// holding the slot doesn't concurrently change color without the mutator noticing seems
// prohibitive".
//
// The ablation drops the stack re-scan: a goroutine can load a pointer from a grey object
// into its already-scanned stack, and the grey object can lose it before it is scanned;
// nothing shades the target, so it is freed while the stack still holds it.

import TriColor

public enum Steele {
    /// Steele's barrier with its stack re-scan: claims the strong invariant.
    public static let plan = BarrierPlan(shadeOld: false, shadeNew: .never, regreySource: true,
                                         stacks: .concurrentThenRescan, allocateBlack: true, invariant: .strong)
    /// UNSAFE ablation: the same barrier, stacks scanned once and never again.
    public static let noRescanPlan = BarrierPlan(shadeOld: false, shadeNew: .never, regreySource: true,
                                                 stacks: .concurrentOnce, allocateBlack: true, invariant: .none)
}
