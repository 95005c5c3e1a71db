package quicconn

import (
	"context"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/ngloop/ngloop/quic"
)

// datagramEcho answers every DATAGRAM frame with one carrying the same
// payload reversed.
type datagramEcho struct {
	echoHandler
	errs chan error
}

func (h datagramEcho) OnDatagram(c *Conn, data []byte) {
	out := make([]byte, len(data))
	for i, b := range data {
		out[len(data)-1-i] = b
	}
	if err := c.SendDatagram(out); err != nil {
		select {
		case h.errs <- err:
		default: // never block the loop
		}
	}
}

// TestInteropDatagramQuicGoClient: DATAGRAM frames (RFC 9221) both ways
// between a quic-go client and our server on the engine.
func TestInteropDatagramQuicGoClient(t *testing.T) {
	params := quic.DefaultTransportParams()
	params.MaxDatagramFrameSize = 1200
	h := datagramEcho{errs: make(chan error, 16)}
	ln := startServer(t, 1, &Config{Params: params, Handler: h})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := quicgo.DialAddr(ctx, udpAddr(ln).String(), clientTLS(), &quicgo.Config{EnableDatagrams: true, MaxIdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseWithError(0, "")
	if !c.ConnectionState().SupportsDatagrams.Remote {
		t.Fatalf("quic-go did not see our max_datagram_frame_size")
	}
	got := 0
	for i := 0; i < 20 && got < 5; i++ {
		if err := c.SendDatagram([]byte("abc")); err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		d, err := c.ReceiveDatagram(rctx)
		rcancel()
		if err != nil {
			continue // datagrams are unreliable; try again
		}
		if string(d) != "cba" {
			t.Fatalf("datagram answer %q, want \"cba\"", d)
		}
		got++
	}
	if got < 5 {
		select {
		case err := <-h.errs:
			t.Fatalf("%d datagram answers, want 5; SendDatagram on our server: %v", got, err)
		default:
		}
		t.Fatalf("%d datagram answers, want 5", got)
	}
	select {
	case err := <-h.errs:
		t.Fatalf("SendDatagram on our server: %v", err)
	default:
	}
}
