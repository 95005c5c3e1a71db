package quic

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// TestInteropResumption (quic-go client, our server): our server sends a
// TLS session ticket after the handshake; quic-go's second connection
// resumes the session (RFC 9001, Section 4.6 without early data), with a
// server sharing the first one's ticket keys.
func TestInteropResumption(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	serverTLS := testServerTLS(t, interopALPN)
	serverTLS.SetSessionTicketKeys([][32]byte{{1, 2, 3}})
	clientTLS := quicGoClientTLS(t)
	clientTLS.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	for i, wantResumed := range []bool{false, true} {
		srv, _ := ourServer(t, interopServerParams())
		srv.cfg.TLS = serverTLS
		stop := make(chan struct{})
		wait := runSide(srv, ctx, stop, nil)
		c, err := quicgo.DialAddr(ctx, srv.addr().String(), clientTLS, &quicgo.Config{MaxIdleTimeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		st, err := c.OpenStreamSync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st.Write([]byte("ECHOhi"))
		st.Close()
		if got, err := io.ReadAll(st); err != nil || string(got) != "hi" {
			t.Fatalf("echo: %q, %v", got, err)
		}
		if got := c.ConnectionState().TLS.DidResume; got != wantResumed {
			t.Fatalf("connection %d: quic-go DidResume = %v, want %v", i, got, wantResumed)
		}
		c.CloseWithError(0, "")
		close(stop)
		wait()
		if got := srv.conn.TLSConnectionState().DidResume; got != wantResumed {
			t.Fatalf("connection %d: our server DidResume = %v, want %v", i, got, wantResumed)
		}
	}
}

// TestInteropOurClientResumption (our client, quic-go server): our client
// keeps the session ticket quic-go's server sends in 1-RTT CRYPTO frames
// and resumes with it on the next connection.
func TestInteropOurClientResumption(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ln, err := quicgo.ListenAddr("127.0.0.1:0", testServerTLS(t, interopALPN), &quicgo.Config{MaxIdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
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
	clientTLS := testClientTLS(t, interopALPN)
	clientTLS.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	for i, wantResumed := range []bool{false, true} {
		cli := newUDPSide(t, false, &Config{TLS: clientTLS})
		cli.dial(ln.Addr().(*net.UDPAddr))
		var id int64 = -1
		err := cli.run(ctx, func() bool {
			if cli.conn.HandshakeCompleted() && id < 0 {
				id, _ = cli.conn.OpenBidiStream(nil)
				cli.send(id, []byte("hello"), true)
			}
			st := cli.streams[id]
			// Wait for the echo; the ticket comes right after the handshake.
			return id >= 0 && st != nil && st.recvFin
		})
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if got := cli.conn.TLSConnectionState().DidResume; got != wantResumed {
			t.Fatalf("connection %d: our client DidResume = %v, want %v", i, got, wantResumed)
		}
	}
}
