package main

import (
	"flag"
	"fmt"
	"runtime"
)

var statsFlag = flag.Bool("stats", false, "print heap allocations per h2c request when stopping")

// allocProbe measures heap allocations between start and report with
// runtime.MemStats (Mallocs counts every heap object allocated, from any
// goroutine of the process).
type allocProbe struct {
	mallocs uint64
	reqs    int64
}

func (p *allocProbe) start() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.mallocs = ms.Mallocs
	if h2cServer != nil {
		p.reqs = h2cServer.Stats().Requests.Load()
	}
}

func (p *allocProbe) report() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
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
