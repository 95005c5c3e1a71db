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
	e, err := NewEngine(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := e.Listen("tcp://127.0.0.1:0", echoHandler{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.Stop(ctx)
	})
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
		if _, err := nc.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(nc, got); err != nil {
			t.Fatalf("reading echo: %v", err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("echo differs")
		}
		nc.Close()
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
