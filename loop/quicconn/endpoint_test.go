package quicconn

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// listen starts a server with h (echoApp if nil) on a 2-loop engine.
func listen(t *testing.T, cfg *Config) *Listener {
	t.Helper()
	e := newEngine(t, 2)
	if cfg.TLS == nil {
		cfg.TLS = serverTLS(t)
	}
	if cfg.Handler == nil {
		cfg.Handler = &echoApp{}
	}
	ln, err := Listen(e, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, e)
	return ln
}

// waitStats polls the listener's counters until ok accepts them.
func waitStats(t *testing.T, ln *Listener, what string, ok func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := ln.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: stats %+v after 10s", what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// longHeader builds a client long-header packet of the given version and
// type bits, padded to size with garbage.
func longHeader(version uint32, typ byte, dcid, scid []byte, size int) []byte {
	b := []byte{0xc0 | typ<<4}
	b = binary.BigEndian.AppendUint32(b, version)
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = append(b, byte(len(scid)))
	b = append(b, scid...)
	if version == quic.Version1 && typ == 0 {
		b = append(b, 0) // token length
		rest := size - len(b) - 2
		b = append(b, 0x40|byte(rest>>8), byte(rest)) // length, 2-byte varint
	}
	pad := make([]byte, size-len(b))
	rand.Read(pad)
	return append(b, pad...)
}

func udpTo(t *testing.T, addr string) *net.UDPConn {
	t.Helper()
	ua, _ := net.ResolveUDPAddr("udp", addr)
	uc, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { uc.Close() })
	return uc
}

func TestVersionNegotiationForUnknownVersion(t *testing.T) {
	ln := listen(t, &Config{})
	uc := udpTo(t, ln.Addr().String())
	dcid, scid := []byte("\x01\x02\x03\x04\x05\x06\x07\x08"), []byte("\x0a\x0b\x0c\x0d")
	uc.Write(longHeader(0x1a2a3a4a, 0, dcid, scid, 1200))
	uc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	n, err := uc.Read(buf)
	if err != nil {
		t.Fatalf("no Version Negotiation for an unknown version: %v", err)
	}
	vn := buf[:n]
	// RFC 9000, Section 17.2.1: version 0, the client's IDs swapped, then
	// the supported versions.
	if vn[0]&0x80 == 0 || binary.BigEndian.Uint32(vn[1:5]) != 0 {
		t.Fatalf("reply %x is not a Version Negotiation packet", vn)
	}
	p := vn[5:]
	if int(p[0]) != len(scid) || string(p[1:1+len(scid)]) != string(scid) {
		t.Fatalf("VN Destination Connection ID %x, want the client's SCID %x", p[1:1+p[0]], scid)
	}
	p = p[1+p[0]:]
	if int(p[0]) != len(dcid) || string(p[1:1+len(dcid)]) != string(dcid) {
		t.Fatalf("VN Source Connection ID %x, want the client's DCID %x", p[1:1+p[0]], dcid)
	}
	p = p[1+p[0]:]
	found := false
	for ; len(p) >= 4; p = p[4:] {
		found = found || binary.BigEndian.Uint32(p) == quic.Version1
	}
	if !found {
		t.Fatalf("VN %x does not list QUIC version 1", vn)
	}
	if st := ln.Stats(); st.VersionNeg != 1 || st.Conns != 0 {
		t.Fatalf("stats %+v; want one VN sent and no connection", st)
	}
}

func TestShortUnknownVersionGetsNoVersionNegotiation(t *testing.T) {
	ln := listen(t, &Config{})
	uc := udpTo(t, ln.Addr().String())
	// RFC 9000, Section 6.1: a datagram below 1200 bytes does not deserve
	// an answer (it could be amplified).
	uc.Write(longHeader(0x1a2a3a4a, 0, make([]byte, 8), make([]byte, 8), 600))
	uc.Write(longHeader(0x1a2a3a4a, 0, make([]byte, 8), make([]byte, 8), 1200))
	uc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := uc.Read(make([]byte, 1500)); err != nil {
		t.Fatal(err)
	}
	if st := ln.Stats(); st.VersionNeg != 1 || st.Dropped != 1 {
		t.Fatalf("stats %+v; want the short datagram dropped and one VN for the full one", st)
	}
}

