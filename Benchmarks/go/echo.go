// echo: gcbench's net/echo-cC written in Go, for side-by-side comparison only (TriColor
// does not build or need it). An echo server on 127.0.0.1 (a goroutine per connection,
// 4096-byte reads written back) and C client goroutines in the same process, each holding
// one connection and sending 64-byte messages one at a time, timing each round trip
// (write, then read until 64 bytes are back). Prints the metrics gcbench reports:
// round trips per second over all clients and the RTT percentiles, the median of
// `-repeat` timed runs after one warm-up run, as gcbench measures.
//
//	go run Benchmarks/go/echo.go -c 100                 # GOMAXPROCS from the environment
//	GOMAXPROCS=1 go run Benchmarks/go/echo.go -c 1 -n 200000
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

func serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			c.Close()
		}()
	}
}

// run does one timed run: conns clients, roundTrips each; returns round trips/s and the
// sorted RTTs in ns.
func run(conns, roundTrips int) (float64, []int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go serve(ln)
	clients := make([]net.Conn, conns)
	for i := range clients {
		if clients[i], err = net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second); err != nil {
			panic(err)
		}
	}
	var mu sync.Mutex
	var all []int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			msg := make([]byte, 64)
			for i := range msg {
				msg[i] = 'a'
			}
			buf := make([]byte, 64)
			mine := make([]int64, 0, roundTrips)
			for i := 0; i < roundTrips; i++ {
				s := time.Now()
				if _, err := c.Write(msg); err != nil {
					panic(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					panic(err)
				}
				mine = append(mine, int64(time.Since(s)))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(t0)
	for _, c := range clients {
		c.Close()
	}
	ln.Close()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return float64(conns*roundTrips) / elapsed.Seconds(), all
}

// pct is the nearest-rank percentile of sorted values, in microseconds.
func pct(sorted []int64, q float64) float64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return float64(sorted[rank-1]) / 1e3
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func main() {
	conns := flag.Int("c", 100, "connections (client goroutines)")
	total := flag.Int("n", 200000, "round trips per run, over all clients")
	repeat := flag.Int("repeat", 3, "timed runs (after one warm-up)")
	flag.Parse()
	if *conns < 1 || *total < 1 || *repeat < 1 {
		fmt.Fprintln(os.Stderr, "usage: echo [-c connections] [-n round trips] [-repeat runs] (all >= 1)")
		os.Exit(2)
	}
	per := *total / *conns
	if per < 1 {
		per = 1
	}
	run(*conns, per)
	var rps, p50, p99, p999 []float64
	for i := 0; i < *repeat; i++ {
		r, lat := run(*conns, per)
		rps = append(rps, r)
		p50 = append(p50, pct(lat, 0.50))
		p99 = append(p99, pct(lat, 0.99))
		p999 = append(p999, pct(lat, 0.999))
	}
	fmt.Printf("go %s echo-c%d GOMAXPROCS=%d: roundtrips_per_s %.0f, rtt_p50_us %.1f, rtt_p99_us %.1f, rtt_p999_us %.1f (median of %d)\n",
		runtime.Version(), *conns, runtime.GOMAXPROCS(0), median(rps), median(p50), median(p99), median(p999), *repeat)
}
