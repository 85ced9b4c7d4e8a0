// RefChannel cases for GMP's `Select`.
//
// A receive case is a receive case on the channel's `ready` index channel; when it is
// chosen, the handler first moves the Ref from its rooted word into the caller's slot
// (RefChannel.finishReceive), exactly as `receive(into:)` does after its wait.
//
// A send case on a buffered channel is a receive case on `free`: it is ready when a word is
// empty, and when chosen the handler reads the slot, stores the Ref into that word and
// passes the index on `ready` (which never waits: `ready` has a place per word). An
// unbuffered send cannot be written this way: it must complete only with a receiver
// present, which would take the word before the select chooses, so it is refused with a
// message (use `send` or `trySend`).

import GMP

extension SelectBuilder {
    /// A receive case on a RefChannel: when chosen, the Ref goes into `slot` (a slot of the
    /// calling goroutine) and `handler` gets true, or false (and `slot` holds nil) once the
    /// channel is closed and drained. A nil channel makes a case that is never ready.
    public mutating func receive(from channel: RefChannel?, into slot: StackSlot,
                                 _ handler: @escaping (Bool) -> R) {
        guard let channel else {
            receive(from: Channel<Int>?.none) { _ in handler(false) }
            return
        }
        receive(from: channel.ready) { i in handler(channel.finishReceive(i, into: slot)) }
    }

    /// A send case on a buffered RefChannel: ready while the channel has room; when chosen,
    /// sends the Ref that `slot` holds then. A nil channel makes a case that is never ready;
    /// a closed channel panics when the case is chosen, as in Go. An unbuffered channel is
    /// a misuse (see the file comment).
    public mutating func send(from slot: StackSlot, to channel: RefChannel?, _ handler: @escaping () -> R) {
        guard let channel else {
            send(0, to: Channel<Int>?.none, handler)
            return
        }
        if channel.capacity == 0 {
            heapMisuse("Select send case on an unbuffered RefChannel (sending \(slot)): not supported; "
                + "use RefChannel.send or trySend, or a buffered channel")
        }
        channel.fillTokens()
        receive(from: channel.free) { token in
            let i = token.unsafelyUnwrapped   // `free` is never closed
            channel.fill(i, from: slot)
            channel.ready.send(i)
            return handler()
        }
    }
}

extension SelectBuilder where R == Void {
    /// A send case on a buffered RefChannel with nothing to do after the send.
    public mutating func send(from slot: StackSlot, to channel: RefChannel?) {
        send(from: slot, to: channel, {})
    }
}
