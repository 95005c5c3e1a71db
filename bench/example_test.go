package bench_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/ngloop/ngloop/bench"
)

// echo serves a plain TCP echo on a loopback port for the examples.
func echo() (addr string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						c.Write(buf[:n])
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() { ln.Close() }
}

func ExampleRun() {
	addr, stop := echo()
	defer stop()
	rep, err := bench.Run(context.Background(), bench.Config{
		Target:           addr,
		Mode:             bench.ModeTCPEcho,
		Requests:         1000, // -n
		Clients:          4,    // -c
		StreamsPerClient: 8,    // -m
		RequestTimeout:   5 * time.Second,
	})
	if err != nil {
		panic(err)
	}
	q := rep.Requests
	fmt.Printf("%d started, %d succeeded, %d failed\n", q.Started, q.Succeeded, q.Failed)
	fmt.Println("latency samples:", rep.RequestTime.Count())
	// Output:
	// 1000 started, 1000 succeeded, 0 failed
	// latency samples: 1000
}

func ExampleReport_Merge() {
	addr, stop := echo()
	defer stop()
	cfg := bench.Config{Target: addr, Mode: bench.ModeTCPEcho, Requests: 300, Clients: 3}
	a, _ := bench.Run(context.Background(), cfg) // machine A
	cfg.Requests = 200
	b, _ := bench.Run(context.Background(), cfg) // machine B
	if err := a.Merge(b); err != nil {
		panic(err)
	}
	fmt.Println(a.Runs, "runs,", a.Requests.Succeeded, "responses,", a.RequestTime.Count(), "samples")
	// Output: 2 runs, 500 responses, 500 samples
}
