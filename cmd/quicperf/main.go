// Command quicperf measures bulk QUIC throughput over loopback: one
// connection, one stream, -size bytes from server to client, with the
// server and the client in this process. It runs the implementations
// alternately, -rounds times each, and prints MB/s and the CPU seconds
// the process used per GB (server and client together):
//
//	go run ./cmd/quicperf -size 1G -rounds 3
//	go run ./cmd/quicperf -size 256M -impl ngloop,quicgo -cc cubic
//
// ngloop is loop/quicconn (the engine's UDP reactor with recvmmsg,
// sendmmsg and pacing) on both ends; quicgo is github.com/quic-go/quic-go
// v0.59.0 on both ends, reading the raw stream. ngtcp2 runs Debian's
// gtlsserver/gtlsclient examples (apt-get install ngtcp2-server
// ngtcp2-client) fetching a file of -size bytes over HTTP/3, when they
// are installed; its CPU figure is the two processes'.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type result struct {
	impl  string
	bytes int64
	wall  time.Duration
	cpu   time.Duration
	note  string
}

func (r result) mbps() float64 { return float64(r.bytes) / 1e6 / r.wall.Seconds() }

// cpuPerGB is CPU seconds per 1e9 bytes.
func (r result) cpuPerGB() float64 { return r.cpu.Seconds() / (float64(r.bytes) / 1e9) }

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

// selfCPU is the CPU time (user+system) this process used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	sizeFlag := flag.String("size", "1G", "bytes to transfer per run (suffix K, M, G)")
	rounds := flag.Int("rounds", 3, "runs per implementation, alternating")
	impls := flag.String("impl", "ngloop,quicgo,ngtcp2", "implementations to run")
	cc := flag.String("cc", "cubic", "ngloop congestion controller: newreno or cubic")
	burst := flag.Int("pacing-burst", 0, "ngloop pacing burst in datagrams (0: default 10, -1: no pacing)")
	noECN := flag.Bool("no-ecn", false, "ngloop: do not mark ECT(0)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "quicperf:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	size, err := parseSize(*sizeFlag)
	if err != nil || size <= 0 {
		fmt.Fprintln(os.Stderr, "quicperf: bad -size")
		return
	}
	runners := map[string]func(int64) (result, error){
		"ngloop": func(n int64) (result, error) { return runNgloop(n, ngloopSettings(*cc, *burst, *noECN)) },
		"quicgo": runQuicGo,
		"ngtcp2": runNgtcp2,
	}
	var order []string
	for _, name := range strings.Split(*impls, ",") {
		if _, ok := runners[name]; !ok {
			fmt.Fprintf(os.Stderr, "quicperf: unknown implementation %q\n", name)
			os.Exit(2)
		}
		order = append(order, name)
	}
	all := map[string][]result{}
	skipped := map[string]error{}
	for round := 0; round < *rounds; round++ {
		for _, name := range order {
			if skipped[name] != nil {
				continue
			}
			r, err := runners[name](size)
			if err != nil {
				fmt.Printf("%-7s round %d: %v\n", name, round+1, err)
				skipped[name] = err
				continue
			}
			fmt.Printf("%-7s round %d: %8.1f MB/s  %6.2f CPU s/GB  (%d bytes in %v) %s\n",
				name, round+1, r.mbps(), r.cpuPerGB(), r.bytes, r.wall.Round(time.Millisecond), r.note)
			all[name] = append(all[name], r)
		}
	}
	fmt.Printf("\nmedian of %d rounds, %d bytes each:\n%-7s %10s %12s\n", *rounds, size, "impl", "MB/s", "CPU s/GB")
	for _, name := range order {
		rs := all[name]
		if len(rs) == 0 {
			fmt.Printf("%-7s %10s %12s  (%v)\n", name, "-", "-", skipped[name])
			continue
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].mbps() < rs[j].mbps() })
		m := rs[len(rs)/2]
		fmt.Printf("%-7s %10.1f %12.2f\n", name, m.mbps(), m.cpuPerGB())
	}
}
