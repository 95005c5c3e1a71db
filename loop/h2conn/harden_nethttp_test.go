package h2conn

import (
	"bytes"
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/ngloop/ngloop/loop"
)

// TestNetHTTPUnreadBodyNotCredited: a handler that streams a response
// without reading the request body must not let the client send more
// body than one window. The body is credited back (WINDOW_UPDATE on the
// stream) only as the handler reads it, never as the response goes
// out: otherwise the client could push an endless body into the
// adapter's buffer. When the handler returns, the unread rest is
// dropped and credited back.
func TestNetHTTPUnreadBodyNotCredited(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/ignore", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("r"), 16<<10)
		for i := 0; i < 32; i++ {
			w.Write(chunk)
			w.(http.Flusher).Flush()
		}
		<-release
	})
	a := NewNetHTTP(mux, &NetHTTPOptions{Workers: 2})
	t.Cleanup(a.Close)
	ts := startServer(t, a, nil, loop.Options{})
	r := dialRaw(t, ts.addr)
	r.fr.WriteWindowUpdate(0, 1<<30)
	r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
		BlockFragment: r.block(":method", "POST", ":scheme", "http", ":authority", "x", ":path", "/ignore")})
	// The whole initial stream window of body, never read by the handler.
	body := make([]byte, 16384)
	for sent := 0; sent < 65535; sent += len(body) {
		r.fr.WriteData(1, false, body[:min(len(body), 65535-sent)])
	}
	var credited uint32
	for got := 0; got < 32*16<<10; {
		f := r.next()
		if f == nil {
			t.Fatal("connection closed before the response was written")
		}
		switch f := f.(type) {
		case *http2.WindowUpdateFrame:
			if f.StreamID == 1 {
				credited += f.Increment
			}
		case *http2.DataFrame:
			if len(f.Data()) > 0 {
				got += len(f.Data())
				r.fr.WriteWindowUpdate(1, uint32(len(f.Data())))
			}
		}
	}
	if credited != 0 {
		t.Fatalf("the server credited %d octets of a request body the handler never read", credited)
	}
	close(release)
	// Once the handler returned, the unread body is dropped and credited
	// back, so a client still uploading is not stuck at a closed window.
	for credited < 65535 {
		f := r.next()
		if f == nil {
			t.Fatalf("connection closed with %d of the dropped body credited back", credited)
		}
		if wu, ok := f.(*http2.WindowUpdateFrame); ok && wu.StreamID == 1 {
			credited += wu.Increment
		}
	}
}

// TestNetHTTPContextCanceledOnReset: the request's context is canceled
// when the client resets the stream or the connection goes, as with
// net/http, so a handler waiting on it frees its worker.
func TestNetHTTPContextCanceledOnReset(t *testing.T) {
	canceled := make(chan string, 2)
	mux := http.NewServeMux()
	mux.HandleFunc("/wait", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			canceled <- r.Header.Get("X-Drop")
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) })
	a := NewNetHTTP(mux, &NetHTTPOptions{Workers: 1})
	t.Cleanup(a.Close)
	ts := startServer(t, a, nil, loop.Options{})
	for _, drop := range []string{"reset", "close"} {
		r := dialRaw(t, ts.addr)
		r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, EndStream: true,
			BlockFragment: r.block(":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/wait", "x-drop", drop)})
		deadline := time.Now().Add(5 * time.Second)
		for ts.srv.Stats().Requests.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		if drop == "reset" {
			r.fr.WriteRSTStream(1, http2.ErrCodeCancel)
		} else {
			r.nc.Close()
		}
		select {
		case got := <-canceled:
			if got != drop {
				t.Fatalf("canceled %q, want %q", got, drop)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("after a %s, the handler's request context was not canceled", drop)
		}
		resp, err := h2cClient().Get("http://" + ts.addr + "/hello")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("after a %s, the one worker did not serve again: %v %v", drop, resp, err)
		}
		resp.Body.Close()
	}
}

// TestNetHTTPResetWhileQueuedSkipsHandler: requests reset by the client
// while they wait for a worker never run their handler (rapid reset
// against a busy pool costs no handler work).
func TestNetHTTPResetWhileQueuedSkipsHandler(t *testing.T) {
	block := make(chan struct{})
	var ran atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) { <-block })
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) { ran.Add(1) })
	a := NewNetHTTP(mux, &NetHTTPOptions{Workers: 1})
	t.Cleanup(a.Close)
	ts := startServer(t, a, nil, loop.Options{})
	r := dialRaw(t, ts.addr)
	r.get(1, "/block", true)
	for id := uint32(3); id < 103; id += 2 {
		r.get(id, "/count", true)
		r.fr.WriteRSTStream(id, http2.ErrCodeCancel)
	}
	r.get(103, "/count", true)
	deadline := time.Now().Add(5 * time.Second)
	for ts.srv.Stats().Requests.Load() < 52 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(block)
	for !r.ended[103] {
		if r.next() == nil {
			t.Fatal("connection closed")
		}
	}
	if n := ran.Load(); n != 1 {
		t.Fatalf("the count handler ran %d times, want once (50 of its requests were reset while queued)", n)
	}
}

// TestNetHTTPShutdownDeadline: Shutdown returns at its deadline while a
// handler ignores its context and blocks; Close would wait for it.
func TestNetHTTPShutdownDeadline(t *testing.T) {
	stuck, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/stuck", func(w http.ResponseWriter, r *http.Request) {
		close(stuck)
		<-release
	})
	a := NewNetHTTP(mux, &NetHTTPOptions{Workers: 2})
	ts := startServer(t, a, nil, loop.Options{})
	r := dialRaw(t, ts.addr)
	r.get(1, "/stuck", true)
	<-stuck
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := a.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown with a stuck handler: %v, want context.DeadlineExceeded", err)
	}
	close(release)
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown after the handler returned: %v", err)
	}
}
