import CContext
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// TCP on the netpoller (Go's net.TCPListener, net.TCPConn and net.DialTimeout): blocking-
// style calls on non-blocking sockets. Each call tries the system call first; on EAGAIN it
// parks the goroutine on the socket's poll descriptor (PollDesc.wait) and retries once the
// poller says the direction is ready. Call these from goroutines; the first use creates the
// scheduler's netpoller.

/// A listening TCP socket (Go's net.TCPListener).
///
/// ```swift
/// let ln = try TCPListener(host: "127.0.0.1", port: 0)
/// go { let c = try! dial(host: "127.0.0.1", port: ln.localPort); try! c.write(Array("hi".utf8)) }
/// let conn = try ln.accept()
/// ```
public final class TCPListener: @unchecked Sendable {
    let pd: PollDesc
    /// The bound port (the kernel's choice when listening on port 0).
    public let localPort: Int

    /// Listens on a numeric IPv4/IPv6 `host` ("127.0.0.1", "::1"; "localhost" is
    /// 127.0.0.1) and `port` (0: any free port).
    public init(host: String = "127.0.0.1", port: Int, backlog: Int = 4096) throws(NetError) {
        let s = Goroutine.mustCurrent("TCPListener").sched
        guard (0...65535).contains(port) else { throw .invalidAddress("port \(port) is outside 0...65535") }
        let np = try s.net.get(s)
        let fd = tc_tcp_listen(host, Int32(port), Int32(clamping: backlog))
        if fd < 0 {
            throw fd == -EINVAL ? .invalidAddress("\(host) is not a numeric IPv4/IPv6 address or localhost")
                : .from(errno: -fd, "listen \(host):\(port)")
        }
        let lp = tc_sock_local_port(fd)
        pd = try np.register(fd, sched: s)
        localPort = Int(lp)
    }

    /// Waits for and returns the next connection (Go's Accept); `.closed` after `close`.
    public func accept() throws(NetError) -> TCPConnection {
        try pd.beginUse()
        defer { pd.endUse() }
        while true {
            let fd = tc_tcp_accept(pd.fd)
            if fd >= 0 { return try TCPConnection(fd: fd, sched: pd.sched, poller: pd.poller) }
            switch -fd {
            case EAGAIN: try pd.wait(.read)
            case ECONNABORTED, EPROTO: continue  // the peer gave up; take the next
            default: throw .from(errno: -fd, "accept")
            }
        }
    }

    /// Stops listening; a goroutine blocked in `accept` gets `.closed`.
    public func close() throws(NetError) { try pd.close() }
}

/// A TCP connection (Go's net.TCPConn). One goroutine may read while another writes; two
/// concurrent readers (or writers) get `NetError.busy`.
public final class TCPConnection: @unchecked Sendable {
    let pd: PollDesc

    init(fd: Int32, sched: Scheduler, poller: Netpoller) throws(NetError) {
        pd = try poller.register(fd, sched: sched)
    }

    /// Reads what is available, up to `buffer.count` bytes, waiting for at least one;
    /// returns 0 at end of stream (the peer shut down its write side or closed).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(NetError) -> Int {
        try pd.beginUse()
        defer { pd.endUse() }
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
        try pd.beginUse()
        defer { pd.endUse() }
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

    /// Closes the connection; goroutines blocked in `read` or `write` get `.closed`.
    public func close() throws(NetError) { try pd.close() }

    /// Closes the connection with a reset (RST) instead of a FIN (SO_LINGER 0): the peer's
    /// next read or write fails with `.connectionReset`.
    public func closeWithReset() throws(NetError) {
        try pd.beginUse()
        _ = tc_sock_set_linger_reset(pd.fd)
        pd.endUse()
        try pd.close()
    }

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
}

/// Connects to `host:port` (numeric IPv4/IPv6 or "localhost"), failing with `.timeout`
/// after `timeout` (Go's net.DialTimeout; nil: the kernel's own limit). From a goroutine.
public func dial(host: String, port: Int, timeout: Duration? = nil) throws(NetError) -> TCPConnection {
    let s = Goroutine.mustCurrent("dial").sched
    guard (1...65535).contains(port) else { throw .invalidAddress("port \(port) is outside 1...65535") }
    let np = try s.net.get(s)
    let fd = tc_tcp_connect(host, Int32(port))
    if fd < 0 {
        throw fd == -EINVAL ? .invalidAddress("\(host) is not a numeric IPv4/IPv6 address or localhost")
            : .from(errno: -fd, "connect \(host):\(port)")
    }
    let c = try TCPConnection(fd: fd, sched: s, poller: np)
    do throws(NetError) {
        if let timeout { try c.setWriteDeadline(after: timeout) }
        try c.pd.beginUse()
        defer { c.pd.endUse() }
        // The connect has finished when the socket becomes writable (an edge epoll reports
        // even when it completed before registration); SO_ERROR says how.
        try c.pd.wait(.write)
        let e = tc_sock_error(c.pd.fd)
        if e < 0 { throw NetError.from(errno: -e, "connect \(host):\(port)") }
        if timeout != nil { try c.setWriteDeadline(after: nil) }
    } catch {
        try? c.close()
        throw error
    }
    return c
}

/// Raises this process's open-file limit (soft RLIMIT_NOFILE) to `want`, or to the hard
/// limit when that is lower; returns the limit now in force (servers with many connections
/// need more than the usual 1,024).
public func raiseOpenFileLimit(to want: Int) throws(NetError) -> Int {
    let r = tc_raise_nofile(want)
    if r < 0 { throw .system(errno: Int32(-r), "setrlimit(RLIMIT_NOFILE)") }
    return r
}
