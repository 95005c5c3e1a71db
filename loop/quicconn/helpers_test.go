package quicconn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"hash"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

const testALPN = "echo"

// testCert is a throwaway self-signed P-256 certificate for 127.0.0.1.
func testCert(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func serverTLS(t testing.TB) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{testCert(t)}, NextProtos: []string{testALPN}}
}

func clientTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, NextProtos: []string{testALPN}}
}

// newEngine makes an engine with n loops that stops at the end of the
// test.
func newEngine(t testing.TB, n int) *loop.Engine {
	t.Helper()
	e, err := loop.NewEngine(loop.Options{Loops: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return e
}

func start(t testing.TB, e *loop.Engine) {
	t.Helper()
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
}

// echoApp echoes every bidirectional stream, FIN included, and keeps
// what the stream queue refused until OnStreamWritable. One echoApp
// serves every connection of a listener, on several loops: per-connection
// state lives in the Conn's context.
type echoApp struct {
	BaseHandler
	closed chan *quic.CCErr // optional: OnClose reports here
}

// echoState is one connection's streams with output waiting.
type echoState struct {
	pending map[int64][]byte
	fin     map[int64]bool
}

func (h *echoApp) state(c *Conn) *echoState {
	st, _ := c.Context().(*echoState)
	if st == nil {
		st = &echoState{pending: map[int64][]byte{}, fin: map[int64]bool{}}
		c.SetContext(st)
	}
	return st
}

func (h *echoApp) OnStreamData(c *Conn, id int64, data []byte, fin bool) {
	st := h.state(c)
	if p, ok := st.pending[id]; ok {
		st.pending[id] = append(p, data...)
		st.fin[id] = st.fin[id] || fin
		return
	}
	n, err := c.Write(id, data, fin)
	if errors.Is(err, ErrWouldBlock) {
		st.pending[id] = append([]byte(nil), data[n:]...)
		st.fin[id] = fin
	}
}

func (h *echoApp) OnStreamWritable(c *Conn, id int64) {
	st := h.state(c)
	p, ok := st.pending[id]
	if !ok {
		return
	}
	n, err := c.Write(id, p, st.fin[id])
	if errors.Is(err, ErrWouldBlock) {
		st.pending[id] = p[n:]
		return
	}
	delete(st.pending, id)
	delete(st.fin, id)
}

func (h *echoApp) OnClose(_ *Conn, e *quic.CCErr) {
	if h.closed != nil {
		h.closed <- e
	}
}

// genStream produces n bytes of pseudo-random content, deterministic per
// seed, in chunks.
type genStream struct {
	left int
	x    uint64
	buf  [16 << 10]byte
	out  []byte
}

func newGen(n int, seed uint64) *genStream { return &genStream{left: n, x: seed | 1} }

func (g *genStream) next() []byte {
	if len(g.out) > 0 || g.left == 0 {
		return g.out
	}
	k := min(g.left, len(g.buf))
	for i := 0; i < k; i++ {
		g.x ^= g.x << 13
		g.x ^= g.x >> 7
		g.x ^= g.x << 17
		g.buf[i] = byte(g.x)
	}
	g.left -= k
	g.out = g.buf[:k]
	return g.out
}

func genDigest(n int, seed uint64) [32]byte {
	g := newGen(n, seed)
	h := sha256.New()
	for {
		b := g.next()
		if len(b) == 0 {
			break
		}
		h.Write(b)
		g.out = nil
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

// result is what a sender stream reports when its echo ended.
type result struct {
	id     int64
	n      int
	digest [32]byte
	err    error
}

// senderApp is a client handler: each stream started with send writes
// generated content with backpressure and FIN, and hashes what comes
// back; the result goes to done.
type senderApp struct {
	BaseHandler
	done    chan result
	streams map[int64]*sendState
}

type sendState struct {
	gen  *genStream
	h    hash.Hash
	n    int
	sent bool
}

// send opens a stream and starts sending n bytes; call it on c's loop.
func (a *senderApp) send(c *Conn, n int, seed uint64) error {
	id, err := c.OpenStream()
	if err != nil {
		return err
	}
	if a.streams == nil {
		a.streams = map[int64]*sendState{}
	}
	st := &sendState{gen: newGen(n, seed), h: sha256.New()}
	a.streams[id] = st
	a.pump(c, id, st)
	return nil
}

func (a *senderApp) pump(c *Conn, id int64, st *sendState) {
	for !st.sent {
		b := st.gen.next()
		n, err := c.Write(id, b, st.gen.left == 0)
		st.gen.out = b[n:]
		if err != nil {
			if !errors.Is(err, ErrWouldBlock) {
				a.done <- result{id: id, err: err}
			}
			return
		}
		if len(st.gen.out) == 0 && st.gen.left == 0 {
			st.sent = true
		}
	}
}

func (a *senderApp) OnStreamWritable(c *Conn, id int64) {
	if st := a.streams[id]; st != nil {
		a.pump(c, id, st)
	}
}

func (a *senderApp) OnStreamData(c *Conn, id int64, data []byte, fin bool) {
	st := a.streams[id]
	if st == nil {
		return
	}
	st.h.Write(data)
	st.n += len(data)
	if fin {
		var d [32]byte
		copy(d[:], st.h.Sum(nil))
		a.done <- result{id: id, n: st.n, digest: d}
	}
}

func (a *senderApp) OnStreamReset(c *Conn, id int64, code uint64) {
	a.done <- result{id: id, err: errors.New("stream reset")}
}

func (a *senderApp) OnClose(c *Conn, e *quic.CCErr) {
	for id, st := range a.streams {
		if st.n >= 0 {
			select {
			case a.done <- result{id: id, err: errors.New("connection closed: " + e.String())}:
			default:
			}
		}
	}
}

// runSenders dials addr from cl and echoes streams concurrent streams of
// size bytes each through it, checking every echo's digest.
func runSenders(t *testing.T, cl *Client, addr string, streams, size int) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	app := &senderApp{done: make(chan result, streams+8)}
	c, err := cl.Dial(ctx, addr, app, nil)
	if err != nil {
		t.Fatalf("Dial %s: %v", addr, err)
	}
	if c.ALPN() != testALPN {
		t.Fatalf("ALPN %q, want %q", c.ALPN(), testALPN)
	}
	errc := make(chan error, 1)
	c.Execute(func() {
		for i := 0; i < streams; i++ {
			if err := app.send(c, size, uint64(i+1)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	})
	if err := <-errc; err != nil {
		t.Fatalf("opening streams: %v", err)
	}
	timeout := time.After(90 * time.Second)
	for i := 0; i < streams; i++ {
		select {
		case r := <-app.done:
			if r.err != nil {
				t.Fatalf("stream %d: %v", r.id, r.err)
			}
			seed := uint64(r.id/4 + 1)
			if r.n != size || r.digest != genDigest(size, seed) {
				t.Fatalf("stream %d: echo of %d bytes came back as %d bytes with another SHA-256", r.id, size, r.n)
			}
		case <-timeout:
			t.Fatalf("%d of %d echoes done after 90s", i, streams)
		}
	}
	return c
}
