package quicconn

import (
	"context"
	"testing"
	"time"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// echoCounter counts the echoed bytes and reports the end of the stream.
type echoCounter struct {
	BaseHandler
	got  int
	done chan struct{}
}

func (h *echoCounter) OnStreamData(c *Conn, id int64, data []byte, fin bool) {
	h.got += len(data)
	if fin {
		close(h.done)
	}
}

// TestECNValidatesOverLoopback: the UDP reactor writes the ECT(0) mark
// each quic.Conn asks for and reads the codepoint of received datagrams,
// so on loopback (which keeps the marks) both ends pass ECN validation
// (RFC 9000, Section 13.4.2) and keep marking.
func TestECNValidatesOverLoopback(t *testing.T) {
	ln := startServer(t, 1, &Config{})
	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := NewClient(e, "127.0.0.1:0", &Config{TLS: clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h := &echoCounter{done: make(chan struct{})}
	c, err := cl.Dial(ctx, ln.Addr().String(), h, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, 200<<10)
	c.Execute(func() {
		id, _ := c.OpenStream()
		_, _ = c.Write(id, msg, true)
	})
	select {
	case <-h.done:
	case <-ctx.Done():
		t.Fatal("the echo did not complete")
	}
	infos := make(chan quic.ConnInfo, 1)
	c.Execute(func() { infos <- c.Quic().Info() })
	ci := <-infos
	if ci.ECN != quic.ECNStateCapable {
		t.Errorf("client ECN state %d after a 200 KiB echo on loopback, want capable", ci.ECN)
	}
	for _, ss := range ln.ep.socks {
		ss.sock.Loop().Execute(func() {
			for _, conn := range ss.conns {
				infos <- conn.q.Info()
				return
			}
			infos <- quic.ConnInfo{ECN: quic.ECNStateFailed}
		})
		if si := <-infos; si.ECN != quic.ECNStateCapable {
			t.Errorf("server ECN state %d, want capable: its ECT(0) marks were not echoed in ACK_ECN", si.ECN)
		}
	}
	if h.got != len(msg) {
		t.Errorf("echoed %d of %d bytes", h.got, len(msg))
	}
}
