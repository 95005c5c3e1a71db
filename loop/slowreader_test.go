package loop

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// countingEcho is echoHandler with counters of the backpressure events.
type countingEcho struct {
	BaseHandler
	wouldBlock atomic.Int64
	writable   atomic.Int64
}

func (h *countingEcho) OnData(c *Conn, in []byte) int {
	n, err := c.Write(in)
	if err == ErrWouldBlock {
		h.wouldBlock.Add(1)
	}
	return n
}

func (h *countingEcho) OnWritable(*Conn) { h.writable.Add(1) }

// patternAt is the byte the slow-reader test sends at offset i.
func patternAt(i int64) byte { return byte(i % 251) }

func fillPattern(b []byte, off int64) {
	for i := range b {
		b[i] = patternAt(off + int64(i))
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestSlowReaderBoundsMemory is the slow-reader clause of the foundation
// issue: a client sends 64 MiB and reads nothing; the echo stops at
// WOULDBLOCK, the heap stays under the high-water mark plus a small
// constant, a second client on the same loop keeps getting echoes, and once
// the slow client reads, every byte arrives in order.
func TestSlowReaderBoundsMemory(t *testing.T) {
	const total = 64 << 20
	h := &countingEcho{}
	e, addr := startWith(t, Options{Loops: 1}, h)

	// Warm up one echo so pools and gnet buffers exist before measuring.
	checkEcho(t, addr, 3)
	base := heapAfterGC()

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	var sent atomic.Int64
	writeDone := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		var off int64
		for off < total {
			fillPattern(buf, off)
			n, err := slow.Write(buf)
			off += int64(n)
			sent.Store(off)
			if err != nil {
				writeDone <- err
				return
			}
		}
		writeDone <- nil
	}()

	// Wait until the sender stalls: the server stopped reading.
	waitStalled(t, &sent)
	if h.wouldBlock.Load() == 0 {
		t.Fatalf("sender stalled at %d bytes but the server never saw ErrWouldBlock", sent.Load())
	}
	if sent.Load() >= total {
		t.Fatalf("all %d bytes were sent without reading; the test needs backpressure to show", total)
	}
	peak := heapAfterGC()
	grown := int64(peak) - int64(base)
	limit := int64(e.Options().HighWater) + 1<<20
	t.Logf("stalled after %d of %d bytes; heap grew %d bytes (limit %d); %d WOULDBLOCKs",
		sent.Load(), total, grown, limit, h.wouldBlock.Load())
	if grown > limit {
		t.Fatalf("heap grew by %d bytes while the reader was slow, want at most high-water + 1 MiB = %d", grown, limit)
	}

	// A second client on the same (only) loop still gets its echoes.
	checkEcho(t, addr, 100)

	// Now read everything and check the order.
	slow.SetReadDeadline(time.Now().Add(60 * time.Second))
	buf := make([]byte, 256<<10)
	want := make([]byte, len(buf))
	var got int64
	for got < total {
		n, err := slow.Read(buf)
		if n > 0 {
			fillPattern(want[:n], got)
			if !bytes.Equal(buf[:n], want[:n]) {
				t.Fatalf("echoed bytes at offset %d are out of order or corrupt", got)
			}
			got += int64(n)
		}
		if err != nil {
			t.Fatalf("reading echo after %d bytes: %v", got, err)
		}
	}
	if err := <-writeDone; err != nil {
		t.Fatalf("sender: %v", err)
	}
	if h.writable.Load() == 0 {
		t.Fatalf("handler never got OnWritable after WOULDBLOCK")
	}
	t.Logf("%d WOULDBLOCK / %d writable cycles for 64 MiB", h.wouldBlock.Load(), h.writable.Load())
}

// waitStalled waits until *sent stops moving for 300 ms.
func waitStalled(t *testing.T, sent *atomic.Int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last := int64(-1)
	for time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond)
		cur := sent.Load()
		if cur == last && cur > 0 {
			return
		}
		last = cur
	}
	t.Fatalf("sender never stalled (sent %d bytes)", sent.Load())
}

// checkEcho opens a connection, echoes n messages one by one and closes it.
func checkEcho(t *testing.T, addr string, n int) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, 64)
	for i := 0; i < n; i++ {
		msg := []byte(fmt.Sprintf("message %d of the second client......", i))
		if _, err := nc.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(nc, got[:len(msg)]); err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
		if !bytes.Equal(got[:len(msg)], msg) {
			t.Fatalf("echo %d: got %q want %q", i, got[:len(msg)], msg)
		}
	}
}
