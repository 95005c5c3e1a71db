package h2conn

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/ngloop/ngloop/loop"
)

// testServer is a Server on its own engine, stopped at the end of the
// test.
type testServer struct {
	addr string
	srv  *Server
	e    *loop.Engine
}

func startServer(t testing.TB, h Handler, opt *ServerOptions, lopt loop.Options) *testServer {
	t.Helper()
	if lopt.Loops == 0 {
		lopt.Loops = 2
	}
	e, err := loop.NewEngine(lopt)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(h, opt)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	ln, err := srv.Listen(e, "127.0.0.1:0")
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
	return &testServer{addr: ln.Addr().String(), srv: srv, e: e}
}

func startEcho(t testing.TB, opt *ServerOptions) *testServer {
	return startServer(t, &Echo{MaxBytes: 1 << 30}, opt, loop.Options{})
}

// h2cClient is x/net/http2's Transport speaking h2c with prior knowledge.
func h2cClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// checkServed fetches GET / with a fresh x/net/http2 client: the
// well-behaved connection that must keep being served during attacks.
func checkServed(t testing.TB, addr string) {
	t.Helper()
	cl := h2cClient()
	defer cl.CloseIdleConnections()
	resp, err := cl.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("a well-behaved client was not served: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "Hello, world\n" {
		t.Fatalf("a well-behaved client got %d %q, want 200 hello", resp.StatusCode, body)
	}
}

// rawConn is a hand-driven HTTP/2 client for sending what real clients
// never send.
type rawConn struct {
	t   testing.TB
	nc  net.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	hb  bytes.Buffer
	// ended records the streams whose END_STREAM was read, whoever read
	// the frame.
	ended map[uint32]bool
}

// dialRaw connects, sends the preface and an empty SETTINGS, and
// acknowledges the server's SETTINGS.
func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	r := &rawConn{t: t, nc: nc, fr: http2.NewFramer(nc, nc), ended: map[uint32]bool{}}
	r.fr.ReadMetaHeaders = nil
	r.fr.SetMaxReadFrameSize(1 << 24)
	r.enc = hpack.NewEncoder(&r.hb)
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(nc, http2.ClientPreface)
	r.fr.WriteSettings()
	f := r.next()
	if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
		t.Fatalf("first server frame is %v, want SETTINGS", f)
	}
	r.fr.WriteSettingsAck()
	return r
}

// block encodes a header block.
func (r *rawConn) block(kv ...string) []byte {
	r.hb.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		r.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return bytes.Clone(r.hb.Bytes())
}

func (r *rawConn) get(id uint32, path string, end bool) {
	r.t.Helper()
	err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, EndStream: end,
		BlockFragment: r.block(":method", "GET", ":scheme", "http", ":authority", "x", ":path", path)})
	if err != nil {
		r.t.Fatalf("writing HEADERS: %v", err)
	}
}

// next reads one frame; nil at EOF or on a reset connection.
func (r *rawConn) next() http2.Frame {
	r.t.Helper()
	f, err := r.fr.ReadFrame()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.t.Fatalf("timed out waiting for a frame")
		}
		return nil
	}
	switch f.(type) {
	case *http2.DataFrame, *http2.HeadersFrame:
		if f.Header().Flags.Has(http2.FlagDataEndStream) {
			r.ended[f.Header().StreamID] = true
		}
	}
	return f
}

// goaway reads until GOAWAY and returns it; it fails the test if the
// connection ends first.
func (r *rawConn) goaway(why string) *http2.GoAwayFrame {
	r.t.Helper()
	for {
		f := r.next()
		if f == nil {
			r.t.Fatalf("%s: connection closed without GOAWAY", why)
		}
		if g, ok := f.(*http2.GoAwayFrame); ok {
			return g
		}
	}
}

// closed reads until EOF.
func (r *rawConn) closed(why string) {
	r.t.Helper()
	for r.next() != nil {
	}
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// waitConns waits until the engine has n connections or fails.
func waitConns(t testing.TB, e *loop.Engine, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.Conns() != n {
		if time.Now().After(deadline) {
			t.Fatalf("engine has %d connections, want %d", e.Conns(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func stopQuietly(e *loop.Engine) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.Stop(ctx)
}
