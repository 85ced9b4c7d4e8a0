// The one failure path: every misuse, broken invariant and collector failure ends in
// `runtimeFailure`, so every report has the same shape and names the goroutine (from the
// scheduler's per-thread state) without touching the call sites. Callers name the object,
// its field, and the GC cycle in the message.
//
// What happens next depends on who is at fault:
//   - misuse (a stale or garbage Ref, a field out of range, a stack slot of another
//     goroutine or of a popped frame) on a goroutine panics it, as Go's runtime errors do:
//     every check runs before the access it guards, so the heap is intact; the run stops
//     and `TriColorRuntime.run` throws `SchedulerError.panic` with the report, which a test
//     can assert. Off a goroutine (the heap used directly, without a runtime) or inside
//     `Scheduler.syscall` (no P: the goroutine cannot unwind its run) it stops the process;
//   - a broken heap invariant (inconsistent span state) stops the process: the heap can no
//     longer be trusted, and a trap leaves a core for the debugger;
//   - a collector failure (the checkmark found a reachable object unmarked, a tri-colour
//     invariant check failed) panics the goroutine like a misuse, so a property test can
//     record a counterexample and go on.

import CContext
import GMP

/// Who is at fault, and so what a failure does.
@usableFromInline
enum FailureKind {
    /// The program misused the heap API.
    case misuse
    /// The heap's own bookkeeping is inconsistent (a bug in TriColor).
    case heapInvariant
    /// A collector lost an object or broke its invariant (a bug in a collector or an
    /// ablation doing what it was built to do).
    case collector
}

/// Reports a failure and stops (see the file comment for how).
@usableFromInline @inline(never)
func runtimeFailure(_ kind: FailureKind, _ message: String) -> Never {
    let g = tc_tls_goid()
    let who = g != 0 && !message.contains("(goroutine ") ? " (goroutine \(g))" : ""
    switch kind {
    case .collector:
        Goroutine.panic("GC: \(message)")
    case .misuse where g != 0 && Goroutine.currentRoots.map({ !$0.pointee.isFrozen }) == true:
        Goroutine.panic("TriColor heap misuse: " + message + who)
    case .misuse, .heapInvariant:
        let text = (kind == .misuse ? "TriColor heap misuse: " : "TriColor heap invariant violated: ") + message + who
        tc_write_stderr(text + "\n")
        fatalError(text)
    }
}

/// A misuse of the heap API detected in checked mode, e.g. "use of freed object 0x12008 of
/// type Node (freed in GC cycle 3)".
@usableFromInline @inline(never)
func heapMisuse(_ message: String) -> Never { runtimeFailure(.misuse, message) }

/// A broken heap invariant (a bug in the runtime, not in the program using it).
@usableFromInline @inline(never)
func heapInvariantFailure(_ message: String) -> Never { runtimeFailure(.heapInvariant, message) }

/// A collector failure: the run stops and `TriColorRuntime.run` throws `.panic`.
func gcFailure(_ message: String) -> Never { runtimeFailure(.collector, message) }
