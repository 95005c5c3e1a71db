package proxy

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop/h2conn"
)

func twoBackends(t *testing.T) (*testBackend, *testBackend) {
	return startBackend(t, nil, ""), startBackend(t, nil, "")
}

// TestProxyGET: a GET through the proxy gets the backend's answer and
// the proxy's via field.
func TestProxyGET(t *testing.T) {
	a, b := twoBackends(t)
	tp := startProxy(t, Options{Backends: []string{a.addr, b.addr}}, 1)
	resp, body := get(t, h2cClient(), tp.url("/"))
	if resp.StatusCode != 200 || string(body) != "Hello, world\n" {
		t.Fatalf("GET / = %d %q, want 200 hello", resp.StatusCode, body)
	}
	if v := resp.Header.Get("Via"); v != "2 ngloop" {
		t.Errorf("response via = %q, want the proxy's %q", v, "2 ngloop")
	}
	resp, _ = get(t, h2cClient(), tp.url("/nowhere"))
	if resp.StatusCode != 404 {
		t.Errorf("GET /nowhere = %d, want the backend's 404", resp.StatusCode)
	}
}

// TestProxyPOSTEcho1MiB: a 1 MiB request body is streamed to the backend
// and its echo streamed back intact (more than the 64 KiB windows on both
// sides, so the relay's flow control must keep crediting).
func TestProxyPOSTEcho1MiB(t *testing.T) {
	a, b := twoBackends(t)
	tp := startProxy(t, Options{Backends: []string{a.addr, b.addr}}, 2)
	msg := make([]byte, 1<<20)
	rand.Read(msg)
	req, _ := http.NewRequest("POST", tp.url("/echo"), bytes.NewReader(msg))
	resp, body := fetch(t, h2cClient(), req)
	if resp.StatusCode != 200 || !bytes.Equal(body, msg) {
		t.Fatalf("POST /echo 1 MiB = %d with %d octets (equal %v), want 200 and the body back",
			resp.StatusCode, len(body), bytes.Equal(body, msg))
	}
}

// TestProxyLargeGET: a 32 MiB response goes through intact.
func TestProxyLargeGET(t *testing.T) {
	a := startBackend(t, nil, "")
	tp := startProxy(t, Options{Backends: []string{a.addr}}, 1)
	const n = 32 << 20
	resp, body := get(t, h2cClient(), tp.url("/bytes/"+strconv.Itoa(n)))
	if resp.StatusCode != 200 || len(body) != n {
		t.Fatalf("GET /bytes/%d = %d with %d octets", n, resp.StatusCode, len(body))
	}
	if !bytes.Equal(body[:64], bytes.Repeat([]byte("0123456789abcdef"), 4)) {
		t.Fatalf("body starts %q, want the echo pattern", body[:64])
	}
}

// TestProxyTrailersPassThrough: request trailers reach the backend and
// response trailers reach the client, unchanged (the gRPC shape: POST
// application/grpc with te: trailers, grpc-status in trailers).
func TestProxyTrailersPassThrough(t *testing.T) {
	be := startBackend(t, inspectHandler{}, "")
	tp := startProxy(t, Options{Backends: []string{be.addr}}, 1)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", tp.url("/grpc.Service/Method"), pr)
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	req.Trailer = http.Header{"X-Req-Trailer": nil}
	go func() {
		pw.Write([]byte("\x00\x00\x00\x00\x05hello"))
		req.Trailer.Set("X-Req-Trailer", "sent-after-body")
		pw.Close()
	}()
	resp, body := fetch(t, h2cClient(), req)
	if resp.StatusCode != 200 || string(body) != "inspected" {
		t.Fatalf("POST = %d %q", resp.StatusCode, body)
	}
	if got := resp.Trailer.Get("X-Seen-Trailer"); got != "sent-after-body" {
		t.Errorf("backend saw request trailer %q, want %q", got, "sent-after-body")
	}
	if got := resp.Trailer.Get("Grpc-Status"); got != "0" {
		t.Errorf("response trailer grpc-status = %q, want 0 (trailers must pass through)", got)
	}
	if got := resp.Header.Get("X-Seen-Te"); got != "trailers" {
		t.Errorf("backend saw te %q, want trailers (allowed by RFC 9113, Section 8.2.2)", got)
	}
	if got := resp.Header.Get("X-Seen-Content-Type"); got != "application/grpc" {
		t.Errorf("backend saw content-type %q", got)
	}
}

// TestProxyEchoTrailers: the echo backend's response trailer after a
// streamed body passes through.
func TestProxyEchoTrailers(t *testing.T) {
	be := startBackend(t, nil, "")
	tp := startProxy(t, Options{Backends: []string{be.addr}}, 1)
	req, _ := http.NewRequest("POST", tp.url("/echo"), strings.NewReader("twelve bytes"))
	req.Header.Set("Te", "trailers")
	resp, body := fetch(t, h2cClient(), req)
	if string(body) != "twelve bytes" || resp.Trailer.Get("X-Echo-Bytes") != "12" {
		t.Fatalf("echo with trailers: body %q trailer %q, want the body and x-echo-bytes: 12", body, resp.Trailer.Get("X-Echo-Bytes"))
	}
}

