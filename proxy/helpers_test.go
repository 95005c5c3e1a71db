package proxy

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

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/h2conn"
)

// testBackend is an h2conn server (by default cmd/echo's Echo handler)
// on its own engine.
type testBackend struct {
	addr string
	srv  *h2conn.Server
	e    *loop.Engine
}

func startBackend(t testing.TB, h h2conn.Handler, addr string) *testBackend {
	t.Helper()
	return startBackendOpt(t, h, addr, nil)
}

func startBackendOpt(t testing.TB, h h2conn.Handler, addr string, opt *h2conn.ServerOptions) *testBackend {
	t.Helper()
	if h == nil {
		h = &h2conn.Echo{MaxBytes: 1 << 30}
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := h2conn.NewServer(h, opt)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen(e, addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	b := &testBackend{addr: ln.Addr().String(), srv: srv, e: e}
	t.Cleanup(func() { b.stop(5 * time.Second) })
	return b
}

// stop stops the backend's engine, waiting up to grace for its streams
// (0: the connections close at once).
func (b *testBackend) stop(grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = b.e.Stop(ctx)
}

func (b *testBackend) requests() int64 { return b.srv.Stats().Requests.Load() }

type testProxy struct {
	addr string
	px   *Proxy
	e    *loop.Engine
}

func startProxy(t testing.TB, opt Options, loops int) *testProxy {
	t.Helper()
	px, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	e, err := loop.NewEngine(loop.Options{Loops: loops})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := px.Listen(e, "127.0.0.1:0")
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
	return &testProxy{addr: ln.Addr().String(), px: px, e: e}
}

func (tp *testProxy) url(path string) string { return "http://" + tp.addr + path }

// h2cClient is x/net/http2's Transport speaking h2c with prior knowledge.
func h2cClient() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// fetch does a request and returns the status and body.
func fetch(t testing.TB, cl *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	return resp, body
}

func get(t testing.TB, cl *http.Client, url string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	return fetch(t, cl, req)
}

// waitFor polls cond until it holds or fails the test with what.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawConn is a hand-driven HTTP/2 client, for watching the frames the
// proxy sends and for a client that stops reading.
type rawConn struct {
	t   testing.TB
	nc  net.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	hb  bytes.Buffer
}

// dialRaw connects, sends the preface and SETTINGS (with iv), and
// acknowledges the proxy's SETTINGS.
func dialRaw(t testing.TB, addr string, iv ...http2.Setting) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	r := &rawConn{t: t, nc: nc, fr: http2.NewFramer(nc, nc)}
	r.enc = hpack.NewEncoder(&r.hb)
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(nc, http2.ClientPreface)
	r.fr.WriteSettings(iv...)
	return r
}

func (r *rawConn) get(id uint32, path string) {
	r.t.Helper()
	r.hb.Reset()
	for _, kv := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "x"}, {":path", path}} {
		r.enc.WriteField(hpack.HeaderField{Name: kv[0], Value: kv[1]})
	}
	err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, EndStream: true,
		BlockFragment: bytes.Clone(r.hb.Bytes())})
	if err != nil {
		r.t.Fatalf("writing HEADERS: %v", err)
	}
}

// next reads one frame, acknowledging SETTINGS; nil at EOF.
func (r *rawConn) next() http2.Frame {
	r.t.Helper()
	for {
		f, err := r.fr.ReadFrame()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				r.t.Fatalf("timed out waiting for a frame")
			}
			return nil
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			r.fr.WriteSettingsAck()
			continue
		}
		return f
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// holdHandler answers nothing until released: a request in flight that
// the test controls.
type holdHandler struct {
	h2conn.BaseHandler
	held chan *h2conn.Stream
}

func (h *holdHandler) OnRequest(st *h2conn.Stream) { h.held <- st }

// inspectHandler answers with what it received, in response fields:
// x-seen-<name> for the request fields the test asks about, and trailers
// x-seen-trailer (the request trailer x-req-trailer) and grpc-status.
type inspectHandler struct {
	h2conn.BaseHandler
}

func (inspectHandler) OnRequest(*h2conn.Stream) {}

var inspected = []string{"via", "x-forwarded-for", "x-custom", "te", "content-type"}

func (inspectHandler) OnEnd(st *h2conn.Stream) {
	var hdr []h2.NV
	for _, name := range inspected {
		if v := st.Header(name); v != nil {
			hdr = append(hdr, h2.NV{Name: []byte("x-seen-" + name), Value: bytes.Clone(v)})
		}
	}
	st.SetTrailers([]h2.NV{
		{Name: []byte("x-seen-trailer"), Value: bytes.Clone(st.Trailer("x-req-trailer"))},
		{Name: []byte("grpc-status"), Value: []byte("0")},
	})
	_ = st.Respond(200, hdr, []byte("inspected"))
}
