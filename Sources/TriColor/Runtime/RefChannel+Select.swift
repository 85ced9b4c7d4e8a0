// RefChannel cases for GMP's `Select`.
//
// A receive case is a receive case on the channel's `ready` index channel; when it is
// chosen, the handler first moves the Ref from its rooted word into the caller's slot
// (RefChannel.finishReceive), exactly as `receive(into:)` does after its wait.
//
// A send case on a buffered channel is a receive case on `free`: it is ready when a word is
// empty, and when chosen the handler reads the slot, stores the Ref into that word and
// passes the index on `ready` (which never waits: `ready` has a place per word).
//
// A send case on an unbuffered channel is Go's: building it takes a sender word and stores
// the slot's Ref there (Go evaluates a send case's value when the select starts), then it
// is a GMP send case of that word's index on `ready`. It pairs with a parked receiver when
// polled, or waits as one of the select's waiters until a receiver takes the index (the
// receiver gives the word back); if the select completes another case, or its default,
// the case's `notChosen` empties the word and gives it back. The Ref is in a rooted word
// from the start of the select to the receiver's slot.

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

    /// A send case on a RefChannel. Buffered: ready while the channel has room, and sends
    /// the Ref that `slot` holds when chosen. Unbuffered: ready when a receiver waits, and
    /// sends the Ref `slot` held when the select began (as Go evaluates a send case's value
    /// then). A nil channel makes a case that is never ready; a closed channel panics when
    /// the case is chosen, as in Go.
    public mutating func send(from slot: StackSlot, to channel: RefChannel?, _ handler: @escaping () -> R) {
        guard let channel else {
            send(0, to: Channel<Int>?.none, handler)
            return
        }
        if channel.capacity == 0 {
            let i = channel.takeSenderWord(for: slot)
            send(i, to: channel.ready, notChosen: { channel.release(i) }, handler)
            return
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
    /// A send case on a RefChannel with nothing to do after the send.
    public mutating func send(from slot: StackSlot, to channel: RefChannel?) {
        send(from: slot, to: channel, {})
    }
}
