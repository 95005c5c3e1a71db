package h2conn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/ngloop/ngloop/loop"
)

func netHTTPMux(block chan struct{}) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello %s %s", r.Method, r.Header.Get("X-Name"))
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%d %s", n, r.Trailer.Get("X-Client"))
		w.Header().Set("X-Sum", hex.EncodeToString(h.Sum(nil)))
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("s"), 100000)
		for i := 0; i < 50; i++ {
			w.Write(chunk)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("handler failure") })
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		<-block
		w.WriteHeader(204)
	})
	return mux
}

// TestNetHTTPAdapter serves a net/http mux through NetHTTP and drives it
// with x/net/http2's client: headers, a streamed upload with trailers
// both ways, a 5 MB streamed download, a panicking handler.
func TestNetHTTPAdapter(t *testing.T) {
	a := NewNetHTTP(netHTTPMux(nil), &NetHTTPOptions{Workers: 4})
	t.Cleanup(a.Close) // after the engine's Stop (cleanups run last-in first-out)
	ts := startServer(t, a, nil, loop.Options{})
	cl := h2cClient()
	base := "http://" + ts.addr

	req, _ := http.NewRequest("GET", base+"/hello", nil)
	req.Header.Set("X-Name", "gopher")
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello GET gopher" || resp.Header.Get("Content-Type") != "text/plain" || resp.ContentLength != int64(len(b)) {
		t.Fatalf("GET /hello = %q %v length %d", b, resp.Header, resp.ContentLength)
	}

	payload := bytes.Repeat([]byte("upload "), 300000) // 2.1 MB, far past the 64 KiB window
	pr, pw := io.Pipe()
	go func() {
		pw.Write(payload)
		pw.Close()
	}()
	req, _ = http.NewRequest("POST", base+"/upload", pr)
	req.Trailer = http.Header{"X-Client": nil}
	req.Trailer.Set("X-Client", "done")
	resp, err = cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha256.Sum256(payload)
	if want := fmt.Sprintf("%d done", len(payload)); string(b) != want {
		t.Fatalf("POST /upload = %q, want %q", b, want)
	}
	if got := resp.Trailer.Get("X-Sum"); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("upload trailer X-Sum = %q, want the body's SHA-256", got)
	}

	resp, err = cl.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if n != 5000000 {
		t.Fatalf("GET /stream returned %d octets, want 5000000", n)
	}

	if _, err := cl.Get(base + "/panic"); err == nil || !strings.Contains(err.Error(), "INTERNAL_ERROR") {
		t.Fatalf("GET /panic: %v, want a stream reset with INTERNAL_ERROR", err)
	}
	resp, err = cl.Get(base + "/missing")
	if err != nil || resp.StatusCode != 404 {
		t.Fatalf("GET /missing = %v, %v; want 404", resp, err)
	}
	resp.Body.Close()
}

// TestNetHTTPBoundedPool: with every worker busy and the queue full,
// further requests get 503 from the loop at once; the blocked ones finish
// when released.
func TestNetHTTPBoundedPool(t *testing.T) {
	block := make(chan struct{})
	a := NewNetHTTP(netHTTPMux(block), &NetHTTPOptions{Workers: 2, QueueSize: 2})
	t.Cleanup(a.Close)
	ts := startServer(t, a, nil, loop.Options{})
	cl := h2cClient()
	var wg sync.WaitGroup
	codes := make(chan int, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := cl.Get("http://" + ts.addr + "/block")
			if err != nil {
				codes <- -1
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for ts.srv.Stats().Requests.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the four are with workers or queued
	resp, err := cl.Get("http://" + ts.addr + "/hello")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("request past the pool and queue: %v %v, want 503", resp, err)
	}
	resp.Body.Close()
	close(block)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 204 {
			t.Fatalf("blocked request ended with %d, want 204", c)
		}
	}
}

// TestNetHTTPClientGoesAway: a client that resets a stream or drops the
// connection while the handler writes must free the worker (a pool of
// one keeps serving).
func TestNetHTTPClientGoesAway(t *testing.T) {
	a := NewNetHTTP(netHTTPMux(nil), &NetHTTPOptions{Workers: 1})
	t.Cleanup(a.Close)
	ts := startServer(t, a, nil, loop.Options{})
	for _, drop := range []string{"reset", "close"} {
		if drop == "reset" {
			cl := h2cClient()
			resp, err := cl.Get("http://" + ts.addr + "/stream")
			if err != nil {
				t.Fatal(err)
			}
			io.ReadFull(resp.Body, make([]byte, 1000))
			resp.Body.Close() // RST_STREAM CANCEL while the handler writes
			cl.CloseIdleConnections()
		} else {
			r := dialRaw(t, ts.addr)
			r.get(1, "/stream", true)
			for f := r.next(); f != nil; f = r.next() {
				if _, ok := f.(*http2.DataFrame); ok {
					break
				}
			}
			r.nc.Close() // the connection goes away while the handler writes
		}
		resp, err := h2cClient().Get("http://" + ts.addr + "/hello")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("after a %s, the one worker did not serve again: %v %v", drop, resp, err)
		}
		resp.Body.Close()
	}
}
