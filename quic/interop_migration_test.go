package quic

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// rebindRelay sits between a client and a server and forwards datagrams
// both ways. rebind makes it forward the client's datagrams from a new
// socket, as a NAT that lost its mapping does (RFC 9000, Section 9.3).
type rebindRelay struct {
	front  *net.UDPConn
	server *net.UDPAddr
	mu     sync.Mutex
	back   *net.UDPConn
	client *net.UDPAddr
	socks  []*net.UDPConn
}

func newRebindRelay(t *testing.T, server *net.UDPAddr) *rebindRelay {
	front, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &rebindRelay{front: front, server: server}
	r.rebind(t)
	go func() {
		b := make([]byte, 65536)
		for {
			n, from, err := front.ReadFromUDP(b)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.client = from
			back := r.back
			r.mu.Unlock()
			back.WriteToUDP(b[:n], server)
		}
	}()
	t.Cleanup(func() {
		front.Close()
		r.mu.Lock()
		for _, s := range r.socks {
			s.Close()
		}
		r.mu.Unlock()
	})
	return r
}

func (r *rebindRelay) addr() *net.UDPAddr { return r.front.LocalAddr().(*net.UDPAddr) }

// rebind switches to a new upstream socket; the old one keeps relaying
// what the server still sends to it.
func (r *rebindRelay) rebind(t *testing.T) *net.UDPAddr {
	back, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.back = back
	r.socks = append(r.socks, back)
	r.mu.Unlock()
	go func() {
		b := make([]byte, 65536)
		for {
			n, _, err := back.ReadFromUDP(b)
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
	return back.LocalAddr().(*net.UDPAddr)
}

// pathEvents records PathValidation callbacks of our server.
type pathEvents struct {
	ok, failed atomic.Int32
	last       atomic.Value // Path
}

func (e *pathEvents) install(cfg *Config) {
	cfg.Callbacks.PathValidation = func(_ *Conn, p *Path, ok bool) error {
		if ok {
			e.ok.Add(1)
		} else {
			e.failed.Add(1)
		}
		e.last.Store(*p)
		return nil
	}
}

// getBulk asks our server for n bytes on a new stream and checks them;
// mid is called once after half of them arrived.
func getBulk(t *testing.T, ctx context.Context, c *quicgo.Conn, n int, mid func()) {
	t.Helper()
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(st, "GET %d\n", n)
	st.Close()
	h := sha256.New()
	buf := make([]byte, 64<<10)
	got := 0
	for {
		k, err := st.Read(buf)
		h.Write(buf[:k])
		if got < n/2 && got+k >= n/2 && mid != nil {
			mid()
		}
		got += k
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the transfer after %d bytes: %v", got, err)
		}
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	if got != n || sum != bulkDigest(n) {
		t.Fatalf("transfer: got %d bytes (digest match %v), want %d intact", got, sum == bulkDigest(n), n)
	}
}

// TestInteropNATRebinding: a quic-go client's address changes in the
// middle of a 4 MiB download (a NAT rebinding, RFC 9000, Section 9.3);
// our server follows it, validates the new path with PATH_CHALLENGE and
// the transfer completes intact.
func TestInteropNATRebinding(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	var ev pathEvents
	ev.install(srv.cfg)
	stop := make(chan struct{})
	wait := runSide(srv, ctx, stop, nil)
	relay := newRebindRelay(t, srv.addr())
	c := dialQuicGo(t, ctx, relay.addr(), nil)
	var newAddr *net.UDPAddr
	getBulk(t, ctx, c, 4<<20, func() { newAddr = relay.rebind(t) })
	// A second exchange after the rebinding goes through the new address.
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("ECHOafter"))
	st.Close()
	if got, err := io.ReadAll(st); err != nil || string(got) != "after" {
		t.Fatalf("echo after rebinding: %q, %v", got, err)
	}
	c.CloseWithError(0, "")
	close(stop)
	wait()
	if got := srv.conn.path.Remote; got != newAddr.AddrPort() {
		t.Errorf("server path after rebinding = %v, want the new address %v", got, newAddr)
	}
	if ev.ok.Load() == 0 || ev.failed.Load() != 0 {
		t.Errorf("path validations: %d ok, %d failed; want the new path validated", ev.ok.Load(), ev.failed.Load())
	}
}

// TestInteropMigration: a quic-go client probes a new path from another
// socket and switches to it (RFC 9000, Section 9.2); our server answers
// the probe on that path, follows the migration, and later streams work.
func TestInteropMigration(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	var ev pathEvents
	ev.install(srv.cfg)
	stop := make(chan struct{})
	wait := runSide(srv, ctx, stop, nil)

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
	c, err := tr1.Dial(ctx, srv.addr(), quicGoClientTLS(t), &quicgo.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("quic-go dial: %v", err)
	}
	echo := func(msg string) {
		st, err := c.OpenStreamSync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st.Write([]byte("ECHO" + msg))
		st.Close()
		if got, err := io.ReadAll(st); err != nil || string(got) != msg {
			t.Fatalf("echo %q: got %q, %v", msg, got, err)
		}
	}
	echo("before")
	pc2 := listen()
	tr2 := &quicgo.Transport{Conn: pc2}
	defer tr2.Close()
	p, err := c.AddPath(tr2)
	if err != nil {
		t.Fatalf("quic-go AddPath: %v", err)
	}
	pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
	defer pcancel()
	if err := p.Probe(pctx); err != nil {
		t.Fatalf("quic-go probing the new path: %v (our server must answer PATH_CHALLENGE there)", err)
	}
	if err := p.Switch(); err != nil {
		t.Fatalf("quic-go switching paths: %v", err)
	}
	echo("after-migration")
	getBulk(t, ctx, c, 1<<20, nil)
	c.CloseWithError(0, "")
	close(stop)
	wait()
	if got, want := srv.conn.path.Remote, pc2.LocalAddr().(*net.UDPAddr).AddrPort(); got != want {
		t.Errorf("server path after migration = %v, want %v", got, want)
	}
	if ev.ok.Load() == 0 {
		t.Errorf("our server did not validate the client's new path")
	}
}
