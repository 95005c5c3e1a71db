package quic

import (
	"context"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// DATAGRAM frames (RFC 9221) with quic-go: our client sends datagrams,
// the quic-go server echoes each one back in a datagram.
func TestInteropOurClientDatagram(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := startQuicGoServer(t, &quicgo.Config{EnableDatagrams: true}, func(c *quicgo.Conn) {
		for {
			d, err := c.ReceiveDatagram(context.Background())
			if err != nil {
				return
			}
			c.SendDatagram(append([]byte("echo:"), d...))
		}
	})
	params := DefaultTransportParams()
	params.MaxDatagramFrameSize = 1200
	cli := ourClient(t, srv.addr(), params)
	var got []string
	cli.conn.cb.RecvDatagram = func(c *Conn, d []byte) error {
		got = append(got, string(d))
		return nil
	}
	sent := 0
	last := Tstamp(0)
	err := cli.run(ctx, func() bool {
		c := cli.conn
		// Datagrams are unreliable: send one every 20 ms until an echo came.
		if c.handshakeConfirmed && len(got) == 0 && cli.now() > last+Tstamp(20*Milliseconds) && sent < 50 {
			n, ok, err := c.WriteDatagram(nil, nil, cli.buf, []byte("hello"), cli.now())
			if err != nil {
				t.Fatalf("WriteDatagram: %v", err)
			}
			if ok && n > 0 {
				cli.transmit(n)
				sent++
				last = cli.now()
			}
		}
		return len(got) > 0
	})
	if err != nil {
		t.Fatalf("our client: %v (sent %d datagrams)", err, sent)
	}
	if got[0] != "echo:hello" {
		t.Fatalf("received datagram %q, want \"echo:hello\"", got[0])
	}
}
