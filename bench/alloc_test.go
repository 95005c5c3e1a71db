package bench

import (
	"context"
	"runtime"
	"testing"
	"time"
)

func TestEchoClientAllocatesNothingPerRequest(t *testing.T) {
	rec := newRecorder(time.Now(), &timeline{max: DefaultTimelineSeconds})
	msg := echoPattern(64)
	ec := newEchoClient(rec, msg, 4, -1)
	allocs := testing.AllocsPerRun(1000, func() {
		now := time.Now()
		ec.issue(now)
		if err := ec.recv(now, msg[:10]); err != nil {
			t.Fatal(err)
		}
		if err := ec.recv(now, msg[10:]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("an echo request/response allocates %v times, want 0", allocs)
	}
}

// TestRunTCPEchoSteadyStateAllocations counts the heap allocations of a
// whole run through the engine: setup costs a fixed amount (engines,
// histograms, goroutines); what grows with the number of requests is the
// per-request cost, which must be zero.
func TestRunTCPEchoSteadyStateAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; run without -race")
	}
	addr := startServer(t, echoHandler)
	mallocs := func(n int64) uint64 {
		var a, b runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&a)
		runOrFatal(t, context.Background(), Config{
			Target: addr, Mode: ModeTCPEcho, Requests: n, Clients: 2, StreamsPerClient: 8,
		})
		runtime.ReadMemStats(&b)
		return b.Mallocs - a.Mallocs
	}
	mallocs(1000) // warm up pools and lazily built state
	small, large := mallocs(2000), mallocs(42000)
	perReq := (float64(large) - float64(small)) / 40000
	t.Logf("allocations: %d for 2,000 requests, %d for 42,000: %.4f per request", small, large, perReq)
	if perReq > 0.01 {
		t.Errorf("steady state allocates %.4f times per request, want 0", perReq)
	}
}
