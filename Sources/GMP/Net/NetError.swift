import CContext
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a network call failed (Go's net.OpError causes, as cases).
public enum NetError: Error, Equatable, CustomStringConvertible {
    /// The read/write deadline or the dial timeout passed (Go's os.ErrDeadlineExceeded).
    case timeout
    /// The descriptor was closed, by this side, before or during the call (Go's net.ErrClosed).
    case closed
    /// The peer reset the connection (ECONNRESET, or EPIPE on a write).
    case connectionReset
    /// Nothing listens at the address dialled (ECONNREFUSED).
    case connectionRefused
    /// The address to listen on is taken (EADDRINUSE).
    case addressInUse
    /// The host is not a numeric IPv4/IPv6 address or "localhost", or the port is out of range.
    case invalidAddress(String)
    /// Network use is not possible here (deterministic mode, or not Linux).
    case unsupported(String)
    /// A Unix socket path longer than a sockaddr_un holds (`max` bytes).
    case pathTooLong(path: String, bytes: Int, max: Int)
    /// Another failure of the named system call, with its errno.
    case system(errno: Int32, String)

    /// Maps a failed call's errno to a case.
    static func from(errno e: Int32, _ call: String) -> NetError {
        switch e {
        case ECONNRESET, EPIPE: return .connectionReset
        case ECONNREFUSED: return .connectionRefused
        case EADDRINUSE: return .addressInUse
        case ETIMEDOUT: return .timeout
        case EINVAL: return .invalidAddress(call)  // from the address parser
        default: return .system(errno: e, call)
        }
    }

    public var description: String {
        switch self {
        case .timeout: return "i/o timeout"
        case .closed: return "use of closed network connection"
        case .connectionReset: return "connection reset by peer"
        case .connectionRefused: return "connection refused"
        case .addressInUse: return "address already in use"
        case .invalidAddress(let s): return "invalid address: \(s)"
        case .unsupported(let s): return "network unsupported: \(s)"
        case .pathTooLong(let p, let n, let m): return "Unix socket path too long (\(n) bytes, at most \(m)): \(p)"
        case .system(let e, let call): return "\(call): errno \(e)"
        }
    }
}
