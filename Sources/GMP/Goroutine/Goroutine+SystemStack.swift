import CContext

// Running runtime work on the M's own stack (Go's systemstack).
//
// A goroutine's stack may be small (16 KiB with `SchedulerConfig.smallStacks`)
// and its frames belong to the user. Collector work that runs on behalf of a goroutine — a
// stop-the-world mark, checkmark's breadth-first walk, the invariant checks — has frames of
// its own (Swift's dictionaries and generic specialisations are not small), and running it
// on the mutator's stack ends a program that merely turned its checks on with
// "goroutine N stack overflow". Go runs such work on g0 through `systemstack(fn)`.
//
// How: the goroutine records `fn` on its M and switches to g0 with `.systemStack`
// (Machine.swift). g0 runs `fn` on the thread's 1 MiB stack and switches straight back to
// the goroutine, without passing through the scheduler: the goroutine stays `.running`, the
// M keeps its P, and thread-local "current goroutine" still names the caller, so `fn` sees
// the same `Goroutine.current`, `Processor.current` and per-P state the caller saw.
//
// The rule Go states for systemstack holds here too: `fn` must not park, yield, sleep or
// otherwise switch goroutines (it is not on a goroutine stack to switch from). Doing so is a
// fatal error naming the goroutine. Nested calls run `fn` directly.

extension Goroutine {
    /// Runs `body` on the current M's system stack (g0) (Go's `systemstack`). Called outside
    /// a goroutine, or already on the system stack, it runs `body` directly. `body` must not
    /// block, yield or switch goroutines. Not generic, so that the switch itself needs no
    /// type metadata (whose first instantiation, in unspecialised builds, takes more stack
    /// than a small goroutine stack has).
    public static func onSystemStack(_ body: () -> Void) {
        guard let ref = GoroutineRef.current else { return body() }
        ref.withGoroutine { g in
            let m = g.mU.unsafelyUnwrapped.takeUnretainedValue()
            if m.onSystemStack { return body() }
            withoutActuallyEscaping(body) { body in
                m.systemStackFn = body
                g.mcall(.systemStack)
            }
        }
    }

    /// `onSystemStack` returning `body`'s result.
    public static func onSystemStack<R>(_ body: () -> R) -> R {
        var result: R? = nil
        onSystemStack { () -> Void in result = body() }
        return result!
    }
}

extension Goroutine {
    /// True while the calling code runs inside `onSystemStack`.
    public static var isOnSystemStack: Bool { Machine.current?.onSystemStack ?? false }
}

extension Machine {
    /// g0's side of `Goroutine.onSystemStack`: run the recorded function here, on the
    /// thread's stack, then resume `g` where it called from.
    func runOnSystemStack(_ g: Goroutine) {
        pending = .none
        onSystemStack = true
        let st = g.stack.unsafelyUnwrapped
        tc_tls_set_g(g.ref.raw, g.id, st.guardLo, st.lo)
        callSystemStackFn()
        onSystemStack = false
        tc_switch(g0, g.context)
        tc_tls_set_g(nil, 0, nil, nil)
    }

    /// Calls and releases the recorded function. Its own frame, so g0 holds no reference
    /// to the closure when the goroutine resumes (`withoutActuallyEscaping` checks that).
    @inline(never)
    private func callSystemStackFn() {
        let fn = systemStackFn.unsafelyUnwrapped
        systemStackFn = nil
        fn()
    }
}
