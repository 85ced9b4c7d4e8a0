// Size-class table and the reciprocal division used for object indices.

import Testing
@testable import TriColor

@Suite struct SizeClassTests {
    @Test func tableIsGoShapedAndMonotonic() {
        #expect(SizeClasses.classToSize.count == SizeClasses.count)
        #expect(SizeClasses.classToPages.count == SizeClasses.count)
        #expect(SizeClasses.classToSize.last == 32768)
        for c in 2..<SizeClasses.count {
            #expect(SizeClasses.classToSize[c] > SizeClasses.classToSize[c - 1])
            #expect(SizeClasses.classToSize[c] % 8 == 0)
            let objects = SizeClasses.classToPages[c] * SizeClasses.pageSize / SizeClasses.classToSize[c]
            #expect(objects >= 1 && objects <= SizeClasses.maxObjectsPerSpan)
        }
    }

    @Test func sizeClassIsTheSmallestThatFits() {
        for size in 1...SizeClasses.maxSmallSize {
            let c = Int(SizeClasses.sizeClass(for: size))
            #expect(SizeClasses.classToSize[c] >= size)
            if SizeClasses.classToSize[c] < size || SizeClasses.classToSize[c - 1] >= size {
                Issue.record("size \(size) mapped to class \(c)")
                return
            }
        }
    }

    @Test func divMulGivesExactObjectIndices() {
        for c in 1..<SizeClasses.count {
            let size = SizeClasses.classToSize[c]
            let spanBytes = SizeClasses.classToPages[c] * SizeClasses.pageSize
            let mul = UInt64(SizeClasses.divMul(for: size))
            // Every byte offset inside the span, not just object starts.
            for off in stride(from: 0, to: spanBytes, by: 8) {
                let idx = Int((UInt64(off) * mul) >> 32)
                if idx != off / size {
                    Issue.record("class \(c) size \(size): offset \(off) -> \(idx), expected \(off / size)")
                    return
                }
            }
        }
    }
}
