import CContext
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A stream connection on the netpoller, TCP or Unix (Go's net.conn, which TCPConn and
// UnixConn embed): blocking-style calls on a non-blocking socket. Each call takes its
// direction's lock of the descriptor (PollDesc.rwlock, Go's fdMutex), tries the system call,
// and on EAGAIN parks the goroutine on the socket's poll descriptor (PollDesc.wait) until
// the poller says the direction is ready. Call these from goroutines.

/// A connected stream socket (Go's net.Conn): `TCPConnection` or `UnixConnection`. One
/// read and one write run at a time; a second goroutine reading (or writing) the same
/// connection waits until the first call returns, so one `write` is never interleaved
/// with another's bytes.
public class NetConnection: @unchecked Sendable {
    let pd: PollDesc

    init(fd: Int32, sched: Scheduler, poller: Netpoller) throws(NetError) {
        pd = try poller.register(fd, sched: sched)
    }

    /// Reads what is available, up to `buffer.count` bytes, waiting for at least one;
    /// returns 0 at end of stream (the peer shut down its write side or closed).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(NetError) -> Int {
        try pd.rwlock(.read)
        defer { pd.rwunlock(.read) }
        while true {
            let n = tc_sock_recv(pd.fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if n == -Int(EAGAIN) { try pd.wait(.read) } else { throw .from(errno: Int32(-n), "read") }
        }
    }

    /// Reads into `buffer` from its start as `read(into:)` does.
    public func read(into buffer: inout [UInt8]) throws(NetError) -> Int {
        // withUnsafeMutableBytes rethrows untyped: carry the outcome out as a Result.
        let r = buffer.withUnsafeMutableBytes { b in Result { () throws(NetError) in try read(into: b) } }
        return try r.get()
    }

    /// Writes every byte of `bytes`, waiting while the socket's buffer is full.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(NetError) {
        try pd.rwlock(.write)
        defer { pd.rwunlock(.write) }
        var off = 0
        while off < bytes.count {
            let n = tc_sock_send(pd.fd, bytes.baseAddress! + off, bytes.count - off)
            if n >= 0 {
                off += n
            } else if n == -Int(EAGAIN) {
                try pd.wait(.write)
            } else {
                throw .from(errno: Int32(-n), "write")
            }
        }
    }

    public func write(_ bytes: [UInt8]) throws(NetError) {
        let r = bytes.withUnsafeBytes { b in Result { () throws(NetError) in try write(b) } }
        try r.get()
    }

    /// Shuts down the write side (sends FIN): the peer reads end of stream; reading
    /// continues (Go's CloseWrite).
    public func shutdownWrite() throws(NetError) {
        try pd.beginUse()
        defer { pd.endUse() }
        let r = tc_sock_shutdown_write(pd.fd)
        if r < 0 { throw .from(errno: -r, "shutdown") }
    }

    /// Closes the connection; goroutines blocked in `read` or `write`, or waiting their
    /// turn to, get `.closed`.
    public func close() throws(NetError) { try pd.close() }

    /// Makes `read` fail with `.timeout` once `duration` from now has passed (nil: no
    /// deadline), including a read already waiting (Go's SetReadDeadline). The deadline
    /// stays until changed: set it again before each read for a per-read timeout.
    public func setReadDeadline(after duration: Duration?) throws(NetError) {
        try pd.setDeadline(.read, duration.map { pd.sched.now().addingClamped($0.nanosecondsClamped) })
    }

    /// As `setReadDeadline`, for `write` (Go's SetWriteDeadline).
    public func setWriteDeadline(after duration: Duration?) throws(NetError) {
        try pd.setDeadline(.write, duration.map { pd.sched.now().addingClamped($0.nanosecondsClamped) })
    }

    /// Finishes the non-blocking connect started on this socket (Go's netFD.connect):
    /// waits until the socket is writable (an edge epoll reports even when the connect
    /// completed before registration), then SO_ERROR says how it went. `.timeout` after
    /// `timeout`; the connection is closed on any failure. `what` names the address.
    func finishConnect(timeout: Duration?, _ what: String) throws(NetError) {
        do throws(NetError) {
            if let timeout { try setWriteDeadline(after: timeout) }
            try pd.rwlock(.write)
            defer { pd.rwunlock(.write) }
            try pd.wait(.write)
            let e = tc_sock_error(pd.fd)
            if e < 0 { throw NetError.from(errno: -e, "connect \(what)") }
            if timeout != nil { try setWriteDeadline(after: nil) }
        } catch {
            try? close()
            throw error
        }
    }
}

extension PollDesc {
    /// Accepts the next connection on this listening descriptor (Go's netFD.accept):
    /// returns its non-blocking fd; waits while none is pending; `.closed` after close.
    func acceptFD(_ accept: (Int32) -> Int32) throws(NetError) -> Int32 {
        try rwlock(.read)
        defer { rwunlock(.read) }
        while true {
            let fd = accept(self.fd)
            if fd >= 0 { return fd }
            switch -fd {
            case EAGAIN: try wait(.read)
            case ECONNABORTED, EPROTO: continue  // the peer gave up; take the next
            default: throw .from(errno: -fd, "accept")
            }
        }
    }
}
