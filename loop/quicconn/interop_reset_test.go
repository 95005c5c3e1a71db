package quicconn

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic/lbcid"
)

// echoHandler echoes every stream.
type echoHandler struct{ BaseHandler }

func (echoHandler) OnStreamData(c *Conn, id int64, data []byte, fin bool) {
	_, _ = c.Write(id, data, fin)
}

// startServer runs a listener on a new engine with loops sockets.
func startServer(t *testing.T, loops int, cfg *Config) *Listener {
	t.Helper()
	e, err := loop.NewEngine(loop.Options{Loops: loops})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS == nil {
		cfg.TLS = serverTLS(t)
	}
	if cfg.Handler == nil {
		cfg.Handler = echoHandler{}
	}
	ln, err := Listen(e, "127.0.0.1:0", cfg)
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
	return ln
}

// switchRelay forwards a client's datagrams to target, which can be
// changed, and the answers back.
type switchRelay struct {
	front  *net.UDPConn
	back   *net.UDPConn
	mu     sync.Mutex
	target *net.UDPAddr
	client *net.UDPAddr
}

func newSwitchRelay(t *testing.T, target *net.UDPAddr) *switchRelay {
	listen := func() *net.UDPConn {
		pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		return pc
	}
	r := &switchRelay{front: listen(), back: listen(), target: target}
	go func() {
		b := make([]byte, 65536)
		for {
			n, from, err := r.front.ReadFromUDP(b)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.client, target = from, r.target
			r.mu.Unlock()
			r.back.WriteToUDP(b[:n], target)
		}
	}()
	go func() {
		b := make([]byte, 65536)
		for {
			n, _, err := r.back.ReadFromUDP(b)
			if err != nil {
				return
			}
			r.mu.Lock()
			c := r.client
			r.mu.Unlock()
			if c != nil {
				r.front.WriteToUDP(b[:n], c)
			}
		}
	}()
	return r
}

func (r *switchRelay) setTarget(a *net.UDPAddr) {
	r.mu.Lock()
	r.target = a
	r.mu.Unlock()
}

func udpAddr(ln *Listener) *net.UDPAddr { return net.UDPAddrFromAddrPort(ln.Addr()) }

// TestInteropStatelessReset: a quic-go client talks to our server A
// through a relay; the relay then sends the client's packets to server
// B, which shares A's StatelessResetKey but never saw the connection (a
// restarted server, or a sibling behind a balancer). B answers with a
// stateless reset whose token quic-go recognises from A's
// NEW_CONNECTION_ID / transport parameters, and the client's connection
// ends at once with quicgo.StatelessResetError (RFC 9000, Section 10.3).
func TestInteropStatelessReset(t *testing.T) {
	key := []byte("shared stateless reset key 32 B!")
	a := startServer(t, 2, &Config{StatelessResetKey: key})
	b := startServer(t, 1, &Config{StatelessResetKey: key})
	relay := newSwitchRelay(t, udpAddr(a))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := quicgo.DialAddr(ctx, relay.front.LocalAddr().String(), clientTLS(), &quicgo.Config{MaxIdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("quic-go dial: %v", err)
	}
	echo := func(msg string) error {
		st, err := c.OpenStreamSync(ctx)
		if err != nil {
			return err
		}
		st.Write([]byte(msg))
		st.Close()
		got, err := io.ReadAll(st)
		if err == nil && string(got) != msg {
			t.Fatalf("echo: %q, want %q", got, msg)
		}
		return err
	}
	if err := echo("through A"); err != nil {
		t.Fatalf("echo through server A: %v", err)
	}
	relay.setTarget(udpAddr(b))
	start := time.Now()
	err = echo("through B")
	var sr *quicgo.StatelessResetError
	if !errors.As(err, &sr) {
		t.Fatalf("after the switch to server B: %v, want a quic-go StatelessResetError", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the reset took %v; the idle timeout is 10 s, so it should be about one round trip", d)
	}
	if n := b.Stats().StatelessResets; n == 0 {
		t.Errorf("server B counted no stateless resets sent")
	}
}

// TestStatelessResetIgnoresTinyPackets: a short-header datagram too small
// to be answered (a reset must be shorter than what triggered it and at
// least 21 bytes, RFC 9000, Section 10.3.3) gets no reply.
func TestStatelessResetIgnoresTinyPackets(t *testing.T) {
	ln := startServer(t, 1, &Config{})
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	small := make([]byte, 21)
	small[0] = 0x40
	pc.WriteToUDP(small, udpAddr(ln))
	big := make([]byte, 100)
	big[0] = 0x40
	pc.WriteToUDP(big, udpAddr(ln))
	pc.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 2000)
	n, _, err := pc.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("no stateless reset for a 100-byte packet: %v", err)
	}
	if n >= 100 || n < 21 {
		t.Fatalf("reset of %d bytes for a 100-byte packet, want 21..99", n)
	}
	pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, _, err := pc.ReadFromUDP(buf); err == nil {
		t.Fatalf("a second reply (%d bytes): the 21-byte packet was answered", n)
	}
}

