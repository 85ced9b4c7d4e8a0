import CContext
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Unix domain stream sockets on the netpoller (Go's net.UnixListener, net.UnixConn and
// net.DialTimeout("unix", ...)): the same blocking-style calls as TCP (Connection.swift),
// addressed by a filesystem path. Abstract-namespace names (Go's "@name") are not
// supported.

/// A listening Unix stream socket bound to a filesystem path (Go's net.UnixListener).
/// `close` removes the socket file, as Go's does for a listener it created.
public final class UnixListener: @unchecked Sendable {
    let pd: PollDesc
    /// The path the socket is bound to.
    public let path: String

    /// Binds a new socket file at `path` and listens. `.pathTooLong` when the path does
    /// not fit a sockaddr_un; `.addressInUse` when a file (a live socket, or a stale one
    /// nobody removed) is already there.
    public init(path: String, backlog: Int = 4096) throws(NetError) {
        let s = Goroutine.mustCurrent("UnixListener").sched
        let np = try s.net.get(s)
        try checkUnixPath(path)
        let fd = tc_unix_listen(path, Int32(clamping: backlog))
        if fd < 0 { throw .from(errno: -fd, "listen unix \(path)") }
        pd = try np.register(fd, sched: s)
        self.path = path
    }

    /// Waits for and returns the next connection; `.closed` after `close`.
    public func accept() throws(NetError) -> UnixConnection {
        let fd = try pd.acceptFD(tc_unix_accept)
        return try UnixConnection(fd: fd, sched: pd.sched, poller: pd.poller)
    }

    /// Stops listening and removes the socket file; a goroutine blocked in `accept` gets
    /// `.closed`.
    public func close() throws(NetError) {
        try pd.close()
        _ = tc_unlink(path)
    }
}

/// A Unix stream connection (Go's net.UnixConn).
public final class UnixConnection: NetConnection, @unchecked Sendable {}

/// Connects to the Unix socket at `path`, failing with `.timeout` after `timeout`.
/// `.connectionRefused` when the file is a socket nobody listens on; `.system(ENOENT)`
/// when there is no file. From a goroutine.
public func dialUnix(path: String, timeout: Duration? = nil) throws(NetError) -> UnixConnection {
    let s = Goroutine.mustCurrent("dialUnix").sched
    try checkUnixPath(path)
    let np = try s.net.get(s)
    let fd = tc_unix_connect(path)
    if fd < 0 { throw .from(errno: -fd, "connect unix \(path)") }
    let c = try UnixConnection(fd: fd, sched: s, poller: np)
    try c.finishConnect(timeout: timeout, "unix \(path)")
    return c
}

/// A Unix socket path must be non-empty and fit sun_path with its NUL (107 bytes on Linux).
private func checkUnixPath(_ path: String) throws(NetError) {
    let max = Int(tc_unix_path_max()), n = path.utf8.count
    if path.isEmpty { throw .invalidAddress("empty Unix socket path") }
    if path.utf8.contains(0) { throw .invalidAddress("Unix socket path contains a NUL byte") }
    if n > max { throw .pathTooLong(path: path, bytes: n, max: max) }
}
