import CContext
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// TCP on the netpoller (Go's net.TCPListener, net.TCPConn and net.DialTimeout). The calls
// are Connection.swift's; the first use creates the scheduler's netpoller.

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
    /// Concurrent accepts take turns.
    public func accept() throws(NetError) -> TCPConnection {
        let fd = try pd.acceptFD(tc_tcp_accept)
        return try TCPConnection(fd: fd, sched: pd.sched, poller: pd.poller)
    }

    /// Makes `accept` fail with `.timeout` once `duration` from now has passed (nil: no
    /// deadline), including an accept already waiting (Go's TCPListener.SetDeadline). The
    /// deadline stays until changed; the listener stays open.
    public func setDeadline(after duration: Duration?) throws(NetError) {
        try pd.setDeadline(.read, duration.map { pd.sched.now().addingClamped($0.nanosecondsClamped) })
    }

    /// Stops listening; a goroutine blocked in `accept` gets `.closed`.
    public func close() throws(NetError) { try pd.close() }
}

/// A TCP connection (Go's net.TCPConn): NetConnection's calls plus a close by reset.
public final class TCPConnection: NetConnection, @unchecked Sendable {
    /// Closes the connection with a reset (RST) instead of a FIN (SO_LINGER 0): the peer's
    /// next read or write fails with `.connectionReset`.
    public func closeWithReset() throws(NetError) {
        try pd.beginUse()
        _ = tc_sock_set_linger_reset(pd.fd)
        pd.endUse()
        try pd.close()
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
    try c.finishConnect(timeout: timeout, "\(host):\(port)")
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
