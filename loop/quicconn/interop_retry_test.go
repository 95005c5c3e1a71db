package quicconn

import (
	"context"
	"io"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

func quicGoEcho(t *testing.T, ctx context.Context, c *quicgo.Conn, msg string) {
	t.Helper()
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte(msg))
	st.Close()
	if got, err := io.ReadAll(st); err != nil || string(got) != msg {
		t.Fatalf("echo %q: %q, %v", msg, got, err)
	}
}

// TestInteropRetry: our server with Config.Retry answers a quic-go
// client's first Initial with a Retry; quic-go follows it (checking the
// integrity tag and, in the transport parameters, the original and retry
// connection IDs our Conn advertises) and the connection works. A second
// connection with the NEW_TOKEN token our server sent skips the Retry
// (RFC 9000, Section 8.1.3).
func TestInteropRetry(t *testing.T) {
	ln := startServer(t, 2, &Config{Retry: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store := quicgo.NewLRUTokenStore(4, 4)
	conf := &quicgo.Config{MaxIdleTimeout: 10 * time.Second, TokenStore: store}
	c, err := quicgo.DialAddr(ctx, udpAddr(ln).String(), clientTLS(), conf)
	if err != nil {
		t.Fatalf("quic-go dial through Retry: %v", err)
	}
	quicGoEcho(t, ctx, c, "after retry")
	// A ClientHello larger than one datagram (post-quantum key shares)
	// makes two Initials, each answered with a Retry; quic-go uses the first.
	retries := ln.Stats().Retries
	if retries == 0 {
		t.Fatalf("server sent no Retry")
	}
	// The NEW_TOKEN is sent once the handshake is confirmed; a few round
	// trips later quic-go has stored it.
	for i := 0; i < 5; i++ {
		quicGoEcho(t, ctx, c, "round trip")
		time.Sleep(20 * time.Millisecond)
	}
	c.CloseWithError(0, "")
	c2, err := quicgo.DialAddr(ctx, udpAddr(ln).String(), clientTLS(), conf)
	if err != nil {
		t.Fatal(err)
	}
	quicGoEcho(t, ctx, c2, "second, with a NEW_TOKEN token")
	c2.CloseWithError(0, "")
	if got := ln.Stats().Retries; got != retries {
		t.Fatalf("a client holding a NEW_TOKEN token got a Retry (%d -> %d)", retries, got)
	}
	if got := ln.Stats().TokensRejected; got != 0 {
		t.Fatalf("%d tokens rejected", got)
	}
}

// TestRetryWithoutTokenSupportStillConnects: a quic-go client without a
// token store goes through a Retry on every connection.
func TestInteropRetryEveryConnectionWithoutTokenStore(t *testing.T) {
	ln := startServer(t, 1, &Config{Retry: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < 2; i++ {
		before := ln.Stats().Retries
		c, err := quicgo.DialAddr(ctx, udpAddr(ln).String(), clientTLS(), &quicgo.Config{MaxIdleTimeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		quicGoEcho(t, ctx, c, "x")
		c.CloseWithError(0, "")
		if ln.Stats().Retries == before {
			t.Fatalf("connection %d was not sent a Retry", i)
		}
	}
}
