package h2conn

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// result is what a recordingResponse saw.
type result struct {
	status  int
	body    []byte
	trailer string
	code    h2.ErrorCode
}

// recordingResponse collects one response and reports it on done.
type recordingResponse struct {
	r    result
	done chan result
}

func (h *recordingResponse) OnResponse(cs *ClientStream) { h.r.status = cs.Status() }
func (h *recordingResponse) OnData(cs *ClientStream, data []byte) {
	h.r.body = append(h.r.body, data...)
}
func (h *recordingResponse) OnClose(cs *ClientStream, code h2.ErrorCode) {
	h.r.code = code
	h.r.trailer = string(cs.Trailer("x-echo-bytes"))
	h.done <- h.r
}

// connWaiter hands the ClientConn over once connected.
type connWaiter struct {
	up   chan *ClientConn
	down chan error
}

func newConnWaiter() *connWaiter {
	return &connWaiter{up: make(chan *ClientConn, 1), down: make(chan error, 1)}
}
func (w *connWaiter) OnConnect(cc *ClientConn)               { w.up <- cc }
func (w *connWaiter) OnDisconnect(cc *ClientConn, err error) { w.down <- err }

func dialClient(t testing.TB, e *loop.Engine, addr string) (*ClientConn, *connWaiter) {
	t.Helper()
	cl, err := NewClient(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := newConnWaiter()
	if err := cl.Dial(context.Background(), addr, w, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case cc := <-w.up:
		return cc, w
	case err := <-w.down:
		t.Fatalf("dial failed: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("dial timed out")
	}
	return nil, nil
}

// do submits req on cc's loop and waits for the response.
func do(t testing.TB, cc *ClientConn, req *Request) result {
	t.Helper()
	h := &recordingResponse{done: make(chan result, 1)}
	errc := make(chan error, 1)
	cc.Execute(func(cc *ClientConn) {
		_, err := cc.Request(req, h, nil)
		errc <- err
	})
	if err := <-errc; err != nil {
		t.Fatalf("Request: %v", err)
	}
	select {
	case r := <-h.done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no response")
	}
	return result{}
}

// TestClientAgainstEcho drives the Echo server with the package's own
// client: GET, a streamed echo with request and response trailers, a
// large download, 404.
func TestClientAgainstEcho(t *testing.T) {
	ts := startEcho(t, nil)
	cc, w := dialClient(t, ts.e, ts.addr)

	r := do(t, cc, &Request{})
	if r.status != 200 || string(r.body) != "Hello, world\n" || r.code != h2.NoError {
		t.Fatalf("GET / = %d %q %v, want 200 hello NO_ERROR", r.status, r.body, r.code)
	}

	payload := bytes.Repeat([]byte("echo me "), 100000)
	r = do(t, cc, &Request{Method: []byte("POST"), Path: []byte("/echo"), Body: payload,
		Header:  []h2.NV{{Name: []byte("te"), Value: []byte("trailers")}},
		Trailer: []h2.NV{{Name: []byte("x-request-trailer"), Value: []byte("1")}}})
	if r.status != 200 || !bytes.Equal(r.body, payload) || r.trailer != strconv.Itoa(len(payload)) {
		t.Fatalf("POST /echo: status %d, %d octets back of %d, trailer %q", r.status, len(r.body), len(payload), r.trailer)
	}

	r = do(t, cc, &Request{Path: []byte("/bytes/5000000")})
	if r.status != 200 || len(r.body) != 5000000 {
		t.Fatalf("GET /bytes/5000000: status %d, %d octets", r.status, len(r.body))
	}
	r = do(t, cc, &Request{Path: []byte("/missing")})
	if r.status != 404 {
		t.Fatalf("GET /missing = %d, want 404", r.status)
	}

	cc.Execute(func(cc *ClientConn) { cc.Shutdown() })
	select {
	case err := <-w.down:
		if err != nil {
			t.Fatalf("graceful client shutdown ended with %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("client connection did not close after Shutdown")
	}
}

// TestClientAgainstXNetServer checks the client against x/net/http2's
// server, a peer nobody here wrote.
func TestClientAgainstXNetServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h2s := &http2.Server{}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go h2s.ServeConn(nc, &http2.ServeConnOpts{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Trailer", "x-echo-bytes")
				n, _ := bytes.NewBuffer(nil).ReadFrom(r.Body)
				w.Write([]byte(r.URL.Path))
				w.Header().Set("x-echo-bytes", strconv.FormatInt(n, 10))
			})})
		}
	}()
	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(context.Background())
	cc, _ := dialClient(t, e, ln.Addr().String())
	r := do(t, cc, &Request{Method: []byte("PUT"), Path: []byte("/x/y"), Body: make([]byte, 200000)})
	if r.status != 200 || string(r.body) != "/x/y" || r.trailer != "200000" {
		t.Fatalf("x/net server answered %d %q trailer %q", r.status, r.body, r.trailer)
	}
}

