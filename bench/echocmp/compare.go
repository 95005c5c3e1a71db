package echocmp

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Options configure a comparison.
type Options struct {
	Conns  []int         // connection counts, default 50 and 500
	Sizes  []int         // message sizes in bytes, default 64 and 4096
	Rounds int           // alternating measurement rounds per case, default 5
	Window time.Duration // length of one measurement, default 1 s
	Loops  int           // event loops for ngloop and gnet, default 1
	Procs  int           // GOMAXPROCS of every server process, default 1; 0 keeps the default
	Warmup time.Duration // load before measuring each case, default 300 ms
}

func (o Options) withDefaults() Options {
	if len(o.Conns) == 0 {
		o.Conns = []int{50, 500}
	}
	if len(o.Sizes) == 0 {
		o.Sizes = []int{64, 4096}
	}
	if o.Rounds <= 0 {
		o.Rounds = 5
	}
	if o.Window <= 0 {
		o.Window = time.Second
	}
	if o.Loops <= 0 {
		o.Loops = 1
	}
	if o.Warmup <= 0 {
		o.Warmup = 300 * time.Millisecond
	}
	return o
}

// Result is the median over rounds for one implementation in one case.
type Result struct {
	Impl         string
	Conns, Size  int
	MsgsPerSec   float64
	CPUPerMsg    time.Duration // server user+system CPU per echoed message
	AllocsPerMsg float64       // server heap allocations per echoed message
}

// Compare starts one child per implementation (exe with args, which must
// end up in ServeChild) and measures every case, the implementations taking
// turns within each round (the order rotates per round so none always goes
// first). Progress goes to log.
func Compare(exe string, args []string, o Options, log io.Writer) ([]Result, error) {
	o = o.withDefaults()
	children := make([]*child, len(Impls))
	defer func() {
		for _, c := range children {
			if c != nil {
				c.stop()
			}
		}
	}()
	for i, impl := range Impls {
		c, err := startChild(exe, args, impl, o.Loops, o.Procs)
		if err != nil {
			return nil, err
		}
		children[i] = c
		if err := c.calibrate(); err != nil {
			return nil, err
		}
	}
	var results []Result
	for _, conns := range o.Conns {
		for _, size := range o.Sizes {
			rs, err := compareCase(children, conns, size, o, log)
			if err != nil {
				return nil, err
			}
			results = append(results, rs...)
		}
	}
	return results, nil
}

type sample struct {
	rate, cpu, allocs float64
}

func compareCase(children []*child, conns, size int, o Options, log io.Writer) ([]Result, error) {
	loads := make([]*load, len(children))
	defer func() {
		for _, l := range loads {
			if l != nil {
				l.close()
			}
		}
	}()
	for i, c := range children {
		l, err := newLoad(c.addr, conns, size)
		if err != nil {
			return nil, err
		}
		loads[i] = l
		l.run(o.Warmup)
	}
	samples := make([][]sample, len(children))
	for r := 0; r < o.Rounds; r++ {
		for k := range children {
			i := (k + r) % len(children)
			s0, err := children[i].stats()
			if err != nil {
				return nil, err
			}
			n, took := loads[i].run(o.Window)
			s1, err := children[i].stats()
			if err != nil {
				return nil, err
			}
			if e := loads[i].errs.Load(); e > 0 {
				return nil, fmt.Errorf("echocmp: %s: %d client errors, last: %v", Impls[i], e, loads[i].lastErr.Load())
			}
			if n == 0 {
				return nil, fmt.Errorf("echocmp: %s echoed nothing in %v", Impls[i], took)
			}
			// Take off what the stats request itself allocates
			// (measured once per child with no load).
			mallocs := float64(s1.mallocs-s0.mallocs) - float64(children[i].statsMallocs)
			samples[i] = append(samples[i], sample{
				rate:   float64(n) / took.Seconds(),
				cpu:    float64(s1.cpu-s0.cpu) / float64(n),
				allocs: max(mallocs, 0) / float64(n),
			})
			fmt.Fprintf(log, "  conns=%d size=%d round %d %-6s %9.0f msg/s %7.2f µs CPU/msg\n",
				conns, size, r+1, Impls[i], float64(n)/took.Seconds(), float64(s1.cpu-s0.cpu)/float64(n)/1e3)
		}
	}
	out := make([]Result, len(children))
	for i := range children {
		out[i] = Result{
			Impl: Impls[i], Conns: conns, Size: size,
			MsgsPerSec:   median(samples[i], func(s sample) float64 { return s.rate }),
			CPUPerMsg:    time.Duration(median(samples[i], func(s sample) float64 { return s.cpu })),
			AllocsPerMsg: median(samples[i], func(s sample) float64 { return s.allocs }),
		}
	}
	return out, nil
}

func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// WriteTable prints results as a table with ratios against bare gnet.
func WriteTable(w io.Writer, rs []Result) {
	fmt.Fprintf(w, "%-6s %5s %6s %12s %12s %10s %12s %12s\n",
		"conns", "size", "impl", "msgs/s", "CPU/msg", "allocs/msg", "msgs/s÷gnet", "CPU÷gnet")
	for i := 0; i < len(rs); i += len(Impls) {
		var base Result
		for _, r := range rs[i : i+len(Impls)] {
			if r.Impl == "gnet" {
				base = r
			}
		}
		for _, r := range rs[i : i+len(Impls)] {
			fmt.Fprintf(w, "%-6d %5d %6s %12.0f %12v %10.3f %12.3f %12.3f\n",
				r.Conns, r.Size, r.Impl, r.MsgsPerSec, r.CPUPerMsg.Round(10*time.Nanosecond), r.AllocsPerMsg,
				r.MsgsPerSec/base.MsgsPerSec, float64(r.CPUPerMsg)/float64(base.CPUPerMsg))
		}
	}
}
