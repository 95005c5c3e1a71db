package proxy

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/ngloop/ngloop/loop/h2conn"
)

// TestProxyBackendGoawayDrains: a backend that shuts down gracefully
// (GOAWAY) finishes the response in flight through the proxy, and the
// requests after it go to the other backend without an error.
func TestProxyBackendGoawayDrains(t *testing.T) {
	a, b := twoBackends(t)
	tp := startProxy(t, Options{Backends: []string{a.addr, b.addr}, HealthInterval: -1}, 1)
	cl := h2cClient()
	// Warm both pools so the big response below is on a known backend.
	for i := 0; i < 4; i++ {
		get(t, cl, tp.url("/"))
	}
	const n = 16 << 20
	var resp *http.Response
	var err error
	var first *testBackend
	for {
		before := a.requests()
		resp, err = cl.Get(tp.url("/bytes/" + strconv.Itoa(n)))
		if err != nil {
			t.Fatal(err)
		}
		if a.requests() > before {
			first = a
			break
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Read a little, then stop that backend gracefully while the rest
	// of the body is still to come.
	head := make([]byte, 1<<16)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	go func() { first.stop(10 * time.Second); close(stopped) }()
	rest, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || len(head)+len(rest) != n {
		t.Fatalf("response in flight during the backend's GOAWAY: %d of %d octets, err %v", len(head)+len(rest), n, err)
	}
	<-stopped
	before := b.requests()
	for i := 0; i < 20; i++ {
		if resp, _ := get(t, cl, tp.url("/")); resp.StatusCode != 200 {
			t.Fatalf("request %d after the backend left: status %d, want 200 from the other backend", i, resp.StatusCode)
		}
	}
	if got := b.requests() - before; got != 20 {
		t.Errorf("the remaining backend served %d of 20 requests", got)
	}
}

// TestProxyBackendKilledMidRequest: a backend whose connections drop
// while a request waits for its answer turns it into 502, is taken out
// of rotation, and a health check brings it back once it listens again.
func TestProxyBackendKilledMidRequest(t *testing.T) {
	hold := &holdHandler{held: make(chan *h2conn.Stream, 8)}
	a := startBackend(t, hold, "")
	b := startBackend(t, nil, "")
	tp := startProxy(t, Options{Backends: []string{a.addr, b.addr}, HealthInterval: 50 * time.Millisecond}, 1)
	cl := h2cClient()
	// Requests alternate; one of the first two is held by a.
	type result struct {
		code int
		err  error
	}
	results := make(chan result, 2)
	for i := 0; i < 2; i++ {
		go func() {
			resp, err := cl.Get(tp.url("/"))
			if err != nil {
				results <- result{err: err}
				return
			}
			resp.Body.Close()
			results <- result{code: resp.StatusCode}
		}()
	}
	select {
	case <-hold.held:
	case <-time.After(10 * time.Second):
		t.Fatal("no request reached the holding backend")
	}
	if r := <-results; r.code != 200 {
		t.Fatalf("the request on the healthy backend got %d %v", r.code, r.err)
	}
	a.stop(0) // connections close at once
	if r := <-results; r.code != 502 {
		t.Fatalf("the request in flight on the killed backend got %d %v, want 502", r.code, r.err)
	}
	if tp.px.BackendUp(0) {
		t.Fatal("the killed backend is still in rotation")
	}
	before := b.requests()
	for i := 0; i < 10; i++ {
		if resp, _ := get(t, cl, tp.url("/")); resp.StatusCode != 200 {
			t.Fatalf("request %d after the kill: %d, want 200 from the other backend", i, resp.StatusCode)
		}
	}
	if got := b.requests() - before; got != 10 {
		t.Fatalf("the healthy backend served %d of 10 requests after the kill", got)
	}
	// The backend comes back on the same address; a health check finds it.
	a2 := startBackend(t, nil, a.addr)
	waitFor(t, "health check brings the backend back", func() bool { return tp.px.BackendUp(0) })
	before = a2.requests()
	for i := 0; i < 10; i++ {
		get(t, cl, tp.url("/"))
	}
	if a2.requests() == before {
		t.Fatal("the restored backend gets no requests")
	}
}

// TestProxyStopSendsTwoGoaways: Stop (what SIGTERM does in cmd/proxy)
// sends the shutdown notice (GOAWAY with last stream ID 2^31-1) and a
// PING, then, after the PING's ACK, the final GOAWAY naming the last
// stream processed, and that stream still completes.
func TestProxyStopSendsTwoGoaways(t *testing.T) {
	be := startBackend(t, nil, "")
	tp := startProxy(t, Options{Backends: []string{be.addr}}, 1)
	r := dialRaw(t, tp.addr)
	r.get(1, "/bytes/100000")
	// Wait until the response starts, so stream 1 was processed.
	for {
		f := r.next()
		if f == nil {
			t.Fatal("connection closed before the response")
		}
		if _, ok := f.(*http2.HeadersFrame); ok {
			break
		}
	}
	stopped := make(chan error, 1)
	go func() {
		time.Sleep(10 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopped <- tp.e.Stop(ctx)
	}()
	var goaways []*http2.GoAwayFrame
	body := 0
	ended := false
	for len(goaways) < 2 || !ended {
		f := r.next()
		if f == nil {
			break
		}
		switch f := f.(type) {
		case *http2.GoAwayFrame:
			goaways = append(goaways, f)
		case *http2.PingFrame:
			if !f.IsAck() {
				r.fr.WritePing(true, f.Data)
			}
		case *http2.DataFrame:
			body += len(f.Data())
			r.fr.WriteWindowUpdate(0, uint32(len(f.Data())))
			r.fr.WriteWindowUpdate(1, uint32(len(f.Data())))
			ended = f.StreamEnded()
		}
	}
	if len(goaways) != 2 {
		t.Fatalf("got %d GOAWAY frames, want 2", len(goaways))
	}
	if g := goaways[0]; g.LastStreamID != 1<<31-1 || g.ErrCode != http2.ErrCodeNo {
		t.Errorf("first GOAWAY: last stream %d code %v, want 2^31-1 NO_ERROR (RFC 9113, Section 6.8)", g.LastStreamID, g.ErrCode)
	}
	if g := goaways[1]; g.LastStreamID != 1 || g.ErrCode != http2.ErrCodeNo {
		t.Errorf("final GOAWAY: last stream %d code %v, want 1 NO_ERROR", g.LastStreamID, g.ErrCode)
	}
	if body != 100000 || !ended {
		t.Errorf("stream 1 got %d of 100000 octets (ended %v) across the shutdown", body, ended)
	}
	// The client and backend connections all close by themselves.
	if err := <-stopped; err != nil {
		t.Errorf("Stop = %v, want nil: every connection should close once the streams are done", err)
	}
}

// statusHandler answers every request with one status.
type statusHandler struct {
	h2conn.BaseHandler
	code int
}

func (h statusHandler) OnRequest(st *h2conn.Stream) { _ = st.Respond(h.code, nil, nil) }

// TestProxyHealthPathTakesFailingBackendOut: with HealthPath set, a
// backend whose health request answers 5xx leaves rotation (its
// connection is fine, so only the request can tell), and one answering
// below 500 stays.
func TestProxyHealthPathTakesFailingBackendOut(t *testing.T) {
	sick := startBackend(t, statusHandler{code: 503}, "")
	well := startBackend(t, nil, "")
	tp := startProxy(t, Options{Backends: []string{sick.addr, well.addr}, HealthPath: "/health",
		HealthInterval: 20 * time.Millisecond}, 1)
	get(t, h2cClient(), tp.url("/")) // a client connection starts the loop's worker
	waitFor(t, "the backend answering 503 to health checks leaves rotation", func() bool { return !tp.px.BackendUp(0) })
	if !tp.px.BackendUp(1) {
		t.Fatal("the backend answering 404 to /health left rotation, want it kept (below 500)")
	}
	cl := h2cClient()
	for i := 0; i < 10; i++ {
		if resp, _ := get(t, cl, tp.url("/")); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d, want 200 from the healthy backend", i, resp.StatusCode)
		}
	}
}
