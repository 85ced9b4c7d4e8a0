// Size classes (Go's sizeclasses.go / msize.go).
//
// Small objects (<= 32 KiB) are rounded up to one of 67 size classes; each
// class has a fixed span size chosen (by Go's mksizeclasses.go) to keep tail
// waste and internal fragmentation near 12.5%. The table below is Go's
// (go1.21+ runtime/sizeclasses.go); class 0 means "large object, own span".
//
// Lookup mirrors Go: two byte tables, one indexed by ceil(size/8) for sizes up
// to 1024 and one indexed by ceil((size-1024)/128) above. They are built once
// from the class table. Lookup happens only at type registration, never on
// the allocation path (the class is cached in `ObjectType`).
//
// Object index from offset uses Go's reciprocal trick: with
// divMul = ceil(2^32 / elemSize), (offset * divMul) >> 32 == offset / elemSize
// for every offset inside a span of that class (checked by a test).

@usableFromInline
internal enum SizeClasses {
    /// Bytes in a page (Go's `_PageSize`).
    @usableFromInline static let pageSize = 8192
    /// log2(pageSize).
    @usableFromInline static let pageShift: UInt64 = 13
    /// Largest small object (Go's `_MaxSmallSize`).
    @usableFromInline static let maxSmallSize = 32768
    /// Number of classes including class 0 (Go's `_NumSizeClasses`).
    @usableFromInline static let count = 68
    /// Most objects a span can hold: 8 KiB / 8 bytes.
    static let maxObjectsPerSpan = 1024
    /// Words in each per-span bitmap.
    static let bitmapWords = maxObjectsPerSpan / 64

    /// Object size of each class (Go's `class_to_size`).
    static let classToSize: [Int] = [
        0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
        288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280,
        1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528,
        6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072,
        20480, 21760, 24576, 27264, 28672, 32768,
    ]

    /// Pages per span of each class (Go's `class_to_allocnpages`).
    static let classToPages: [Int] = [
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4,
        5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7,
        5, 8, 3, 10, 7, 4,
    ]

    /// Go's `size_to_class8`: class for sizes 0...1024, indexed by (size+7)/8.
    private static let sizeToClass8: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 1024 / 8 + 1)
        var c = 1
        for i in 0..<t.count {
            let size = i * 8
            while classToSize[c] < size { c += 1 }
            t[i] = UInt8(c)
        }
        return t
    }()

    /// Go's `size_to_class128`: class for sizes 1024...32768, indexed by (size-1024+127)/128.
    private static let sizeToClass128: [UInt8] = {
        var t = [UInt8](repeating: 0, count: (maxSmallSize - 1024) / 128 + 1)
        var c = 1
        for i in 0..<t.count {
            let size = 1024 + i * 128
            while classToSize[c] < size { c += 1 }
            t[i] = UInt8(c)
        }
        return t
    }()

    /// The smallest class whose objects hold `size` bytes.
    /// - Precondition: 0 < size <= maxSmallSize.
    static func sizeClass(for size: Int) -> UInt8 {
        precondition(size > 0 && size <= maxSmallSize, "sizeClass(for: \(size)): not a small size")
        if size <= 1024 - 8 {
            return sizeToClass8[(size + 7) >> 3]
        }
        return sizeToClass128[(size - 1024 + 127) >> 7]
    }

    /// Go's divMagic: ceil(2^32 / size) as used by `objIndex`.
    static func divMul(for elemSize: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: UInt64(UInt32.max) / UInt64(elemSize) + 1)
    }
}