// TestClientDialFailure reports the connect error through OnDisconnect.
func TestClientDialFailure(t *testing.T) {
	e, _ := loop.NewEngine(loop.Options{Loops: 1})
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(context.Background())
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cl, _ := NewClient(e, nil)
	w := newConnWaiter()
	if err := cl.Dial(context.Background(), addr, w, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-w.down:
		var oe *net.OpError
		if !errors.As(err, &oe) {
			t.Fatalf("OnDisconnect got %v, want the dial error", err)
		}
	case <-w.up:
		t.Fatal("connected to a closed port")
	case <-time.After(10 * time.Second):
		t.Fatal("no OnDisconnect after a failed dial")
	}
}

// TestClientGoawayRefusesQueuedRequests: requests waiting for a stream
// slot when the server's GOAWAY arrives end with REFUSED_STREAM (they
// were never sent, so they can be retried); the request in flight
// completes.
func TestClientGoawayRefusesQueuedRequests(t *testing.T) {
	h := &holdHandler{held: make(chan *Stream, 1), release: make(chan struct{})}
	ts := startServer(t, h, &ServerOptions{Session: h2.Options{MaxConcurrentStreams: 1}}, loop.Options{Loops: 1})
	ce, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := ce.Start(); err != nil {
		t.Fatal(err)
	}
	defer stopQuietly(ce)
	cc, _ := dialClient(t, ce, ts.addr)
	// Let the server's SETTINGS (MAX_CONCURRENT_STREAMS 1) arrive first.
	do(t, cc, &Request{})
	results := make(chan result, 3)
	cc.Execute(func(cc *ClientConn) {
		for _, p := range []string{"/hold", "/", "/"} {
			h := &recordingResponse{done: results}
			if _, err := cc.Request(&Request{Path: []byte(p)}, h, nil); err != nil {
				t.Errorf("Request %s: %v", p, err)
			}
		}
	})
	<-h.held
	go ts.e.Stop(context.Background())
	refused := 0
	for i := 0; i < 2; i++ {
		select {
		case r := <-results:
			if r.code != h2.RefusedStream {
				t.Fatalf("a queued request ended with %v (status %d), want REFUSED_STREAM", r.code, r.status)
			}
			refused++
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of 2 queued requests refused after GOAWAY", refused)
		}
	}
	close(h.release)
	select {
	case r := <-results:
		if r.code != h2.NoError || string(r.body) != "released" {
			t.Fatalf("the request in flight ended with %v %q, want NO_ERROR and its body", r.code, r.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request in flight did not complete after GOAWAY")
	}
}

// holdingResponse keeps what it receives uncredited until consume is
// set (on the loop).
type holdingResponse struct {
	recordingResponse
	consume bool
}

func (h *holdingResponse) OnData(cs *ClientStream, data []byte) {
	h.recordingResponse.OnData(cs, data)
	if h.consume {
		cs.Consume(len(data))
	}
}

// TestClientManualFlow: with ManualFlow the server can send one window
// and no more until the application consumes.
func TestClientManualFlow(t *testing.T) {
	ts := startEcho(t, nil)
	cl, err := NewClient(ts.e, &ClientOptions{ManualFlow: true,
		Session: h2.Options{InitialWindowSize: 65535, ConnectionWindowSize: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	w := newConnWaiter()
	cl.Dial(context.Background(), ts.addr, w, nil)
	cc := <-w.up
	h := &holdingResponse{recordingResponse: recordingResponse{done: make(chan result, 1)}}
	cc.Execute(func(cc *ClientConn) {
		cc.Request(&Request{Path: []byte("/bytes/1000000")}, h, nil)
	})
	received := func() int64 {
		c := make(chan int64, 1)
		cc.Execute(func(cc *ClientConn) { c <- cc.active[0].BodyReceived() })
		return <-c
	}
	deadline := time.Now().Add(5 * time.Second)
	for received() < 65535 {
		if time.Now().After(deadline) {
			t.Fatalf("received %d octets, want a whole window", received())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	done := make(chan int64, 1)
	cc.Execute(func(cc *ClientConn) {
		cs := cc.active[0]
		done <- cs.BodyReceived()
		h.consume = true
		cs.Consume(int(cs.BodyReceived()))
	})
	if got := <-done; got != 65535 {
		t.Fatalf("received %d octets with nothing consumed, want exactly one window (65535)", got)
	}
	select {
	case r := <-h.done:
		if len(r.body) != 1000000 || r.code != h2.NoError {
			t.Fatalf("got %d octets, %v; want 1000000 after consuming", len(r.body), r.code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the download stalled although the client consumed")
	}
}
