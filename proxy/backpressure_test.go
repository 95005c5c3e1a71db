package proxy

import (
	"strconv"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// TestProxySlowReaderBoundedMemory: a client that reads nothing while
// fetching a 64 MiB body (with flow-control windows opened wide, so only
// TCP and the proxy's own credit hold the backend back) keeps the
// process's heap growth under 4 MiB — proxy and backend included — and a
// second client on the same loop is served meanwhile.
func TestProxySlowReaderBoundedMemory(t *testing.T) {
	be := startBackend(t, nil, "")
	tp := startProxy(t, Options{Backends: []string{be.addr}}, 1)
	cl := h2cClient()
	// Warm up pools and connections with the same path.
	const warm = 4 << 20
	if resp, body := get(t, cl, tp.url("/bytes/"+strconv.Itoa(warm))); resp.StatusCode != 200 || len(body) != warm {
		t.Fatalf("warm-up: %d, %d octets", resp.StatusCode, len(body))
	}
	base := heapInUse()

	const n = 64 << 20
	r := dialRaw(t, tp.addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1<<31 - 1})
	r.fr.WriteWindowUpdate(0, 1<<31-1-65535)
	r.get(1, "/bytes/"+strconv.Itoa(n))
	// The raw client now reads nothing. Give the transfer time to fill
	// every buffer on the way and stall.
	time.Sleep(300 * time.Millisecond)

	// Another client on the same proxy loop is served in full.
	const other = 8 << 20
	if resp, body := get(t, cl, tp.url("/bytes/"+strconv.Itoa(other))); resp.StatusCode != 200 || len(body) != other {
		t.Fatalf("second client: %d, %d octets, want 200 and %d", resp.StatusCode, len(body), other)
	}
	time.Sleep(100 * time.Millisecond)
	grown := int64(heapInUse()) - int64(base)
	t.Logf("heap growth with a stalled 64 MiB response: %d KiB", grown>>10)
	if grown > 4<<20 {
		t.Fatalf("heap grew by %d KiB while a client read nothing, want under 4 MiB", grown>>10)
	}
	// The stalled stream is alive, not dropped: reading resumes it.
	got := 0
	r.nc.SetDeadline(time.Now().Add(20 * time.Second))
	for got < n {
		f := r.next()
		if f == nil {
			t.Fatalf("connection ended after %d of %d octets", got, n)
		}
		if d, ok := f.(*http2.DataFrame); ok {
			got += len(d.Data())
		}
	}
}
