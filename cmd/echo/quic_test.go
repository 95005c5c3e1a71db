package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/ngloop/ngloop/loop"
)

// Interop tests: github.com/quic-go/quic-go (pinned in go.mod) as the
// client of this command's QUIC server, over real UDP on loopback. The
// peer is a Go module, so these tests never skip.

// startQUIC runs the QUIC server of the command on an engine with two
// loops and returns its address and the engine.
func startQUIC(t *testing.T, o quicOptions) (string, *loop.Engine) {
	t.Helper()
	e, err := loop.NewEngine(loop.Options{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := serveQUIC(e, "127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return ln.Addr().String(), e
}

func dialQuicGo(t *testing.T, addr, alpn string) *quicgo.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quicgo.DialAddr(ctx, addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{alpn}},
		&quicgo.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("quic-go dial %s (%s): %v", addr, alpn, err)
	}
	t.Cleanup(func() { conn.CloseWithError(0, "test over") })
	return conn
}

// echoOnce sends msg on a new stream with FIN and reads the echo to EOF.
func echoOnce(ctx context.Context, conn *quicgo.Conn, msg []byte) error {
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		s.SetDeadline(dl)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := s.Write(msg)
		if err == nil {
			err = s.Close()
		}
		errc <- err
	}()
	got, err := io.ReadAll(s)
	if werr := <-errc; werr != nil {
		return fmt.Errorf("stream %d write: %w", s.StreamID(), werr)
	}
	if err != nil {
		return fmt.Errorf("stream %d read: %w", s.StreamID(), err)
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("stream %d: echo of %d bytes came back as %d different bytes", s.StreamID(), len(msg), len(got))
	}
	return nil
}

