// Thin wrappers over the OS virtual-memory calls the heap needs.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

internal enum SystemMemory {
    /// Reserves `bytes` of zero-filled, readable and writable address space
    /// without committing swap (`MAP_NORESERVE`). Pages are backed on first touch.
    /// - Returns: the base address, or `nil` if the kernel refused.
    static func reserve(_ bytes: Int) -> UnsafeMutableRawPointer? {
        #if canImport(Glibc)
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
        #else
        let flags = MAP_PRIVATE | MAP_ANON
        #endif
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, flags, -1, 0),
              p != UnsafeMutableRawPointer(bitPattern: -1) else {
            return nil
        }
        return p
    }

    /// Returns a reservation made by `reserve` to the OS.
    static func release(_ base: UnsafeMutableRawPointer, _ bytes: Int) {
        _ = munmap(base, bytes)
    }
}
