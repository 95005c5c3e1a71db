package quic

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// TestInteropOurClientRetry: a quic-go server that validates every
// source address sends our client a Retry; our client checks its
// integrity tag, restarts its Initial flight with the token, and the
// server accepts the transport parameters it then sends (RFC 9000,
// Section 7.3: original and retry_source connection IDs). The server
// also hands out a NEW_TOKEN token, which Callbacks.RecvNewToken delivers.
func TestInteropOurClientRetry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var asked atomic.Int32
	tr := &quicgo.Transport{Conn: pc, VerifySourceAddress: func(net.Addr) bool { asked.Add(1); return true }}
	defer tr.Close()
	ln, err := tr.Listen(testServerTLS(t, interopALPN), &quicgo.Config{MaxIdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				st, err := c.AcceptStream(ctx)
				if err != nil {
					return
				}
				io.Copy(st, st)
				st.Close()
			}()
		}
	}()
	var tokens int
	cfg := &Config{TLS: testClientTLS(t, interopALPN), Callbacks: Callbacks{RecvNewToken: func(*Conn, []byte) error {
		tokens++
		return nil
	}}}
	cli := newUDPSide(t, false, cfg)
	cli.dial(pc.LocalAddr().(*net.UDPAddr))
	var id int64 = -1
	err = cli.run(ctx, func() bool {
		if cli.conn.HandshakeCompleted() && id < 0 {
			id, _ = cli.conn.OpenBidiStream(nil)
			cli.send(id, []byte("after retry"), true)
		}
		st := cli.streams[id]
		return id >= 0 && st != nil && st.recvFin && tokens > 0
	})
	if err != nil {
		t.Fatalf("our client through quic-go's Retry: %v", err)
	}
	if asked.Load() == 0 || cli.conn.rscid == nil {
		t.Fatalf("no Retry happened (server asked %d times, client rscid %x)", asked.Load(), cli.conn.rscid)
	}
}
