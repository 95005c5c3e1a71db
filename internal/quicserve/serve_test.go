package quicserve

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/ngloop/ngloop/loop"
)

// The applications are exercised at length through cmd/echo's tests
// (quic-go echo, bulk, backpressure, hq-interop with path traversal);
// these check Listen's own choices with quic-go as the client.

func listen(t *testing.T, o Options) string {
	t.Helper()
	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(e, "127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return ln.Addr().String()
}

func dial(t *testing.T, addr, alpn string) *quicgo.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := quicgo.DialAddr(ctx, addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{alpn}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseWithError(0, "") })
	return c
}

// roundTrip sends req and FIN on a new stream and reads the answer to FIN.
func roundTrip(t *testing.T, c *quicgo.Conn, req []byte) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := s.Write(req); err != nil {
		return nil, err
	}
	s.Close()
	return io.ReadAll(s)
}

func TestListenServesFilesOfEverySizeOverHQ(t *testing.T) {
	dir := t.TempDir()
	sizes := map[string]int{"empty": 0, "one": 1, "buf": maxReadBuf, "buf1": maxReadBuf + 1, "big": 3*maxReadBuf + 7}
	for name, n := range sizes {
		b := bytes.Repeat([]byte{byte(len(name))}, n)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := dial(t, listen(t, Options{WWW: dir}), ALPNHQ)
	for name, n := range sizes {
		got, err := roundTrip(t, c, []byte("GET /"+name+"\r\n"))
		if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{byte(len(name))}, n)) {
			t.Errorf("GET /%s: %d bytes, err %v; want the file's %d bytes then FIN", name, len(got), err, n)
		}
	}
}

func TestListenEchoesAndAllowsManyStreams(t *testing.T) {
	c := dial(t, listen(t, Options{}), ALPNEcho)
	if got := c.ConnectionState().TLS.NegotiatedProtocol; got != ALPNEcho {
		t.Fatalf("ALPN %q, want %q", got, ALPNEcho)
	}
	msg := []byte("hello, echo")
	// More streams than quic-go's default MaxIncomingStreams (100) would
	// let a peer open at once: the listener grants DefaultMaxStreamsBidi.
	var streams []*quicgo.Stream
	for range 300 {
		s, err := c.OpenStream()
		if err != nil {
			t.Fatalf("stream %d of 300 could not open at once: %v", len(streams), err)
		}
		streams = append(streams, s)
	}
	for _, s := range streams {
		s.SetDeadline(time.Now().Add(10 * time.Second))
		s.Write(msg)
		s.Close()
	}
	for i, s := range streams {
		got, err := io.ReadAll(s)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("stream %d echoed %q, err %v", i, got, err)
		}
	}
}
