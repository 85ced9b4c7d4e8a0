import Foundation
import Testing
@testable import GMP

/// Unix domain stream sockets on the netpoller, in a fresh temporary directory per test.
@Suite struct UnixSocketTests {
    /// A new empty directory under the system's temporary directory, removed by the caller.
    static func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "tricolor-unix-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Echo over a Unix socket: accept, read, write, half-close, close; closing the
    /// listener removes its socket file.
    @Test(arguments: [1, 2])
    func echoOverUnixSocket(procs: Int) throws {
        let dir = try UnixSocketTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/echo.sock"
        let got = Box<[UInt8]>([]), fileWhileOpen = Box(false)
        var cfg = SchedulerConfig()
        cfg.procs = procs
        try Scheduler.run(cfg) {
            let ln = try UnixListener(path: path)
            fileWhileOpen.value = FileManager.default.fileExists(atPath: path)
            NetTests.serveEcho(accept: { try ln.accept() })
            let c = try dialUnix(path: path, timeout: .seconds(5))
            let msg = Array("over a unix socket".utf8) + [UInt8](repeating: 3, count: 300_000)
            go { try c.write(msg); try c.shutdownWrite() }
            var out: [UInt8] = [], buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = try c.read(into: &buf)
                if n == 0 { break }
                out += buf[0..<n]
            }
            got.value = out
            try c.close()
            try ln.close()
        }
        #expect(fileWhileOpen.value)
        #expect(!FileManager.default.fileExists(atPath: path), "the listener's close removes its socket file")
        #expect(got.value == Array("over a unix socket".utf8) + [UInt8](repeating: 3, count: 300_000))
    }

    /// The errors are typed: a path that does not fit sun_path is `.pathTooLong`; a second
    /// listener on a live socket's path is `.addressInUse`; dialling a path with no file is
    /// ENOENT, and a socket file nobody listens on is `.connectionRefused`.
    @Test func unixErrorsAreTyped() throws {
        let dir = try UnixSocketTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let results = Box<[String]>([])
        try Scheduler.run(SchedulerConfig()) {
            let long = dir + "/" + String(repeating: "x", count: 120) + ".sock"
            do { _ = try UnixListener(path: long); results.value.append("listened") } catch {
                if case let NetError.pathTooLong(_, bytes, max) = error, bytes == long.utf8.count, max == 107 {
                    results.value.append("too long")
                } else { results.value.append("\(error)") }
            }
            do { _ = try dialUnix(path: long); results.value.append("dialled") } catch {
                if case NetError.pathTooLong = error { results.value.append("too long") } else { results.value.append("\(error)") }
            }
            let path = dir + "/taken.sock"
            let ln = try UnixListener(path: path)
            do { _ = try UnixListener(path: path); results.value.append("listened twice") } catch {
                results.value.append("\(error)")
            }
            do { _ = try dialUnix(path: dir + "/nobody.sock"); results.value.append("dialled") } catch {
                if case NetError.system(ENOENT, _) = error { results.value.append("ENOENT") } else { results.value.append("\(error)") }
            }
            try ln.close()
            // A stale socket file: bound by a socket that closed without removing it.
            let stale = dir + "/stale.sock"
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var sa = sockaddr_un()
            sa.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &sa.sun_path) { p in
                for (i, b) in stale.utf8.enumerated() { p[i] = b }
            }
            let bound = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            close(fd)
            #expect(bound == 0)
            do { _ = try dialUnix(path: stale); results.value.append("dialled") } catch { results.value.append("\(error)") }
        }
        #expect(results.value == ["too long", "too long", "\(NetError.addressInUse)", "ENOENT", "\(NetError.connectionRefused)"])
    }
}
