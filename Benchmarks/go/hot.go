// The Go side of gcbench's `hot` suite: the same scheduler round trips as gcbench's
// yield-pingpong, chan-pingpong and spawn workloads, timed the same way (one run, wall
// time over the operation count). Data for the comparison, not part of the Swift build:
// gcbench's hot suite builds it with `go build` when `go` is on PATH and runs it with
// GOMAXPROCS set to the suite's procs. Prints one "name ns_per_op" line per measure.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// Two goroutines alternately yielding; one round trip = each yields once.
func yieldPingPong(n int) float64 {
	var wg sync.WaitGroup
	wg.Add(2)
	t0 := time.Now()
	for k := 0; k < 2; k++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

// Two goroutines bouncing a value over two unbuffered channels.
func chanPingPong(n int) float64 {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	t0 := time.Now()
	x := 0
	for i := 0; i < n; i++ {
		ping <- x
		x = <-pong
	}
	d := time.Since(t0)
	close(ping)
	if x != n {
		panic("chan-pingpong lost a message")
	}
	return float64(d.Nanoseconds()) / float64(n)
}

// Create, run and exit n goroutines, at most inFlight alive at once.
func spawn(n, inFlight int) float64 {
	t0 := time.Now()
	for left := n; left > 0; {
		k := inFlight
		if left < k {
			k = left
		}
		var wg sync.WaitGroup
		wg.Add(k)
		for i := 0; i < k; i++ {
			go func() { wg.Done() }()
		}
		wg.Wait()
		left -= k
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

func main() {
	scale := 1
	if len(os.Args) > 1 {
		if s, err := strconv.Atoi(os.Args[1]); err == nil && s > 0 {
			scale = s
		}
	}
	// One untimed warm-up of each, as gcbench's sched suite does.
	yieldPingPong(10000)
	chanPingPong(10000)
	spawn(10000, 1000)
	fmt.Printf("yield_ns %.1f\n", yieldPingPong(100000*scale))
	fmt.Printf("chan_ns %.1f\n", chanPingPong(50000*scale))
	fmt.Printf("spawn_ns %.1f\n", spawn(50000*scale, 1000))
}
