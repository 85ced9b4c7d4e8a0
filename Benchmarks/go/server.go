// server: gcbench's net/server written in Go, for side-by-side comparison only (TriColor
// does not build or need it). The same request/response server on 127.0.0.1 as
// Benchmarks/GCBench/NetServer.swift: 8 client goroutines in the process send 64-byte
// requests one at a time; the server's goroutine per connection parses each into a
// Request with 3 Headers, finds the session in a session cache (a table of 1,024 chains
// of Sessions, each owning a 64-byte Data: the live set), counts the hit and replaces the
// Data, builds a Response of 32 Items and a 2,048-byte Body rendered from them, and writes
// the Body back. Runs alternate GC on (GOGC=100, or -gogc) and GC off
// (debug.SetGCPercent(-1)) so both see the same machine load; prints the request latency
// percentiles of each (median of -repeat runs) and the p99 ratio, the target.
//
//	GOMAXPROCS=1 go run Benchmarks/go/server.go -repeat 5
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"time"
	"unsafe"
)

const (
	clients      = 8
	buckets      = 1024
	requestBytes = 64
	bodyBytes    = 2048
)

type Data struct{ b [8]uint64 }
type Session struct {
	next     *Session
	data     *Data
	id, hits uint64
}
type Table struct{ b [buckets]*Session }
type Header struct {
	next *Header
	a, b uint64
}
type Request struct {
	headers *Header
	id, key uint64
}
type Item struct {
	next *Item
	f    [5]uint64
}
type Body struct{ b [bodyBytes / 8]uint64 }
type Response struct {
	items *Item
	body  *Body
}

var cache *Table

// sink keeps each connection's last request and response reachable, so that they are
// heap objects as on TriColor's heap (not stack-allocated by escape analysis).
var sink [clients]struct {
	rq   *Request
	resp *Response
}

func bucket(id uint64) int { return int((id * 0x9E3779B97F4A7C15) >> 54) }

func buildCache(n int) {
	cache = new(Table)
	for id := uint64(0); id < uint64(n); id++ {
		s := &Session{id: id, data: new(Data)}
		b := bucket(id)
		s.next = cache.b[b]
		cache.b[b] = s
	}
}

func le64(b []byte) uint64 { return *(*uint64)(unsafe.Pointer(&b[0])) }

func handle(k int, req []byte, reply []byte) {
	id, key := le64(req[0:]), le64(req[8:])
	rq := &Request{id: id, key: key}
	for h := 0; h < 3; h++ {
		rq.headers = &Header{next: rq.headers, a: le64(req[16+16*h:]), b: le64(req[24+16*h:])}
	}
	s := cache.b[bucket(id)]
	for s != nil && s.id != id {
		s = s.next
	}
	if s == nil {
		panic(fmt.Sprintf("session %d is not in the cache", id))
	}
	s.hits++
	d := new(Data)
	off := 0
	for hd := rq.headers; hd != nil; hd = hd.next {
		d.b[off], d.b[off+1] = hd.a, hd.b
		off += 2
	}
	s.data = d
	resp := &Response{}
	for i := 0; i < 32; i++ {
		it := &Item{next: resp.items}
		for f := 0; f < 5; f++ {
			it.f[f] = key + uint64(i)*s.hits + uint64(f)
		}
		resp.items = it
	}
	body := new(Body)
	resp.body = body
	body.b[0], body.b[1] = id, s.hits
	at := 2
	for it := resp.items; it != nil; it = it.next {
		for f := 0; f < 5 && at < len(body.b); f++ {
			body.b[at] = it.f[f]
			at++
		}
	}
	for w := range body.b {
		*(*uint64)(unsafe.Pointer(&reply[8*w])) = body.b[w]
	}
	sink[k].rq, sink[k].resp = rq, resp
}

