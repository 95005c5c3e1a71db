package quicconn

import (
	"context"
	"io"
	"net/netip"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// Interop over real UDP on loopback with github.com/quic-go/quic-go,
// pinned in go.mod (a Go module: these tests never skip). The other
// direction, a quic-go client against our server, is tested against
// cmd/echo's QUIC server in cmd/echo.

// bulkSize is the size of one bulk echo: 16 MiB, 2 MiB under -race.
func bulkSize() int {
	if raceEnabled {
		return 2 << 20
	}
	return 16 << 20
}

// quicGoEchoServer runs a quic-go server that echoes every stream.
func quicGoEchoServer(t *testing.T) string {
	t.Helper()
	ln, err := quicgo.ListenAddr("127.0.0.1:0", serverTLS(t), &quicgo.Config{MaxIncomingStreams: 200})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				for {
					s, err := conn.AcceptStream(context.Background())
					if err != nil {
						return
					}
					go func() {
						io.Copy(s, s)
						s.Close()
					}()
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestInteropOurClientQuicGoServerStreams(t *testing.T) {
	addr := quicGoEchoServer(t)
	e := newEngine(t, 1)
	cl, err := NewClient(e, "", &Config{TLS: clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	start(t, e)
	runSenders(t, cl, addr, 100, 10<<10)
}

func TestInteropOurClientQuicGoServerBulk(t *testing.T) {
	addr := quicGoEchoServer(t)
	e := newEngine(t, 1)
	cl, err := NewClient(e, "", &Config{TLS: clientTLS(), Settings: quic.Settings{MaxTxUDPPayloadSize: 1452}})
	if err != nil {
		t.Fatal(err)
	}
	start(t, e)
	runSenders(t, cl, addr, 1, bulkSize())
}

func TestInteropOurClientQuicGoServerAppClose(t *testing.T) {
	ln, err := quicgo.ListenAddr("127.0.0.1:0", serverTLS(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept(context.Background())
		if err != nil {
			return
		}
		// Close once the client's first stream arrived: our side surely
		// finished its handshake then.
		if s, err := conn.AcceptStream(context.Background()); err == nil {
			s.Read(make([]byte, 1))
		}
		conn.CloseWithError(0x42, "quic-go says bye")
	}()
	e := newEngine(t, 1)
	cl, err := NewClient(e, "", &Config{TLS: clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	start(t, e)
	closed := make(chan *quic.CCErr, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cl.Dial(ctx, ln.Addr().String(), &echoApp{closed: closed}, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Execute(func() {
		id, _ := c.OpenStream()
		c.Write(id, []byte("x"), false)
	})
	select {
	case ce := <-closed:
		if ce.Type != quic.CCErrTypeApplication || ce.ErrorCode != 0x42 || string(ce.Reason) != "quic-go says bye" {
			t.Fatalf("OnClose got %v; want application error 0x42 \"quic-go says bye\"", ce)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no OnClose 10s after the server closed")
	}
}

func TestOurClientOurServerStreams(t *testing.T) {
	ln, cl := ourPair(t, &Config{Params: params(200)}, &Config{})
	runSenders(t, cl, ln.Addr().String(), 100, 10<<10)
}

func TestOurClientOurServerBulk(t *testing.T) {
	s := quic.Settings{MaxTxUDPPayloadSize: 1452}
	ln, cl := ourPair(t, &Config{Settings: s}, &Config{Settings: s})
	runSenders(t, cl, ln.Addr().String(), 2, bulkSize())
}

// ourPair starts our server (echoApp unless srv.Handler is set) and our
// client on one 2-loop engine, both on 127.0.0.1.
func ourPair(t *testing.T, srv, cli *Config) (*Listener, *Client) {
	t.Helper()
	e := newEngine(t, 2)
	if srv.TLS == nil {
		srv.TLS = serverTLS(t)
	}
	if srv.Handler == nil {
		srv.Handler = &echoApp{}
	}
	if cli.TLS == nil {
		cli.TLS = clientTLS()
	}
	ln, err := Listen(e, "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := NewClient(e, "127.0.0.1:0", cli)
	if err != nil {
		t.Fatal(err)
	}
	start(t, e)
	return ln, cl
}

func params(bidi uint64) quic.TransportParams {
	p := quic.DefaultTransportParams()
	p.InitialMaxStreamsBidi = bidi
	return p
}

// TestClientSocketsRouteByConnectionID dials from a client with four
// SO_REUSEPORT sockets on one port: the kernel delivers a server's
// replies to whichever socket its hash picks, and Route must bring them
// to the socket whose connection ID they carry.
func TestClientSocketsRouteByConnectionID(t *testing.T) {
	ln, cl := ourPair(t, &Config{}, &Config{UDP: loop.UDPConfig{Sockets: 4}})
	for i := 0; i < 8; i++ {
		runSenders(t, cl, ln.Addr().String(), 4, 32<<10)
	}
	if st := cl.Stats(); st.Conns != 8 || st.Dropped != 0 {
		t.Fatalf("client stats %+v; want 8 live connections and nothing dropped", st)
	}
	forwarded := uint64(0)
	for _, s := range cl.ep.ul.Sockets() {
		done := make(chan uint64)
		s.Loop().Execute(func() { done <- s.Stats().Forwarded })
		forwarded += <-done
	}
	if forwarded == 0 {
		t.Fatal("no datagram was routed between the client's sockets; the test did not exercise Route")
	}
}

func TestRouteReadsSocketIndexFromConnectionID(t *testing.T) {
	ep := &endpoint{cfg: Config{Settings: quic.Settings{CIDLen: 8}}, socks: make([]*sockState, 3)}
	short := append([]byte{0x40}, 2, 9, 9, 9, 9, 9, 9, 9, 0xaa, 0xbb)
	long := append([]byte{0xc0, 0, 0, 0, 1, 8}, 1, 9, 9, 9, 9, 9, 9, 9, 0)
	for _, tc := range []struct {
		name   string
		server bool
		pkt    []byte
		want   int
	}{
		{"short header to socket 2", true, short, 2},
		{"server long header stays", true, long, -1},
		{"client long header to socket 1", false, long, 1},
		{"index past the sockets stays", true, append([]byte{0x40, 7}, make([]byte, 9)...), -1},
		{"short datagram stays", true, []byte{0x40, 1}, -1},
		{"empty stays", true, nil, -1},
	} {
		ep.server = tc.server
		if got := ep.route(tc.pkt, netip.AddrPort{}); got != tc.want {
			t.Errorf("%s: route = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestSmallSendQueueBulk runs a bulk echo through sockets whose send
// queues hold four datagrams: a connection's flush fills the queue many
// times over (NextBuf hands it to the kernel to make room) and small
// flush budgets make connections yield to each other mid-transfer.
// Nothing may be lost or reordered on the way.
func TestSmallSendQueueBulk(t *testing.T) {
	udp := loop.UDPConfig{SendQueue: 4, Batch: 2, SocketSendBuffer: 8 << 10}
	s := quic.Settings{MaxTxUDPPayloadSize: 1452}
	ln, cl := ourPair(t, &Config{Settings: s, UDP: udp, MaxDatagramsPerFlush: 8}, &Config{Settings: s, UDP: udp})
	runSenders(t, cl, ln.Addr().String(), 3, bulkSize()/4)
}

// TestConnHighWaterEcho echoes eight streams through a server whose
// connection may queue less than two streams' worth: writes stop at the
// connection's bound and resume on OnStreamWritable as it drains.
func TestConnHighWaterEcho(t *testing.T) {
	ln, cl := ourPair(t, &Config{StreamHighWater: 48 << 10, ConnHighWater: 64 << 10}, &Config{ConnHighWater: 64 << 10})
	runSenders(t, cl, ln.Addr().String(), 8, 256<<10)
}