func TestUndecryptableInitialDoesNotKeepConn(t *testing.T) {
	ln := listen(t, &Config{})
	uc := udpTo(t, ln.Addr().String())
	for i := 0; i < 5; i++ {
		dcid := make([]byte, 8)
		rand.Read(dcid)
		uc.Write(longHeader(quic.Version1, 0, dcid, []byte{1, 2, 3, 4}, 1200))
	}
	waitStats(t, ln, "garbage Initials", func(s Stats) bool {
		return s.Accepted == 5 && s.Closed == 5 && s.Conns == 0 && s.Handshakes == 0
	})
}

func TestMaxConnsRefusesInitials(t *testing.T) {
	ln := listen(t, &Config{MaxConns: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first, err := quicgo.DialAddr(ctx, ln.Addr().String(), clientTLS(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.CloseWithError(0, "")
	_, err = quicgo.DialAddr(ctx, ln.Addr().String(), clientTLS(), &quicgo.Config{HandshakeIdleTimeout: 300 * time.Millisecond})
	if err == nil {
		t.Fatal("a second connection was accepted with MaxConns 1")
	}
	waitStats(t, ln, "refused", func(s Stats) bool { return s.Refused > 0 && s.Conns == 1 })
}

func TestMaxHandshakesRefusesInitials(t *testing.T) {
	ln := listen(t, &Config{MaxHandshakes: 1})
	uc := udpTo(t, ln.Addr().String())
	// A real handshake stays pending: the client below never finishes it.
	ch, err := newPendingHandshake(t, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = ch
	waitStats(t, ln, "one handshake", func(s Stats) bool { return s.Handshakes == 1 })
	dcid := make([]byte, 8)
	rand.Read(dcid)
	uc.Write(longHeader(quic.Version1, 0, dcid, []byte{1, 2, 3, 4}, 1200))
	waitStats(t, ln, "refused", func(s Stats) bool { return s.Refused == 1 && s.Accepted == 1 })
}

// newPendingHandshake sends the first flight of a quic.Conn client and
// then stays silent, leaving the server's handshake in progress.
func newPendingHandshake(t *testing.T, addr string) (*quic.Conn, error) {
	uc := udpTo(t, addr)
	la := uc.LocalAddr().(*net.UDPAddr).AddrPort()
	ra := uc.RemoteAddr().(*net.UDPAddr).AddrPort()
	path := &quic.Path{Local: la, Remote: ra}
	c, err := quic.NewClientConn(&quic.Config{TLS: clientTLS()}, path, quic.Tstamp(time.Second))
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 1500)
	for {
		n, err := c.WritePkt(nil, nil, buf, quic.Tstamp(time.Second))
		if err != nil || n == 0 {
			break
		}
		uc.Write(buf[:n])
	}
	return c, nil
}

// closerApp closes the connection with code 7 on the first stream byte.
type closerApp struct{ BaseHandler }

func (closerApp) OnStreamData(c *Conn, _ int64, _ []byte, _ bool) {
	c.Close(7, "closing from the handler")
}

func TestInteropQuicGoSeesHandlerClose(t *testing.T) {
	ln := listen(t, &Config{Handler: closerApp{}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quicgo.DialAddr(ctx, ln.Addr().String(), clientTLS(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := conn.OpenStream()
	s.Write([]byte("x"))
	select {
	case <-conn.Context().Done():
	case <-ctx.Done():
		t.Fatal("connection not closed by the server's handler")
	}
	var ae *quicgo.ApplicationError
	if err := context.Cause(conn.Context()); !errors.As(err, &ae) || !ae.Remote || ae.ErrorCode != 7 || ae.ErrorMessage != "closing from the handler" {
		t.Fatalf("quic-go saw %v; want application error 7 from the server", err)
	}
	waitStats(t, ln, "closed", func(s Stats) bool { return s.Conns == 0 && s.Closed == 1 })
}

func TestIdleTimeoutRemovesConn(t *testing.T) {
	closed := make(chan *quic.CCErr, 1)
	p := quic.DefaultTransportParams()
	p.MaxIdleTimeout = 200 * quic.Milliseconds
	ln := listen(t, &Config{Handler: &echoApp{closed: closed}, Params: p})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quicgo.DialAddr(ctx, ln.Addr().String(), clientTLS(), &quicgo.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseWithError(0, "")
	select {
	case ce := <-closed:
		if ce.Type != quic.CCErrTypeIdleClose {
			t.Fatalf("OnClose with %v; want the idle close", ce)
		}
	case <-ctx.Done():
		t.Fatal("the server connection did not time out")
	}
	waitStats(t, ln, "idle removal", func(s Stats) bool { return s.Conns == 0 })
}

// TestSteadyStateAllocs moves a bulk echo between our client and server
// and counts heap allocations per datagram once the connection is warm:
// the per-packet path (receive, ReadPkt, flush, WriteStream, sendmmsg,
// timers) must not allocate. Per-stream setup (a few allocations) is
// spread over thousands of packets.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	s := quic.Settings{MaxTxUDPPayloadSize: 1452}
	ln, cl := ourPair(t, &Config{Settings: s}, &Config{Settings: s})
	c := runSenders(t, cl, ln.Addr().String(), 1, 4<<20) // warm up: windows and pools grow
	app := c.Handler().(*senderApp)
	const size = 16 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c.Execute(func() { app.send(c, size, 2) })
	r := <-app.done
	runtime.ReadMemStats(&after)
	if r.err != nil || r.n != size {
		t.Fatalf("echo: %d bytes, %v", r.n, r.err)
	}
	packets := 2 * 2 * size / 1400 // each byte crosses twice, both ways; ACKs not counted
	allocs := after.Mallocs - before.Mallocs
	perPacket := float64(allocs) / float64(packets)
	t.Logf("%d allocations over ~%d datagrams: %.4f per datagram", allocs, packets, perPacket)
	if perPacket > 0.05 { // one allocation per packet would be >= 1
		t.Fatalf("%.4f allocations per datagram in steady state (%d in all); want none", perPacket, allocs)
	}
}

func TestDialBeforeStart(t *testing.T) {
	e := newEngine(t, 1)
	cl, err := NewClient(e, "", &Config{TLS: clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Dial(context.Background(), "127.0.0.1:1", &echoApp{}, nil); !errors.Is(err, loop.ErrNotStarted) {
		t.Fatalf("Dial before Start: %v, want loop.ErrNotStarted", err)
	}
}

func TestListenNeedsTLSAndHandler(t *testing.T) {
	e := newEngine(t, 1)
	if _, err := Listen(e, "127.0.0.1:0", &Config{Handler: &echoApp{}}); !errors.Is(err, ErrNoTLS) {
		t.Errorf("Listen without TLS: %v, want ErrNoTLS", err)
	}
	if _, err := Listen(e, "127.0.0.1:0", &Config{TLS: serverTLS(t)}); !errors.Is(err, ErrNoHandler) {
		t.Errorf("Listen without a handler: %v, want ErrNoHandler", err)
	}
}

func TestHandshakeTimeoutRemovesConn(t *testing.T) {
	ln := listen(t, &Config{Settings: quic.Settings{HandshakeTimeout: 200 * quic.Milliseconds}})
	if _, err := newPendingHandshake(t, ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ln, "handshake in progress", func(s Stats) bool { return s.Accepted == 1 })
	waitStats(t, ln, "handshake timed out", func(s Stats) bool {
		return s.Conns == 0 && s.Handshakes == 0 && s.Closed == 1
	})
}

// TestGarbageDatagramsAreDropped sends random datagrams of every kind of
// first byte, including short headers naming each socket, then checks
// that nothing was kept and a real client still gets through.
func TestGarbageDatagramsAreDropped(t *testing.T) {
	ln := listen(t, &Config{})
	uc := udpTo(t, ln.Addr().String())
	for i := 0; i < 300; i++ {
		b := make([]byte, 1+i*5%1400)
		rand.Read(b)
		if i%3 == 0 && len(b) > 2 {
			b[0] &^= 0x80 // short header
			b[1] = byte(i % 2)
		}
		uc.Write(b)
	}
	conn, err := quicgo.DialAddr(context.Background(), ln.Addr().String(), clientTLS(), nil)
	if err != nil {
		t.Fatalf("a real client after the garbage: %v", err)
	}
	conn.CloseWithError(0, "")
	// UDP may lose some of the burst in the socket buffer; most arrive.
	// Each is dropped, answered with Version Negotiation, or (a short
	// header for no known connection) answered with a Stateless Reset.
	waitStats(t, ln, "garbage dropped", func(s Stats) bool {
		return s.Dropped+s.VersionNeg+s.StatelessResets >= 100 && s.Accepted >= 1 && s.Conns <= 1
	})
}

func TestDialContextEndsSilentHandshake(t *testing.T) {
	silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	e := newEngine(t, 1)
	cl, err := NewClient(e, "127.0.0.1:0", &Config{TLS: clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	start(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := cl.Dial(ctx, silent.LocalAddr().String(), &echoApp{}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial to a silent peer: %v, want the context's deadline", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for cl.Stats().Conns != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("client stats %+v: the cancelled connection was not removed", cl.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestInteropQuicGoOverIPv6(t *testing.T) {
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	pc.Close()
	e := newEngine(t, 2)
	ln, err := Listen(e, "[::]:0", &Config{TLS: serverTLS(t), Handler: &echoApp{}})
	if err != nil {
		t.Fatal(err)
	}
	start(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, host := range []string{"[::1]", "127.0.0.1"} { // dual-stack socket: both families
		addr := fmt.Sprintf("%s:%d", host, ln.Addr().Port())
		conn, err := quicgo.DialAddr(ctx, addr, clientTLS(), nil)
		if err != nil {
			t.Fatalf("quic-go to %s: %v", addr, err)
		}
		s, _ := conn.OpenStreamSync(ctx)
		s.Write([]byte("v6?"))
		s.Close()
		got, err := io.ReadAll(s)
		if err != nil || string(got) != "v6?" {
			t.Fatalf("echo over %s: %q, %v", addr, got, err)
		}
		conn.CloseWithError(0, "")
	}
}

// TestStatelessResetForForgottenConn: the server forgets a live
// connection without a word (as after a crash); the client's next packet
// gets a Stateless Reset carrying the token the connection advertised,
// and quic-go closes at once instead of waiting for its idle timeout.
func TestStatelessResetForForgottenConn(t *testing.T) {
	ln := listen(t, &Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quicgo.DialAddr(ctx, ln.Addr().String(), clientTLS(), &quicgo.Config{MaxIdleTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := conn.OpenStreamSync(ctx)
	s.Write([]byte("ping"))
	if _, err := io.ReadFull(s, make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	for _, ss := range ln.ep.socks {
		done := make(chan struct{})
		ss.sock.Loop().Execute(func() {
			for c := ss.head; c != nil; c = ss.head {
				c.discard()
			}
			close(done)
		})
		<-done
	}
	s.Write([]byte("anyone?"))
	select {
	case <-conn.Context().Done():
	case <-ctx.Done():
		t.Fatal("the client was not reset")
	}
	var sr *quicgo.StatelessResetError
	if err := context.Cause(conn.Context()); !errors.As(err, &sr) {
		t.Fatalf("client closed with %v; want a stateless reset", err)
	}
	if st := ln.Stats(); st.StatelessResets == 0 {
		t.Fatalf("stats %+v: no stateless reset counted", st)
	}
}
