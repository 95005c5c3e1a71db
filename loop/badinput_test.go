package loop

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recordingHandler remembers how its connections closed.
type recordingHandler struct {
	BaseHandler
	mu     sync.Mutex
	closed []error
	closes chan error
}

func newRecordingHandler() *recordingHandler {
	return &recordingHandler{closes: make(chan error, 16)}
}

func (h *recordingHandler) OnClose(_ *Conn, err error) {
	h.mu.Lock()
	h.closed = append(h.closed, err)
	h.mu.Unlock()
	select {
	case h.closes <- err:
	default:
	}
}

// floodHandler writes an endless stream, as fast as the peer reads it.
type floodHandler struct {
	*recordingHandler
	chunk []byte
}

func (h floodHandler) OnOpen(c *Conn)     { h.fill(c) }
func (h floodHandler) OnWritable(c *Conn) { h.fill(c) }
func (h floodHandler) fill(c *Conn) {
	for {
		if _, err := c.Write(h.chunk); err != nil {
			return
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func resetClose(nc net.Conn) {
	nc.(*net.TCPConn).SetLinger(0)
	nc.Close()
}

// TestPeerResetMidWrite: the server is blocked writing an endless stream
// when the peer resets; the connection closes with an error and nothing
// is left behind.
func TestPeerResetMidWrite(t *testing.T) {
	rec := newRecordingHandler()
	e, addr := startWith(t, Options{Loops: 1}, floodHandler{rec, bytes.Repeat([]byte("z"), 16<<10)})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	if _, err := io.ReadFull(nc, buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the server fill the socket and block
	resetClose(nc)
	select {
	case err := <-rec.closes:
		if err == nil {
			t.Fatalf("OnClose after a peer reset got a nil error")
		}
		t.Logf("OnClose error after reset: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatalf("no OnClose after the peer reset")
	}
	waitFor(t, "no open connections", func() bool { return e.Conns() == 0 })
}

// TestPeerHalfClose: a peer that sends, half-closes and then reads gets
// its whole echo before the server closes.
func TestPeerHalfClose(t *testing.T) {
	_, addr := startEcho(t, Options{Loops: 1})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msg := bytes.Repeat([]byte("half-close "), 10000)
	if _, err := nc.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := nc.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("reading after half-close: %v", err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("got %d echoed bytes after half-close, want %d", len(got), len(msg))
	}
}

// closeWriteHandler answers the first byte with "bye" and half-closes; it
// counts what arrives afterwards.
type closeWriteHandler struct {
	BaseHandler
	after atomic.Int64
}

func (h *closeWriteHandler) OnData(c *Conn, in []byte) int {
	if _, err := c.Write([]byte("bye")); err == nil {
		if err := c.CloseWrite(); err != nil {
			panic(err)
		}
		in = in[1:]
	}
	h.after.Add(int64(len(in)))
	return len(in) + 1
}

// TestConnCloseWrite: after CloseWrite the peer reads EOF, and the
// connection can still receive.
func TestConnCloseWrite(t *testing.T) {
	h := &closeWriteHandler{}
	_, addr := startWith(t, Options{Loops: 1}, h)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("x"))
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(nc)
	if err != nil || string(got) != "bye" {
		t.Fatalf("read %q, %v; want \"bye\" then EOF", got, err)
	}
	nc.Write([]byte("12345"))
	waitFor(t, "bytes after CloseWrite", func() bool { return h.after.Load() == 5 })
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count fds: %v", err)
	}
	return len(ents)
}

// TestOpenDropTenThousandConnections opens and drops 10,000 connections in
// every rude way (close at once, RST at once, send then close, send then
// RST, half-close) and checks that open fds and goroutines are the same
// before the engine started and after it stopped.
func TestOpenDropTenThousandConnections(t *testing.T) {
	const (
		total   = 10_000
		workers = 20
	)
	runtime.GC()
	fdsBefore, grBefore := countFDs(t), runtime.NumGoroutine()

	e, addr := startEcho(t, Options{Loops: 2})
	var wg sync.WaitGroup
	var dialErrs atomic.Int64
	payload := bytes.Repeat([]byte("p"), 4096)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < total; i += workers {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					dialErrs.Add(1)
					continue
				}
				switch i % 5 {
				case 0:
					nc.Close()
				case 1:
					resetClose(nc)
				case 2:
					nc.Write(payload)
					nc.Close()
				case 3:
					nc.Write(payload)
					resetClose(nc)
				case 4:
					nc.Write(payload[:100])
					nc.(*net.TCPConn).CloseWrite()
					nc.SetReadDeadline(time.Now().Add(5 * time.Second))
					io.Copy(io.Discard, nc)
					nc.Close()
				}
			}
		}(w)
	}
	wg.Wait()
	if n := dialErrs.Load(); n > 0 {
		t.Fatalf("%d of %d dials failed", n, total)
	}
	waitFor(t, "all connections closed", func() bool { return e.Conns() == 0 })
	stopEngine(t, e)

	var fdsAfter, grAfter int
	waitFor(t, "fds and goroutines back to their starting counts", func() bool {
		fdsAfter, grAfter = countFDs(t), runtime.NumGoroutine()
		return fdsAfter <= fdsBefore && grAfter <= grBefore
	})
	t.Logf("fds %d -> %d, goroutines %d -> %d", fdsBefore, fdsAfter, grBefore, grAfter)
}

// neverConsume leaves all input unconsumed.
type neverConsume struct{ *recordingHandler }

func (neverConsume) OnData(*Conn, []byte) int { return 0 }

// TestUnconsumedInputIsBounded: a handler that never consumes gets its
// connection closed with ErrInputOverflow, not an ever-growing buffer.
func TestUnconsumedInputIsBounded(t *testing.T) {
	rec := newRecordingHandler()
	_, addr := startWith(t, Options{Loops: 1, MaxInputBuffered: 64 << 10}, neverConsume{rec})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	go func() {
		buf := make([]byte, 32<<10)
		for {
			if _, err := nc.Write(buf); err != nil {
				return
			}
		}
	}()
	select {
	case err := <-rec.closes:
		if !errors.Is(err, ErrInputOverflow) {
			t.Fatalf("OnClose got %v, want ErrInputOverflow", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("connection with unconsumed input was never closed")
	}
}

// TestIdleTimeoutCloses: a connection that sends nothing for IdleTimeout
// is closed with ErrIdleTimeout; one that keeps talking is not.
func TestIdleTimeoutCloses(t *testing.T) {
	rec := newRecordingHandler()
	_, addr := startWith(t, Options{Loops: 1, IdleTimeout: 500 * time.Millisecond}, rec)
	start := time.Now() // before the server can have seen the connection
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	stopBusy := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopBusy:
				return
			case <-time.After(20 * time.Millisecond):
				busy.Write([]byte("."))
			}
		}
	}()
	defer close(stopBusy)
	select {
	case err := <-rec.closes:
		if !errors.Is(err, ErrIdleTimeout) {
			t.Fatalf("OnClose got %v, want ErrIdleTimeout", err)
		}
		if time.Since(start) < 500*time.Millisecond {
			t.Fatalf("closed after %v, before the idle timeout", time.Since(start))
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("idle connection was never closed")
	}
	time.Sleep(300 * time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.closed) != 1 {
		t.Fatalf("%d connections closed, want only the idle one", len(rec.closed))
	}
}
