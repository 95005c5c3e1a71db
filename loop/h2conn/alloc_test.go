package h2conn

import (
	"testing"
	"time"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// driver keeps conc requests in flight on one ClientConn until n are
// done, from the loop itself: each response's end submits the next
// request, so a run costs one Execute to start it.
type driver struct {
	cc       *ClientConn
	req      Request
	left     int
	inflight int
	failed   int
	done     chan struct{}
	h        ResponseHandler
}

func (d *driver) OnResponse(cs *ClientStream) {
	if cs.Status() != 200 {
		d.failed++
	}
}
func (d *driver) OnData(*ClientStream, []byte) {}
func (d *driver) OnClose(cs *ClientStream, code h2.ErrorCode) {
	d.inflight--
	if code != h2.NoError {
		d.failed++
	}
	if d.left > 0 {
		d.submitTo(d.self())
		return
	}
	if d.inflight == 0 {
		d.done <- struct{}{}
	}
}

// self is the ResponseHandler requests are submitted with: d, or the
// value embedding it.
func (d *driver) self() ResponseHandler {
	if d.h != nil {
		return d.h
	}
	return d
}

func (d *driver) submitTo(h ResponseHandler) {
	d.h = h
	d.left--
	d.inflight++
	if _, err := d.cc.Request(&d.req, h, nil); err != nil {
		d.inflight--
		d.failed++
	}
}

// run does n requests, conc at a time, and waits for them.
func (d *driver) run(n, conc int) {
	d.cc.Execute(func(*ClientConn) {
		d.left = n
		for i := 0; i < conc && d.left > 0; i++ {
			d.submitTo(d)
		}
	})
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		panic("driver: requests did not complete")
	}
}

// newDriver runs the Echo server and the package's client on one
// single-loop engine.
func newDriver(t testing.TB) *driver {
	ts := startServer(t, &Echo{MaxBytes: 1 << 20}, nil, loop.Options{Loops: 1})
	cc, _ := dialClient(t, ts.e, ts.addr)
	return &driver{cc: cc, done: make(chan struct{}, 1)}
}

// TestSteadyStateAllocations: once connections are warm, a request and
// its response, server and client side, allocate nothing: a small GET, a
// streamed echo of a body with response trailers, and a 100 kB download
// streamed through the stream's buffer and OnWritable. Each measured
// run does 1000 requests 10 at a time; what it allocates is the one
// Execute that starts it (a closure and gnet's task), so the budget is
// well under one allocation per 100 requests.
func TestSteadyStateAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	body := make([]byte, 3000)
	for _, c := range []struct {
		name string
		req  Request
	}{
		{"GET /", Request{}},
		{"POST /echo with trailers", Request{Method: []byte("POST"), Path: []byte("/echo"), Body: body,
			Header: []h2.NV{{Name: []byte("te"), Value: []byte("trailers")}}}},
		{"GET /bytes/100000", Request{Path: []byte("/bytes/100000")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newDriver(t)
			d.req = c.req
			d.run(2000, 10) // warm up pools, tables and buffers
			const perRun = 1000
			allocs := testing.AllocsPerRun(10, func() { d.run(perRun, 10) })
			if d.failed != 0 {
				t.Fatalf("%d requests failed", d.failed)
			}
			if allocs > 10 {
				t.Fatalf("%.1f allocations per %d requests (%.4f per request), want at most 10 (the Execute that starts a run)",
					allocs, perRun, allocs/perRun)
			}
			t.Logf("%.1f allocations per %d requests", allocs, perRun)
		})
	}
}

// BenchmarkGetRoundTrip measures a GET / request and response through
// the package's client and server on one loop (allocations per request).
func BenchmarkGetRoundTrip(b *testing.B) {
	d := newDriver(b)
	d.run(2000, 10)
	b.ReportAllocs()
	b.ResetTimer()
	d.run(b.N, 10)
	if d.failed != 0 {
		b.Fatalf("%d requests failed", d.failed)
	}
}
