package proxy

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestInteropH2loadProxyAllocs drives the proxy (and two in-process echo
// backends, which allocate nothing per request) with h2load and counts
// the process's heap allocations per request in steady state. After a
// warm-up run the relay itself allocates nothing; what is left is one
// allocation per poll batch, inside gnet's EventLoop.Execute, which posts
// the batch's deferred flush (worker.flushSoon), so well under one per
// request.
func TestInteropH2loadProxyAllocs(t *testing.T) {
	h2load, err := exec.LookPath("h2load")
	if err != nil {
		t.Skip("h2load not installed (Debian nghttp2-client)")
	}
	a, b := twoBackends(t)
	tp := startProxy(t, Options{Backends: []string{a.addr, b.addr}, HealthInterval: -1}, 1)
	run := func(n string) {
		out, err := exec.Command(h2load, "-n", n, "-c", "10", "-m", "10", "-t", "1", tp.url("/")).CombinedOutput()
		if err != nil || !strings.Contains(string(out), n+" succeeded") {
			t.Fatalf("h2load: %v\n%s", err, out)
		}
	}
	run("20000") // warm up: pools, rings, HPACK tables, connections
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 50000
	run("50000")
	runtime.ReadMemStats(&after)
	per := float64(after.Mallocs-before.Mallocs) / n
	t.Logf("%.3f heap allocations per proxied request", per)
	if per > 0.25 {
		t.Errorf("%.3f allocations per proxied request in steady state, want at most one per poll batch (well under 0.25)", per)
	}
}
