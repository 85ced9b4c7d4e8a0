// The heap's failure paths.
//
// Every misuse the checked mode detects (stale Ref, field out of range,
// garbage Ref) ends in `heapMisuse`, and every broken collector invariant
// (checkmark failure, inconsistent span state) ends in `heapInvariantFailure`.
// They are single functions so every report names the goroutine (from the
// scheduler's per-thread state) without touching the call sites.

import CContext

/// Reports a misuse of the heap API detected in checked mode and stops the program.
///
/// - Parameter message: names the object, its type and what was wrong, e.g.
///   "use of freed object 0x12008 of type Node (freed in GC cycle 3)".
@usableFromInline @inline(never)
internal func heapMisuse(_ message: String) -> Never {
    let g = tc_tls_goid()
    let who = g != 0 && !message.contains("(goroutine ") ? " (goroutine \(g))" : ""
    let text = "TriColor heap misuse: \(message)\(who)"
    tc_write_stderr(text + "\n")
    fatalError(text)
}

/// Reports a broken heap or collector invariant (a bug in the runtime, not in
/// the program using it) and stops the program.
@usableFromInline @inline(never)
internal func heapInvariantFailure(_ message: String) -> Never {
    let g = tc_tls_goid()
    let text = "TriColor heap invariant violated: \(message)" + (g != 0 ? " (goroutine \(g))" : "")
    tc_write_stderr(text + "\n")
    fatalError(text)
}
