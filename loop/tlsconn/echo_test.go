package tlsconn

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ngloop/ngloop/loop"
)

// rawEcho echoes plaintext back through the TLS layer and records the
// largest output the connection held.
type rawEcho struct {
	loop.BaseHandler
	maxBuffered atomic.Int64
	closed      atomic.Int64
}

func (h *rawEcho) OnData(c *loop.Conn, in []byte) int {
	n, _ := c.Write(in)
	if b := int64(c.Buffered()); b > h.maxBuffered.Load() {
		h.maxBuffered.Store(b)
	}
	return n
}

func (h *rawEcho) OnClose(*loop.Conn, error) { h.closed.Add(1) }

// TestEchoDataBehindFinished: a client that writes a lot right behind its
// Finished, while the handshake worker may still run, gets it all echoed:
// past MaxHandshakeBytes the loop pauses reading instead of failing.
func TestEchoDataBehindFinished(t *testing.T) {
	inner := &rawEcho{}
	s := startServer(t, serverConfig{inner: inner, opt: Options{MaxHelloSize: 4096, MaxHandshakeBytes: 8192}})
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		c, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: s.roots(), MaxVersion: v})
		if err != nil {
			t.Fatal(err)
		}
		payload := make([]byte, 1<<20)
		rand.Read(payload)
		go func() { c.Write(payload) }()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got := make([]byte, len(payload))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("TLS %x: echo of 1 MiB written behind the handshake: %v (equal %v)", v, err, bytes.Equal(got, payload))
		}
		c.Close()
	}
}

// TestSlowReaderBoundsOutput: a TLS client that writes without reading
// makes the server stop: sealed output stays under HighWater and the
// client's writes block, instead of the server buffering.
func TestSlowReaderBoundsOutput(t *testing.T) {
	const hw = 64 << 10
	inner := &rawEcho{}
	s := startServer(t, serverConfig{inner: inner, engine: loop.Options{HighWater: hw, SocketSendBuffer: 16 << 10, SocketRecvBuffer: 16 << 10}})
	c, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: s.roots()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	chunk := make([]byte, 16<<10)
	written := 0
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	for written < 256<<20 {
		n, err := c.Write(chunk)
		written += n
		if err != nil {
			break
		}
	}
	if written >= 256<<20 {
		t.Fatalf("wrote %d bytes to a server whose client never reads; want the writes to block", written)
	}
	if m := inner.maxBuffered.Load(); m > hw {
		t.Fatalf("server output reached %d bytes, want at most HighWater %d", m, hw)
	}
	t.Logf("client wrote %d KiB before blocking; server output peaked at %d KiB", written>>10, inner.maxBuffered.Load()>>10)
}
