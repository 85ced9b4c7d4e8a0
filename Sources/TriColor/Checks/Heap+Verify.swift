// Whole-heap consistency check.
//
// `verify()` walks every span and checks the invariants the allocator and
// sweeper rely on. It is O(heap) and requires the world stopped; tests call it
// after every interesting step; a program on a bare Heap can call it between
// collections.

extension Heap {
    /// Checks the heap's structural invariants:
    ///  - spans tile the used part of the arena; page counts match the counters;
    ///    no two free runs are adjacent (coalescing);
    ///  - every in-use span is on exactly one central list of its class or in
    ///    exactly one registered AllocCache, never in the middle of a sweep;
    ///  - for a span not cached: allocCount matches its allocation bits, a
    ///    swept span sits on the swept list matching its occupancy, an
    ///    unswept one on an unswept list;
    ///  - every allocated object has a registered type of this span's class
    ///    whose pointer count matches its header; no grey bit is set.
    ///
    /// - Precondition: the world is stopped (no allocation or sweeping in flight).
    /// - Returns: one message per violation; empty if the heap is consistent.
    /// - Complexity: O(pages + objects).
    public func verify() -> [String] {
        var problems: [String] = []
        let sg = sweepgen.load(ordering: .acquiring)

        // Where each span is: list (swept?) or cache.
        var listed: [HeapSpanPointer: (sweptList: Bool, count: Int)] = [:]
        for c in centrals {
            c.forEachSpan(sweepgen: sg) { s, swept in
                listed[s, default: (swept, 0)].count += 1
                if Int(s.pointee.sizeClass) != c.sizeClass {
                    problems.append("span at page \(s.pointee.startPage) of class \(s.pointee.sizeClass) on central list \(c.sizeClass)")
                }
            }
        }
        var cached: [HeapSpanPointer: Int] = [:]
        for cache in cachesLock.withLock({ caches }) {
            for cls in 1..<SizeClasses.count where cache.spans[cls] != emptySpan {
                let s = cache.spans[cls]
                cached[s, default: 0] += 1
                if Int(s.pointee.sizeClass) != cls {
                    problems.append("cache slot \(cls) holds a span of class \(s.pointee.sizeClass)")
                }
            }
        }

        var inUsePages = 0, freePages = 0, inUseSpans = 0
        var previousFree = false
        let tiling = pageHeap.forEachSpan { s in
            let where_ = "span at page \(s.pointee.startPage)"
            switch s.pointee.state {
            case .free:
                if previousFree { problems.append("\(where_): adjacent free runs were not coalesced") }
                freePages += s.pointee.pageCount
                previousFree = true
                return
            case .dead:
                problems.append("\(where_): dead descriptor mapped")
                return
            case .inUse:
                previousFree = false
            }
            inUseSpans += 1
            inUsePages += s.pointee.pageCount
            for p in s.pointee.startPage..<(s.pointee.startPage + s.pointee.pageCount) where spanMap[p] != s {
                problems.append("\(where_): page \(p) not mapped to its span")
                break
            }
            let ssg = s.pointee.sweepgen.load(ordering: .acquiring)
            let l = listed[s], c = cached[s] ?? 0
            let placements = (l?.count ?? 0) + c
            if placements != 1 {
                problems.append("\(where_): on \(l?.count ?? 0) central lists and in \(c) caches (expected exactly one)")
            }
            if c == 1 {
                if ssg != sg &+ 3 && ssg != sg &+ 1 {
                    problems.append("\(where_): cached with sweepgen \(ssg), heap \(sg)")
                }
                return
            }
            if ssg == sg {
                if l?.sweptList == false { problems.append("\(where_): swept span on an unswept list") }
            } else if ssg == sg &- 2 {
                if l?.sweptList == true { problems.append("\(where_): unswept span on a swept list") }
            } else {
                problems.append("\(where_): sweepgen \(ssg) with heap \(sg) (being swept or corrupt)")
                return
            }
            verifyObjects(s, swept: ssg == sg, into: &problems)
        }
        if let t = tiling { problems.append("page tiling: \(t)") }
        let counted = pageHeap.pagesInUse.load(ordering: .relaxed)
        if counted != inUsePages { problems.append("pagesInUse is \(counted) but spans cover \(inUsePages)") }
        let freeCounted = pageHeap.lock.withLock { pageHeap.pagesFree }
        if freeCounted != freePages { problems.append("pagesFree is \(freeCounted) but free runs cover \(freePages)") }
        let listedCount = listed.values.reduce(0) { $0 + $1.count }
        if listedCount + cached.count != inUseSpans {
            problems.append("\(listedCount) listed + \(cached.count) cached spans, but \(inUseSpans) in use")
        }
        return problems
    }

    /// Per-span object checks for a span that is not cached.
    private func verifyObjects(_ s: HeapSpanPointer, swept: Bool, into problems: inout [String]) {
        let where_ = "span at page \(s.pointee.startPage) (class \(s.pointee.sizeClass))"
        var allocated = 0
        for i in 0..<s.pointee.nelems {
            if s.pointee.isGrey(i) { problems.append("\(where_): slot \(i) is grey outside a mark") }
            if s.pointee.isFree(i) { continue }
            allocated += 1
            let ref = Ref(offset: s.pointee.base + UInt64(i) * s.pointee.elemSize)
            let word = header(ref)
            let id = ObjectHeader.typeID(word)
            if ObjectHeader.isFreed(word) || !types.isValid(id) {
                problems.append("\(where_): allocated slot \(i) has bad header 0x\(String(word, radix: 16))")
                continue
            }
            let d = typeDescriptors[Int(id)]
            let t = d.isArray ? d.withLength(ObjectHeader.pointerFields(word)) : d
            if t.sizeClass != s.pointee.sizeClass || ObjectHeader.pointerFields(word) != t.pointerFields {
                problems.append("\(where_): object \(ref) of type \(types.name(of: id)) does not fit its span or header")
            }
        }
        if allocated != s.pointee.allocCount {
            problems.append("\(where_): allocCount \(s.pointee.allocCount) but \(allocated) slots allocated")
        }
        if swept, let list = s.pointee.onList as Int?, list != 0 {
            let full = s.pointee.allocCount == s.pointee.nelems
            let c = centrals[Int(s.pointee.sizeClass)]
            let i = CentralList.sweptIndex(sweepgen.load(ordering: .relaxed))
            let expected = c.lock.withLock { full ? c.full[i].id : c.partial[i].id }
            if list != expected {
                problems.append("\(where_): on the wrong swept list (full: \(full))")
            }
        }
    }
}