func TestInteropQuicGoEchoHandshake(t *testing.T) {
	addr, _ := startQUIC(t, quicOptions{})
	conn := dialQuicGo(t, addr, alpnEcho)
	if p := conn.ConnectionState().TLS.NegotiatedProtocol; p != alpnEcho {
		t.Fatalf("negotiated ALPN %q, want %q", p, alpnEcho)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := echoOnce(ctx, conn, []byte("hello over QUIC")); err != nil {
		t.Fatal(err)
	}
}

func TestInteropQuicGoEcho100Streams(t *testing.T) {
	addr, _ := startQUIC(t, quicOptions{})
	conn := dialQuicGo(t, addr, alpnEcho)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			msg := make([]byte, 1000+i*97)
			rand.Read(msg)
			errs <- echoOnce(ctx, conn, msg)
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// bulkSize is the size of the bulk echo: 32 MiB, 4 MiB under -race.
func bulkSize() int {
	if raceEnabled {
		return 4 << 20
	}
	return 32 << 20
}

func TestInteropQuicGoEchoBulkChecksum(t *testing.T) {
	addr, _ := startQUIC(t, quicOptions{})
	conn := dialQuicGo(t, addr, alpnEcho)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.SetDeadline(time.Now().Add(60 * time.Second))
	n := bulkSize()
	sent := sha256.New()
	go func() {
		buf := make([]byte, 64<<10)
		for left := n; left > 0; {
			k := min(left, len(buf))
			rand.Read(buf[:k])
			sent.Write(buf[:k])
			if _, err := s.Write(buf[:k]); err != nil {
				return
			}
			left -= k
		}
		s.Close()
	}()
	got := sha256.New()
	m, err := io.Copy(got, s)
	if err != nil {
		t.Fatalf("reading the echo after %d bytes: %v", m, err)
	}
	if m != int64(n) {
		t.Fatalf("echo returned %d bytes, want %d", m, n)
	}
	if !bytes.Equal(got.Sum(nil), sent.Sum(nil)) {
		t.Fatal("echoed bytes differ from the sent ones (SHA-256 mismatch)")
	}
}

func TestInteropQuicGoHQInterop(t *testing.T) {
	dir := t.TempDir()
	file := make([]byte, 3<<20+123)
	rand.Read(file)
	if err := os.WriteFile(filepath.Join(dir, "file.bin"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "small.txt"), []byte("small file\n"), 0o644)
	secret := filepath.Join(filepath.Dir(dir), "secret-"+filepath.Base(dir))
	os.WriteFile(secret, []byte("do not serve"), 0o644)
	defer os.Remove(secret)

	addr, _ := startQUIC(t, quicOptions{www: dir})
	conn := dialQuicGo(t, addr, alpnHQ)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	get := func(path string) ([]byte, error) {
		s, err := conn.OpenStreamSync(ctx)
		if err != nil {
			return nil, err
		}
		s.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := s.Write([]byte("GET " + path + "\r\n")); err != nil {
			return nil, err
		}
		s.Close()
		return io.ReadAll(s)
	}
	got, err := get("/file.bin")
	if err != nil || !bytes.Equal(got, file) {
		t.Fatalf("GET /file.bin: %d bytes, %v; want the %d-byte file", len(got), err, len(file))
	}
	got, err = get("/sub/small.txt")
	if err != nil || string(got) != "small file\n" {
		t.Fatalf("GET /sub/small.txt: %q, %v", got, err)
	}
	for _, bad := range []string{"/../secret-" + filepath.Base(dir), "/sub/../../secret-" + filepath.Base(dir), "/nope", "/sub"} {
		got, err := get(bad)
		var se *quicgo.StreamError
		if !errors.As(err, &se) || len(got) != 0 {
			t.Errorf("GET %s: %q, %v; want the stream reset and no bytes", bad, got, err)
		}
	}
}

func TestInteropQuicGoStopSendsConnectionClose(t *testing.T) {
	addr, e := startQUIC(t, quicOptions{})
	var conns []*quicgo.Conn
	for i := 0; i < 3; i++ {
		conns = append(conns, dialQuicGo(t, addr, alpnEcho))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A round trip on each makes sure the server finished its side of
	// every handshake: before that, RFC 9000 Section 10.2.3 turns the
	// application close into a transport APPLICATION_ERROR without reason.
	for _, c := range conns {
		if err := echoOnce(ctx, c, []byte("before stop")); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for i, c := range conns {
		select {
		case <-c.Context().Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("client %d: connection still open 5s after Stop", i)
		}
		var ae *quicgo.ApplicationError
		err := context.Cause(c.Context())
		if !errors.As(err, &ae) || !ae.Remote || ae.ErrorCode != 0 || ae.ErrorMessage != "server shutdown" {
			t.Errorf("client %d closed with %v; want the server's application CONNECTION_CLOSE 0 \"server shutdown\"", i, err)
		}
	}
}

// TestInteropQuicGoEchoBackpressure: a client that writes without
// reading is stopped by flow control: the server keeps at most its
// windows and queue of the echo, never the whole upload.
func TestInteropQuicGoEchoBackpressure(t *testing.T) {
	addr, _ := startQUIC(t, quicOptions{})
	conn := dialQuicGo(t, addr, alpnEcho)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.SetDeadline(time.Now().Add(60 * time.Second))
	const total = 24 << 20
	var written atomic.Int64
	go func() {
		buf := make([]byte, 16<<10)
		for left := total; left > 0; left -= len(buf) {
			n, err := s.Write(buf)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
		s.Close()
	}()
	// Wait until the writer is stuck: no progress for 300 ms.
	last := int64(-1)
	for w := written.Load(); w != last; w = written.Load() {
		last = w
		time.Sleep(300 * time.Millisecond)
	}
	// Stream windows: quic-go's receive window (512 KiB until read),
	// the server's 1 MiB stream window and 256 KiB stream queue, plus the
	// writer's own buffering. Far less than the upload.
	if last >= 8<<20 {
		t.Fatalf("the client wrote %d bytes without reading anything; flow control did not hold it back", last)
	}
	t.Logf("writer stalled after %d bytes", last)
	n, err := io.Copy(io.Discard, s)
	if err != nil || n != total {
		t.Fatalf("echo after the stall: %d bytes, %v; want %d", n, err, total)
	}
}

// TestEchoCommandQUIC runs the built command with -quic and -www: the
// flags are wired, the self-signed certificate is made at start, echo
// and hq-interop answer, and SIGTERM closes the connection with
// CONNECTION_CLOSE before the command exits.
func TestEchoCommandQUIC(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>hq</p>"), 0o644)
	cmd, lines := startEcho(t, "-tcp", "", "-h2c", "", "-quic", "127.0.0.1:0", "-www", dir, "-loops", "2")
	addr := readListening(t, lines, "quic")["quic"]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn := dialQuicGo(t, addr, alpnEcho)
	if err := echoOnce(ctx, conn, []byte("through the binary")); err != nil {
		t.Fatal(err)
	}
	hq := dialQuicGo(t, addr, alpnHQ)
	s, err := hq.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("GET /index.html\r\n"))
	s.Close()
	if got, err := io.ReadAll(s); err != nil || string(got) != "<p>hq</p>" {
		t.Fatalf("GET /index.html: %q, %v", got, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-conn.Context().Done():
	case <-ctx.Done():
		t.Fatal("the QUIC connection stayed open after SIGTERM")
	}
	var ae *quicgo.ApplicationError
	if err := context.Cause(conn.Context()); !errors.As(err, &ae) || !ae.Remote {
		t.Fatalf("after SIGTERM the client saw %v; want the server's CONNECTION_CLOSE", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("echo exited with %v after SIGTERM", err)
	}
}

// TestInteropQuicGoHQMultiplexing is the interop runner's "multiplexing"
// case: many small files requested at once on one connection.
func TestInteropQuicGoHQMultiplexing(t *testing.T) {
	dir := t.TempDir()
	const files = 60
	for i := 0; i < files; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), bytes.Repeat([]byte{byte(i)}, 1000+i*37), 0o644)
	}
	addr, _ := startQUIC(t, quicOptions{www: dir})
	conn := dialQuicGo(t, addr, alpnHQ)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < files; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s, err := conn.OpenStreamSync(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			s.SetDeadline(time.Now().Add(20 * time.Second))
			fmt.Fprintf(s, "GET /f%d\r\n", i)
			s.Close()
			got, err := io.ReadAll(s)
			if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{byte(i)}, 1000+i*37)) {
				t.Errorf("GET /f%d: %d bytes, %v", i, len(got), err)
			}
		}(i)
	}
	wg.Wait()
}