func TestResetLimiter(t *testing.T) {
	var r resetLimiter
	now := int64(1e9)
	sent := 0
	for i := 0; i < 1000; i++ {
		if r.allow(10, now) {
			sent++
		}
	}
	if sent != 10 {
		t.Fatalf("burst: %d resets allowed at once, want 10", sent)
	}
	if !r.allow(10, now+int64(100*time.Millisecond)) {
		t.Fatalf("no token after 100 ms at 10/s")
	}
	if r.allow(10, now+int64(100*time.Millisecond)) {
		t.Fatalf("two tokens after 100 ms at 10/s")
	}
	if (&resetLimiter{}).allow(-1, now) {
		t.Fatalf("rate -1 must send none")
	}
}

// TestLoadBalancerCIDsRouteToTheirSocket: with Config.LoadBalancer (an
// encrypted QUIC-LB style config) every connection ID our server issues
// decodes, with the balancer's key alone, to the server ID plus the
// owning socket, and a quic-go client that moves between the issued IDs
// (it migrates to a new path, RFC 9000, Section 9.5) still reaches its
// connection on a 4-socket engine.
func TestLoadBalancerCIDsRouteToTheirSocket(t *testing.T) {
	lb := &lbcid.Config{ID: 1, ServerIDLen: 3, NonceLen: 13, Key: []byte("balancer key 16B")}
	ln := startServer(t, 4, &Config{LoadBalancer: lb, ServerID: []byte{0xbe, 0xef}})
	var cids [][]byte
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	listen := func() *net.UDPConn {
		pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		return pc
	}
	tr1 := &quicgo.Transport{Conn: listen()}
	defer tr1.Close()
	c, err := tr1.Dial(ctx, udpAddr(ln), clientTLS(), &quicgo.Config{MaxIdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("quic-go dial: %v", err)
	}
	echo := func(msg string) {
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
	echo("one")
	tr2 := &quicgo.Transport{Conn: listen()}
	defer tr2.Close()
	p, err := c.AddPath(tr2)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Probe(ctx); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if err := p.Switch(); err != nil {
		t.Fatal(err)
	}
	echo("two, after migrating to a new connection ID")
	// Every connection ID of every live connection decodes to our server ID
	// and the socket that holds it.
	dec, _ := lbcid.NewDecoder(*lb)
	for i, ss := range ln.ep.socks {
		done := make(chan struct{})
		ss.sock.Loop().Execute(func() {
			defer close(done)
			mu.Lock()
			defer mu.Unlock()
			for k, conn := range ss.conns {
				if k == string(conn.q.InitialDCID()) {
					continue // the client's choice, not ours
				}
				cids = append(cids, []byte(k))
				var sid [16]byte
				n, _, err := dec.ServerID([]byte(k), sid[:])
				if err != nil || n != 3 || sid[0] != 0xbe || sid[1] != 0xef || int(sid[2]) != i {
					t.Errorf("CID %x on socket %d decodes to %x, %v", k, i, sid[:n], err)
				}
			}
		})
		<-done
	}
	mu.Lock()
	defer mu.Unlock()
	if len(cids) < 3 {
		t.Fatalf("only %d connection IDs routed; want the handshake's and the issued ones", len(cids))
	}
	c.CloseWithError(0, "")
}