// run serves `requests` requests over `sessions` sessions; returns the sorted latencies (ns).
func run(sessions, requests int) []int64 {
	buildCache(sessions)
	runtime.GC()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	var served sync.WaitGroup
	go func() {
		k := 0
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			served.Add(1)
			go func(k int) {
				defer served.Done()
				req, reply := make([]byte, requestBytes), make([]byte, bodyBytes)
				for {
					if _, err := io.ReadFull(c, req); err != nil {
						break
					}
					handle(k%clients, req, reply)
					if _, err := c.Write(reply); err != nil {
						break
					}
				}
				c.Close()
			}(k)
			k++
		}
	}()
	conns := make([]net.Conn, clients)
	for i := range conns {
		if conns[i], err = net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second); err != nil {
			panic(err)
		}
	}
	var mu sync.Mutex
	var all []int64
	var wg sync.WaitGroup
	for k := 0; k < clients; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			c := conns[k]
			rng := uint64(k + 1)
			next := func() uint64 { // SplitMix64, as gcbench's
				rng += 0x9E3779B97F4A7C15
				z := rng
				z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
				z = (z ^ (z >> 27)) * 0x94D049BB133111EB
				return z ^ (z >> 31)
			}
			req, reply := make([]byte, requestBytes), make([]byte, bodyBytes)
			for i := range req {
				req[i] = byte(0x41 + i)
			}
			per := sessions / clients
			mine := make([]int64, 0, requests/clients)
			for i := 0; i < requests/clients; i++ {
				id := uint64(k + clients*int(next()%uint64(per)))
				*(*uint64)(unsafe.Pointer(&req[0])) = id
				*(*uint64)(unsafe.Pointer(&req[8])) = next()
				t0 := time.Now()
				if _, err := c.Write(req); err != nil {
					panic(err)
				}
				if _, err := io.ReadFull(c, reply); err != nil {
					panic(err)
				}
				mine = append(mine, int64(time.Since(t0)))
				if le64(reply) != id {
					panic("reply for another session")
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}(k)
	}
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
	ln.Close()
	served.Wait()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return all
}

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
	sessions := flag.Int("sessions", 20000, "sessions in the cache (the live set)")
	requests := flag.Int("requests", 4000, "requests per run, over all clients")
	repeat := flag.Int("repeat", 3, "timed runs per setting (after one warm-up each)")
	gogc := flag.Int("gogc", 100, "GOGC of the GC-on runs")
	flag.Parse()
	if *sessions < clients || *requests < clients || *repeat < 1 || *gogc < 1 {
		fmt.Fprintln(os.Stderr, "usage: server [-sessions n] [-requests n] [-repeat runs] [-gogc percent]")
		os.Exit(2)
	}
	type stats struct{ p50, p99, p999, cycles []float64 }
	var on, off stats
	for i := -1; i < *repeat; i++ { // i = -1: warm-up of both settings
		for _, gc := range []bool{true, false} {
			if gc {
				debug.SetGCPercent(*gogc)
			} else {
				debug.SetGCPercent(-1)
			}
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			lat := run(*sessions, *requests)
			runtime.ReadMemStats(&ms1)
			if i < 0 {
				continue
			}
			s := &off
			if gc {
				s = &on
			}
			s.p50 = append(s.p50, pct(lat, 0.50))
			s.p99 = append(s.p99, pct(lat, 0.99))
			s.p999 = append(s.p999, pct(lat, 0.999))
			s.cycles = append(s.cycles, float64(ms1.NumGC-ms0.NumGC))
		}
		debug.SetGCPercent(*gogc)
		runtime.GC()
	}
	for _, r := range []struct {
		name string
		s    stats
	}{{fmt.Sprintf("GOGC=%d", *gogc), on}, {"GOGC=off", off}} {
		fmt.Printf("go %s server GOMAXPROCS=%d %s: req_p50_us %.0f, req_p99_us %.0f, req_p999_us %.0f, cycles %.0f (median of %d)\n",
			runtime.Version(), runtime.GOMAXPROCS(0), r.name, median(r.s.p50), median(r.s.p99), median(r.s.p999), median(r.s.cycles), *repeat)
	}
	fmt.Printf("go server GOMAXPROCS=%d: request p99 GC on / GC off = %.2fx\n", runtime.GOMAXPROCS(0), median(on.p99)/median(off.p99))
}
