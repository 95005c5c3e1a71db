package loop

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// frameLayer is a toy layer: the writes of one event are gathered and
// sent as one frame "<len>:<bytes>\n"; Closing sends "bye\n".
type frameLayer struct {
	stage   []byte
	flushes int
}

func (l *frameLayer) Fits(free int) int { return free - 16 - len(l.stage) }

func (l *frameLayer) Seal(_ *Conn, p []byte) error {
	l.stage = append(l.stage, p...)
	return nil
}

func (l *frameLayer) Flush(c *Conn) {
	if len(l.stage) == 0 {
		return
	}
	l.flushes++
	_, _ = c.WriteRaw([]byte(itoa(len(l.stage)) + ":"))
	_, _ = c.WriteRaw(l.stage)
	_, _ = c.WriteRaw([]byte("\n"))
	l.stage = l.stage[:0]
}

func (l *frameLayer) Closing(c *Conn) { l.Flush(c); _, _ = c.WriteRaw([]byte("bye\n")) }

// layerHandler answers each input with three writes, or with one large
// one for "big", and closes on "close".
type layerHandler struct{ BaseHandler }

func (layerHandler) OnOpen(c *Conn) { c.SetLayer(&frameLayer{}) }

func (layerHandler) OnData(c *Conn, in []byte) int {
	switch string(in) {
	case "close":
		_ = c.Close()
	case "big":
		n, err := c.Write(make([]byte, 100<<10))
		_, _ = c.Write([]byte(itoa(n) + " " + errString(err)))
	default:
		_, _ = c.Write([]byte("a"))
		_, _ = c.Write(in)
		_, _ = c.Write([]byte("z"))
	}
	return len(in)
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// TestLayerGathersEventWrites: writes made through a layer in one event
// reach the socket as the layer's single transformed unit, a write larger
// than HighWater is sealed in pieces that fit under it, and Close lets
// the layer write its end marker before the socket closes.
func TestLayerGathersEventWrites(t *testing.T) {
	_, addr := startWith(t, Options{Loops: 1, HighWater: 32 << 10}, layerHandler{})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(nc)
	nc.Write([]byte("hello"))
	if line, err := r.ReadString('\n'); err != nil || line != "7:ahelloz\n" {
		t.Fatalf("three writes in one event arrived as %q (%v), want one frame %q", line, err, "7:ahelloz\n")
	}
	nc.Write([]byte("big"))
	// The 100 KiB write is sealed in pieces of at most what Fits allows
	// under HighWater, each flushed to the socket before the next.
	total, last := 0, []byte(nil)
	for total < 100<<10 {
		head, err := r.ReadString(':')
		if err != nil {
			t.Fatal(err)
		}
		n := atoiOrZero(head[:len(head)-1])
		if n <= 0 || n > 32<<10-16 {
			t.Fatalf("frame of %q bytes, want 1..%d (HighWater minus the layer's overhead)", head, 32<<10-16)
		}
		last = make([]byte, n+1)
		if _, err := io.ReadFull(r, last); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	// The report written after it in the same event shares its last
	// frame: the write was taken whole (the socket drained meanwhile).
	report := "102400 nil"
	if total != 100<<10+len(report) || !bytes.HasSuffix(last, []byte(report+"\n")) {
		t.Fatalf("big write and its report arrived as %d bytes ending %.20q, want %d ending %q", total, last[max(0, len(last)-20):], 100<<10+len(report), report)
	}
	nc.Write([]byte("close"))
	rest, _ := io.ReadAll(r)
	if !bytes.HasSuffix(rest, []byte("bye\n")) {
		t.Fatalf("after Close the connection ended with %.40q, want the layer's %q last", rest, "bye\n")
	}
}

func atoiOrZero(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
