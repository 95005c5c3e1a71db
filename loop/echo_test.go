package loop

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// echoHandler writes back what it reads, leaving input it could not write
// for later (the engine pauses reading meanwhile).
type echoHandler struct {
	BaseHandler
}

func (echoHandler) OnData(c *Conn, in []byte) int {
	n, _ := c.Write(in)
	return n
}

func startEcho(t testing.TB, opts Options) (*Engine, string) {
	t.Helper()
	return startWith(t, opts, echoHandler{})
}

// startWith starts an engine with one listener on a free port served by h;
// the test's cleanup stops it.
func startWith(t testing.TB, opts Options, h Handler) (*Engine, string) {
	t.Helper()
	e, err := NewEngine(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := e.Listen("tcp://127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopEngine(t, e) })
	return e, ln.Addr().String()
}

func TestEchoRoundTrip(t *testing.T) {
	_, addr := startEcho(t, Options{Loops: 2})
	for i := 0; i < 4; i++ {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		msg := bytes.Repeat([]byte("hello "), 1000*(i+1))
		go nc.Write(msg)
		expectBack(t, nc, msg)
		nc.Close()
	}
}

// expectBack reads len(msg) bytes from nc and checks they are msg.
func expectBack(t *testing.T, nc net.Conn, msg []byte) {
	t.Helper()
	got := make([]byte, len(msg))
	nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(nc, got); err != nil {
		t.Fatalf("reading %d bytes back: %v", len(msg), err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("the %d bytes read back differ from those sent", len(msg))
	}
}

func stopEngine(t testing.TB, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Stop(ctx); err != nil && err != ErrNotStarted {
		t.Logf("Stop: %v", err)
	}
}
