// allocloop: gcbench's pause/alloc-loop written in Go, for side-by-side comparison only
// (TriColor does not build or need it). A complete binary tree of about 200,000 nodes
// (depth log2(200,001) = 17, as gcbench computes it) stays live in a global; one goroutine
// allocates one small object per iteration for 1.5 s and times the gap between
// consecutive iterations. Prints the same metrics gcbench reports for the workload.
//
//	go run Benchmarks/go/allocloop.go            # GOMAXPROCS from the environment
//	GOMAXPROCS=1 go run Benchmarks/go/allocloop.go
package main

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"time"
)

type node struct {
	left, right *node
	payload     [16]byte
}

type small struct {
	self    *small
	payload [8]byte
}

var root *node
var sink *small

func build(depth int) *node {
	n := &node{}
	if depth > 1 {
		n.left = build(depth - 1)
		n.right = build(depth - 1)
	}
	return n
}

func main() {
	depth := int(math.Log2(200_000 + 1))
	root = build(depth)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// Gaps as gcbench's OpLatency keeps them: 100 ns buckets under 10 us, longer ones
	// exactly (a pointer-free array and a short slice, so the heap stays the tree's).
	const seconds = 1.5
	var buckets [100]int
	var large []int64
	count := 0
	start := time.Now()
	deadline := start.Add(time.Duration(seconds * float64(time.Second)))
	last := start
	for last.Before(deadline) {
		o := &small{}
		o.self = o
		sink = o
		now := time.Now()
		g := int64(now.Sub(last))
		if g < 10_000 {
			buckets[g/100]++
		} else {
			large = append(large, g)
		}
		count++
		last = now
	}
	wall := time.Since(start)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	sort.Slice(large, func(i, j int) bool { return large[i] < large[j] })
	pct := func(q float64) float64 {
		rank := int(math.Ceil(q * float64(count)))
		seen := 0
		for i, c := range buckets {
			seen += c
			if seen >= rank {
				return float64(i+1) / 10
			}
		}
		return float64(large[rank-seen-1]) / 1e3
	}
	var stall int64
	over := 0
	for _, g := range large {
		if g > 1_000_000 {
			stall += g
			over++
		}
	}
	maxGap := 0.0
	if len(large) > 0 {
		maxGap = float64(large[len(large)-1]) / 1e3
	}
	maxPause := uint64(0)
	for i := before.NumGC; i < after.NumGC; i++ {
		if p := after.PauseNs[(i+255)%256]; p > maxPause {
			maxPause = p
		}
	}
	fmt.Printf("go %s alloc-loop GOMAXPROCS=%d: cycles %d, pause max %.1f us, op p99 %.2f us, op max %.0f us, "+
		"stall %.2f ms (%.2f%% of wall), gaps>1ms %d, ops %d, gc cpu %.1f%%\n",
		runtime.Version(), runtime.GOMAXPROCS(0), after.NumGC-before.NumGC, float64(maxPause)/1e3,
		pct(0.99), maxGap, float64(stall)/1e6, float64(stall)/float64(wall)*100,
		over, count, after.GCCPUFraction*100)
}
