package tlsconn

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ngloop/ngloop/loop"
)

// greeter writes msg once the TLS client handshake is done and collects
// what comes back.
type greeter struct {
	loop.BaseHandler
	msg  []byte
	got  []byte
	done chan []byte
	alpn chan string
}

func (g *greeter) OnOpen(c *loop.Conn) {
	st, _ := State(c)
	g.alpn <- st.NegotiatedProtocol
	_, _ = c.Write(g.msg)
}

func (g *greeter) OnData(c *loop.Conn, in []byte) int {
	g.got = append(g.got, in...)
	if len(g.got) >= len(g.msg) {
		g.done <- g.got
		_ = c.Close()
	}
	return len(in)
}

// TestInteropClientAgainstCryptoTLSServer: a dialed connection with
// NewClient handshakes with crypto/tls's server (TLS 1.3, ALPN h2) and
// exchanges 200 KiB through the layer.
func TestInteropClientAgainstCryptoTLSServer(t *testing.T) {
	cert := testCert(t, "peer")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(context.Background())
	roots := x509Pool(cert)
	g := &greeter{msg: bytes.Repeat([]byte("client over TLS "), 200<<6), done: make(chan []byte, 1), alpn: make(chan string, 1)}
	h, err := NewClient(g, &tls.Config{RootCAs: roots, ServerName: "localhost", NextProtos: []string{"h2"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Dial(context.Background(), ln.Addr().String(), h, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-g.alpn:
		if p != "h2" {
			t.Fatalf("client negotiated %q, want h2", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("client handshake did not finish")
	}
	select {
	case got := <-g.done:
		if !bytes.Equal(got, g.msg) {
			t.Fatalf("echo through the client layer: got %d bytes, want the %d sent", len(got), len(g.msg))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("echo through the client layer did not come back")
	}
	if h.Stats().Handshakes.Load() != 1 {
		t.Fatalf("Stats.Handshakes = %d, want 1", h.Stats().Handshakes.Load())
	}
}

// failNotice records the OnClose a client's inner handler gets.
type failNotice struct {
	loop.BaseHandler
	closed chan error
}

func (f *failNotice) OnOpen(*loop.Conn)               { f.closed <- nil }
func (f *failNotice) OnClose(_ *loop.Conn, err error) { f.closed <- err }

// TestClientHandshakeFailureReachesInner: a client handshake that fails
// (the server's certificate is not trusted) reaches the inner handler as
// OnClose with ErrHandshakeFailed, as a failed dial would.
func TestClientHandshakeFailureReachesInner(t *testing.T) {
	s := startServer(t, serverConfig{verify: true})
	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(context.Background())
	f := &failNotice{closed: make(chan error, 2)}
	h, _ := NewClient(f, &tls.Config{ServerName: "localhost", NextProtos: []string{"h2"}}, nil) // system roots: untrusted
	if err := e.Dial(context.Background(), s.addr, h, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-f.closed:
		if !errors.Is(err, ErrHandshakeFailed) {
			t.Fatalf("inner handler got OnOpen or OnClose(%v), want OnClose with ErrHandshakeFailed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("inner handler heard nothing of the failed handshake")
	}
}
