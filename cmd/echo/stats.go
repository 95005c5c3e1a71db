package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/ngloop/ngloop/loop/h2conn"
)

var (
	statsFlag   = flag.Bool("stats", false, "print heap allocations per h2c request when stopping")
	cpuProfile  = flag.String("cpuprofile", "", "write a CPU profile to this file until stopped")
	heapProfile = flag.String("memprofile", "", "write an allocation profile to this file when stopped")
)

// allocProbe measures heap allocations between start and report with
// runtime.MemStats (Mallocs counts every heap object allocated, from any
// goroutine of the process).
type allocProbe struct {
	mallocs uint64
	reqs    int64
}

func (p *allocProbe) start() {
	if *cpuProfile != "" {
		if f, err := os.Create(*cpuProfile); err == nil {
			_ = pprof.StartCPUProfile(f)
		}
	}
	if *heapProfile != "" {
		runtime.MemProfileRate = 1
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.mallocs = ms.Mallocs
	p.reqs = h2Requests()
}

func (p *allocProbe) report() {
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if *heapProfile != "" {
		if f, err := os.Create(*heapProfile); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if !*statsFlag {
		return
	}
	allocs := ms.Mallocs - p.mallocs
	reqs := h2Requests() - p.reqs
	per := 0.0
	if reqs > 0 {
		per = float64(allocs) / float64(reqs)
	}
	fmt.Printf("stats: h2 requests (h2c and h2tls) %d, heap allocations %d, allocations/request %.4f\n", reqs, allocs, per)
}

// h2Requests counts the requests of the h2c and h2tls servers.
func h2Requests() int64 {
	n := int64(0)
	for _, srv := range []*h2conn.Server{h2cServer, h2tlsServer} {
		if srv != nil {
			n += srv.Stats().Requests.Load()
		}
	}
	return n
}
