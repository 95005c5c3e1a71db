package loop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// pingClient sends its context's message on open and reports the echo.
type pingClient struct {
	BaseHandler
	got    chan string
	closed chan error
	buf    []byte
}

func (h *pingClient) OnOpen(c *Conn) {
	if _, err := c.Write([]byte(c.Context().(string))); err != nil {
		panic(err)
	}
}

func (h *pingClient) OnData(c *Conn, in []byte) int {
	h.buf = append(h.buf, in...)
	if want := c.Context().(string); len(h.buf) >= len(want) {
		h.got <- string(h.buf)
		c.Close()
	}
	return len(in)
}

func (h *pingClient) OnClose(_ *Conn, err error) { h.closed <- err }

func (h *pingClient) wantEcho(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-h.got:
		if got != want {
			t.Fatalf("echo %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no echo for the dialed connection (want %q)", want)
	}
}

func newPingClient() *pingClient {
	return &pingClient{got: make(chan string, 1), closed: make(chan error, 1)}
}

// TestDialIntoSameLoops dials from the engine to its own listener: both
// ends run on the engine's loops, and the dialed conn carries the context
// given to Dial.
func TestDialIntoSameLoops(t *testing.T) {
	e, addr := startEcho(t, Options{Loops: 2})
	h := newPingClient()
	if err := e.Dial(context.Background(), addr, h, "ping over the same loops"); err != nil {
		t.Fatal(err)
	}
	h.wantEcho(t, "ping over the same loops")
	if err := <-h.closed; err != nil {
		t.Fatalf("OnClose after Close got %v, want nil", err)
	}
}

// TestDialFromClientOnlyEngine: an engine without listeners runs client
// loops and dials out.
func TestDialFromClientOnlyEngine(t *testing.T) {
	_, addr := startEcho(t, Options{Loops: 1})
	cli, err := NewEngine(Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	defer stopEngine(t, cli)
	h := newPingClient()
	if err := cli.Dial(context.Background(), addr, h, "client engine"); err != nil {
		t.Fatal(err)
	}
	h.wantEcho(t, "client engine")
}

// TestDialFailureReachesOnClose: a refused connect ends in OnClose with the
// dial error.
func TestDialFailureReachesOnClose(t *testing.T) {
	e, _ := startEcho(t, Options{Loops: 1})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	h := newPingClient()
	if err := e.Dial(context.Background(), dead, h, "x"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-h.closed:
		if err == nil {
			t.Fatal("OnClose after a refused dial got nil")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no OnClose after a refused dial")
	}
}

// goodbyeHandler says goodbye and closes on shutdown.
type goodbyeHandler struct{ *recordingHandler }

func (goodbyeHandler) OnShutdown(c *Conn) {
	c.Write([]byte("goodbye"))
	c.Close()
}

// TestStopSendsShutdownThenWaits: Stop gives each connection OnShutdown,
// waits for them to close, and returns nil; the listener is then gone.
func TestStopSendsShutdownThenWaits(t *testing.T) {
	rec := newRecordingHandler()
	e, addr := startWith(t, Options{Loops: 2}, goodbyeHandler{rec})
	var conns []net.Conn
	for i := 0; i < 6; i++ {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		conns = append(conns, nc)
	}
	waitFor(t, "six open connections", func() bool { return e.Conns() == 6 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for i, nc := range conns {
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(nc)
		if err != nil || string(got) != "goodbye" {
			t.Fatalf("conn %d read %q, %v; want goodbye then EOF", i, got, err)
		}
	}
	if nc, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		nc.Close()
		t.Fatalf("listener still accepts after Stop")
	}
}

// stubbornHandler ignores shutdown.
type stubbornHandler struct{ *recordingHandler }

func (stubbornHandler) OnShutdown(*Conn) {}

// TestStopDeadlineClosesTheRest: connections that ignore OnShutdown are
// closed with ErrStopped when Stop's context ends.
func TestStopDeadlineClosesTheRest(t *testing.T) {
	rec := newRecordingHandler()
	e, addr := startWith(t, Options{Loops: 1}, stubbornHandler{rec})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	waitFor(t, "open connection", func() bool { return e.Conns() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := e.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop returned %v, want context.DeadlineExceeded", err)
	}
	select {
	case err := <-rec.closes:
		if !errors.Is(err, ErrStopped) {
			t.Fatalf("OnClose got %v, want ErrStopped", err)
		}
	default:
		t.Fatal("stubborn connection was not closed by Stop")
	}
	if err := e.Dial(context.Background(), addr, rec, nil); !errors.Is(err, ErrStopped) {
		t.Fatalf("Dial after Stop returned %v, want ErrStopped", err)
	}
}

// TestExecuteFromAnotherGoroutine: Conn.Execute runs on the loop and its
// writes are flushed.
func TestExecuteFromAnotherGoroutine(t *testing.T) {
	c, nc := connPair(t)
	if err := c.Execute(func(c *Conn) { c.Write([]byte("from a worker")) }); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len("from a worker"))
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(nc, got); err != nil || string(got) != "from a worker" {
		t.Fatalf("read %q, %v", got, err)
	}
}

// TestWritesInOneEventAreBatched: many small writes inside one callback
// leave the callback as one batch (the peer reads them all at once).
func TestWritesInOneEventAreBatched(t *testing.T) {
	c, nc := connPair(t)
	c.Execute(func(c *Conn) {
		for i := 0; i < 100; i++ {
			c.Write([]byte("ab"))
		}
		if c.Buffered() != 200 {
			panic("writes inside a callback should wait in the ring until it returns")
		}
	})
	got := make([]byte, 200)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(nc, got); err != nil || !bytes.Equal(got, bytes.Repeat([]byte("ab"), 100)) {
		t.Fatalf("read %q, %v", got, err)
	}
}
