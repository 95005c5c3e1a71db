package loop

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// tagHandler answers every read with its tag.
type tagHandler struct {
	BaseHandler
	tag string
}

func (h tagHandler) OnData(c *Conn, in []byte) int {
	c.Write([]byte(h.tag))
	return len(in)
}

// TestListenersHaveTheirOwnHandlers: two listeners on one engine, each
// connection served by its listener's handler.
func TestListenersHaveTheirOwnHandlers(t *testing.T) {
	e, err := NewEngine(Options{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.Listen("127.0.0.1:0", tagHandler{tag: "A"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Listen("tcp4://127.0.0.1:0", tagHandler{tag: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer stopEngine(t, e)
	if _, err := e.Listen("127.0.0.1:0", tagHandler{}); err != ErrStarted {
		t.Fatalf("Listen after Start returned %v, want ErrStarted", err)
	}
	for _, tc := range []struct {
		ln  *Listener
		tag string
	}{{a, "A"}, {b, "B"}, {a, "A"}, {b, "B"}} {
		nc, err := net.Dial("tcp", tc.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		nc.Write([]byte("?"))
		got := make([]byte, 1)
		if _, err := io.ReadFull(nc, got); err != nil || string(got) != tc.tag {
			t.Fatalf("listener %s answered %q, %v; want %q", tc.ln.Addr(), got, err, tc.tag)
		}
		nc.Close()
	}
}

// timerConnHandler arms a connection-bound timer on open and writes "tick"
// when it fires.
type timerConnHandler struct {
	BaseHandler
	fired atomic.Int64
}

type timerSession struct{ t Timer }

func (h *timerConnHandler) OnOpen(c *Conn) {
	s := &timerSession{}
	c.SetContext(s)
	c.InitTimer(&s.t)
	s.t.Reset(20 * time.Millisecond)
}

func (h *timerConnHandler) OnTimer(c *Conn, t *Timer) {
	if t != &c.Context().(*timerSession).t {
		panic("OnTimer got a timer that is not the connection's")
	}
	h.fired.Add(1)
	c.Write([]byte("tick"))
}

// TestConnTimerFiresOnTimer: a timer bound with InitTimer reaches
// Handler.OnTimer on the connection's loop, and a write there is flushed.
func TestConnTimerFiresOnTimer(t *testing.T) {
	h := &timerConnHandler{}
	_, addr := startWith(t, Options{Loops: 1}, h)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, 4)
	if _, err := io.ReadFull(nc, got); err != nil || string(got) != "tick" {
		t.Fatalf("read %q, %v; want tick", got, err)
	}
	if h.fired.Load() != 1 {
		t.Fatalf("OnTimer ran %d times, want 1", h.fired.Load())
	}
}

// TestPauseAndResumeRead: while paused the handler sees nothing; on resume
// everything sent meanwhile arrives.
func TestPauseAndResumeRead(t *testing.T) {
	c, nc := connPair(t)
	var got atomic.Int64
	c.Execute(func(c *Conn) { c.PauseRead() })
	time.Sleep(20 * time.Millisecond)
	// The test owns the handler through openHandler, which drops data;
	// count what OnData would see by swapping in a counting handler.
	c.Execute(func(c *Conn) { c.h = countingHandler{&got} })
	payload := make([]byte, 100<<10)
	go nc.Write(payload)
	time.Sleep(200 * time.Millisecond)
	if n := got.Load(); n != 0 {
		t.Fatalf("handler saw %d bytes while reading was paused", n)
	}
	c.Execute(func(c *Conn) { c.ResumeRead() })
	waitFor(t, "all bytes after resume", func() bool { return got.Load() == int64(len(payload)) })
}

type countingHandler struct{ n *atomic.Int64 }

func (countingHandler) OnOpen(*Conn) {}
func (h countingHandler) OnData(_ *Conn, in []byte) int {
	h.n.Add(int64(len(in)))
	return len(in)
}
func (countingHandler) OnWritable(*Conn)      {}
func (countingHandler) OnTimer(*Conn, *Timer) {}
func (countingHandler) OnShutdown(c *Conn)    { c.Close() }
func (countingHandler) OnClose(*Conn, error)  {}

// TestStopBeforeStart: Stop on an engine that never started reports it and
// frees the ports Listen reserved.
func TestStopBeforeStart(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := e.Listen("127.0.0.1:0", BaseHandler{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Stop(context.Background()); err != ErrNotStarted {
		t.Fatalf("Stop before Start returned %v, want ErrNotStarted", err)
	}
	l, err := net.Listen("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("reserved port still held after Stop: %v", err)
	}
	l.Close()
}

// TestNoReusePortSingleAcceptor: with NoReusePort one acceptor hands
// connections to the loops; port 0 still works, and Dial refuses the
// round-robin balancer that gnet cannot share with its acceptor.
func TestNoReusePortSingleAcceptor(t *testing.T) {
	e, addr := startEcho(t, Options{Loops: 2, NoReusePort: true})
	for i := 0; i < 4; i++ {
		checkEcho(t, addr, 3)
	}
	h := newPingClient()
	if err := e.Dial(context.Background(), addr, h, "no reuseport"); err != nil {
		t.Fatal(err)
	}
	h.wantEcho(t, "no reuseport")

	rr, err := NewEngine(Options{Loops: 2, NoReusePort: true, LoadBalancing: RoundRobin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rr.Listen("127.0.0.1:0", echoHandler{}); err != nil {
		t.Fatal(err)
	}
	if err := rr.Start(); err != nil {
		t.Fatal(err)
	}
	defer stopEngine(t, rr)
	if err := rr.Dial(context.Background(), addr, h, "x"); err != ErrUnsafeBalancing {
		t.Fatalf("Dial with RoundRobin and NoReusePort returned %v, want ErrUnsafeBalancing", err)
	}
}

// TestLoopDialLandsOnThatLoop: Loop.Dial puts the connection on the loop
// it was called on.
func TestLoopDialLandsOnThatLoop(t *testing.T) {
	e, addr := startEcho(t, Options{Loops: 2})
	for i := 0; i < 4; i++ { // make sure both loops have been seen
		checkEcho(t, addr, 1)
	}
	for _, l := range e.Loops() {
		h := &loopCheckClient{pingClient: newPingClient(), want: l}
		if err := l.Dial(context.Background(), addr, h, "on loop"); err != nil {
			t.Fatal(err)
		}
		h.wantEcho(t, "on loop")
		if !h.sameLoop.Load() {
			t.Fatalf("Loop(%d).Dial opened its connection on another loop", l.Index())
		}
	}
}

type loopCheckClient struct {
	*pingClient
	want     *Loop
	sameLoop atomic.Bool
}

func (h *loopCheckClient) OnOpen(c *Conn) {
	h.sameLoop.Store(c.Loop() == h.want)
	h.pingClient.OnOpen(c)
}

// lingerHandler floods until blocked, then closes gracefully.
type lingerHandler struct {
	*recordingHandler
	chunk []byte
}

func (h lingerHandler) OnOpen(c *Conn) {
	for {
		if _, err := c.Write(h.chunk); err == ErrWouldBlock {
			c.Close()
			return
		}
	}
}

// TestCloseLingerDropsBlockedOutput: Close on a connection whose peer does
// not read gives up after CloseLinger and reports ErrLingerTimeout.
func TestCloseLingerDropsBlockedOutput(t *testing.T) {
	rec := newRecordingHandler()
	e, addr := startWith(t, Options{Loops: 1, CloseLinger: 100 * time.Millisecond},
		lingerHandler{rec, make([]byte, 64<<10)})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	select {
	case err := <-rec.closes:
		if err != ErrLingerTimeout {
			t.Fatalf("OnClose got %v, want ErrLingerTimeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("graceful close of a blocked connection never finished")
	}
	waitFor(t, "no open connections", func() bool { return e.Conns() == 0 })
}

// TestListenIPv6Loopback: a tcp6 listener on port 0 works where ::1
// exists.
func TestListenIPv6Loopback(t *testing.T) {
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		l.Close()
	}
	e, err := NewEngine(Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := e.Listen("tcp6://[::1]:0", echoHandler{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer stopEngine(t, e)
	checkEcho(t, ln.Addr().String(), 2)
}

// TestMaxConnsRejectsExtra: connections past MaxConns are closed at once
// and the engine keeps serving the others.
func TestMaxConnsRejectsExtra(t *testing.T) {
	e, addr := startEcho(t, Options{Loops: 1, MaxConns: 3})
	var keep []net.Conn
	for i := 0; i < 3; i++ {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		keep = append(keep, nc)
	}
	waitFor(t, "three connections", func() bool { return e.Conns() == 3 })
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := extra.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection past MaxConns was served")
	}
	for i, nc := range keep {
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		nc.Write([]byte("still here"))
		got := make([]byte, 10)
		if _, err := io.ReadFull(nc, got); err != nil {
			t.Fatalf("connection %d stopped working after the rejection: %v", i, err)
		}
	}
}
