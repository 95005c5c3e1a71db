package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
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
	if h2cServer != nil {
		p.reqs = h2cServer.Stats().Requests.Load()
	}
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
	reqs := int64(0)
	if h2cServer != nil {
		reqs = h2cServer.Stats().Requests.Load() - p.reqs
	}
	per := 0.0
	if reqs > 0 {
		per = float64(allocs) / float64(reqs)
	}
	fmt.Printf("stats: h2c requests %d, heap allocations %d, allocations/request %.4f\n", reqs, allocs, per)
}