// TestProxyHeadersForwarded: the backend gets the client's fields plus
// via and x-forwarded-for.
func TestProxyHeadersForwarded(t *testing.T) {
	be := startBackend(t, inspectHandler{}, "")
	tp := startProxy(t, Options{Backends: []string{be.addr}, Via: "test-proxy"}, 1)
	req, _ := http.NewRequest("GET", tp.url("/"), nil)
	req.Header.Set("X-Custom", "kept")
	resp, _ := fetch(t, h2cClient(), req)
	for name, want := range map[string]string{
		"X-Seen-Via":             "2 test-proxy",
		"X-Seen-X-Forwarded-For": "127.0.0.1",
		"X-Seen-X-Custom":        "kept",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := resp.Header.Get("Via"); got != "2 test-proxy" {
		t.Errorf("response via = %q", got)
	}
}

// TestForwardable: RFC 9113, Section 8.2.2's connection-specific fields
// are dropped, te passes only as "trailers".
func TestForwardable(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        bool
	}{
		{"connection", "close", false},
		{"keep-alive", "timeout=5", false},
		{"proxy-connection", "keep-alive", false},
		{"transfer-encoding", "chunked", false},
		{"upgrade", "h2c", false},
		{"http2-settings", "AAMAAABkAAQAoAAAAAIAAAAA", false},
		{"te", "trailers", true},
		{"te", "Trailers", true},
		{"te", "gzip", false},
		{"content-type", "text/plain", true},
		{"x-forwarded-for", "10.0.0.1", true},
		{":path", "/", true},
	} {
		if got := forwardable([]byte(tc.name), []byte(tc.value)); got != tc.want {
			t.Errorf("forwardable(%s: %s) = %v, want %v", tc.name, tc.value, got, tc.want)
		}
	}
}

// TestProxyBalancingSpreads: round-robin and least-outstanding both use
// every backend.
func TestProxyBalancingSpreads(t *testing.T) {
	for _, bal := range []Balance{RoundRobin, LeastOutstanding} {
		a, b := twoBackends(t)
		tp := startProxy(t, Options{Backends: []string{a.addr, b.addr}, Balance: bal}, 2)
		cl := h2cClient()
		const n = 100
		for i := 0; i < n; i++ {
			if resp, _ := get(t, cl, tp.url("/")); resp.StatusCode != 200 {
				t.Fatalf("request %d: status %d", i, resp.StatusCode)
			}
		}
		ra, rb := a.requests(), b.requests()
		if ra+rb != n || ra < n/4 || rb < n/4 {
			t.Errorf("balance %d: backends served %d and %d of %d requests, want both a fair share", bal, ra, rb, n)
		}
		if bal == RoundRobin && (ra < n/2-2 || rb < n/2-2) {
			t.Errorf("round-robin: backends served %d and %d, want about %d each", ra, rb, n/2)
		}
	}
}

// TestProxyRespectsMaxConcurrentStreams: a backend allowing 2 concurrent
// streams never sees a third on one connection; the pool opens more
// connections or queues.
func TestProxyRespectsMaxConcurrentStreams(t *testing.T) {
	hold := &holdHandler{held: make(chan *h2conn.Stream, 64)}
	e := startBackendOpt(t, hold, "", &h2conn.ServerOptions{Session: h2.Options{MaxConcurrentStreams: 2}})
	tp := startProxy(t, Options{Backends: []string{e.addr}, MaxConnsPerBackend: 2}, 1)
	cl := h2cClient()
	const n = 6
	done := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			resp, err := cl.Get(tp.url("/"))
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	// 2 connections × 2 streams: 4 requests reach the backend, 2 wait.
	var held []*h2conn.Stream
	for len(held) < 4 {
		select {
		case st := <-hold.held:
			held = append(held, st)
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d requests reached the backend, want 4", len(held))
		}
	}
	select {
	case <-hold.held:
		t.Fatal("a fifth request reached the backend: SETTINGS_MAX_CONCURRENT_STREAMS × MaxConnsPerBackend exceeded")
	case <-time.After(200 * time.Millisecond):
	}
	answer := func(st *h2conn.Stream) {
		_ = st.Conn().Execute(func(*h2conn.ServerConn) { _ = st.Respond(200, nil, []byte("ok")) })
	}
	for _, st := range held {
		answer(st)
	}
	for i := 0; i < 2; i++ {
		select {
		case st := <-hold.held:
			answer(st)
		case <-time.After(10 * time.Second):
			t.Fatal("queued requests never went to the backend")
		}
	}
	for i := 0; i < n; i++ {
		if code := <-done; code != 200 {
			t.Fatalf("request got %d, want 200", code)
		}
	}
}

// TestProxyGRPCShapedStreaming: a POST with content-type
// application/grpc streams in both directions through the proxy: each
// message written is echoed back before the next is sent (nothing waits
// for the end of the request), and the response ends in trailers.
func TestProxyGRPCShapedStreaming(t *testing.T) {
	be := startBackend(t, nil, "")
	tp := startProxy(t, Options{Backends: []string{be.addr}}, 1)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", tp.url("/echo"), pr)
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	resp, err := h2cClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	total := 0
	for i := 0; i < 5; i++ {
		msg := []byte("\x00\x00\x00\x00\x08message" + strconv.Itoa(i))
		if _, err := pw.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(resp.Body, got); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: echoed %q, %v; want %q before the next is sent", i, got, err, msg)
		}
		total += len(msg)
	}
	pw.Close()
	if rest, _ := io.ReadAll(resp.Body); len(rest) != 0 {
		t.Fatalf("%d octets after the last message", len(rest))
	}
	if got := resp.Trailer.Get("X-Echo-Bytes"); got != strconv.Itoa(total) {
		t.Fatalf("trailer x-echo-bytes = %q, want %d", got, total)
	}
}
