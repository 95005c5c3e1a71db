package loop

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// udpEcho sends every datagram back with the ECN codepoint given in its
// first byte, and records what it saw.
type udpEcho struct {
	BaseUDPHandler
	mu       sync.Mutex
	seen     []seenDatagram
	writable atomic.Int64
}

type seenDatagram struct {
	socket    int
	id        byte // second payload byte
	ecn       uint8
	local     netip.Addr
	forwarded bool
}

func (h *udpEcho) OnDatagram(s *UDPSocket, d *Datagram) {
	h.mu.Lock()
	h.seen = append(h.seen, seenDatagram{s.Index(), d.Data[len(d.Data)-1], d.ECN, d.Local, d.Forwarded})
	h.mu.Unlock()
	if err := s.WriteTo(d.Data, d.Remote, d.Data[0]&3); err != nil {
		panic(err)
	}
}

func (h *udpEcho) OnWritable(*UDPSocket) { h.writable.Add(1) }

func startUDP(t *testing.T, opts Options, h UDPHandler, cfg UDPConfig) (*Engine, *UDPListener) {
	t.Helper()
	e, err := NewEngine(opts)
	if err != nil {
		t.Fatal(err)
	}
	ul, err := e.ListenUDP("udp://127.0.0.1:0", h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopEngine(t, e) })
	return e, ul
}

// udpClient is a test peer whose datagrams carry an ECN codepoint and who
// reads the codepoint of what it receives.
type udpClient struct {
	c *net.UDPConn
}

func newUDPClient(t *testing.T) *udpClient {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc, _ := c.SyscallConn()
	rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVTOS, 1) })
	return &udpClient{c: c}
}

func (u *udpClient) send(t *testing.T, to netip.AddrPort, p []byte, ecn uint8) {
	t.Helper()
	rc, _ := u.c.SyscallConn()
	rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TOS, int(ecn)) })
	if _, err := u.c.WriteToUDPAddrPort(p, to); err != nil {
		t.Fatal(err)
	}
}

func (u *udpClient) recv(t *testing.T) ([]byte, uint8) {
	t.Helper()
	buf, oob := make([]byte, 4096), make([]byte, 128)
	u.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, oobn, _, _, err := u.c.ReadMsgUDPAddrPort(buf, oob)
	if err != nil {
		t.Fatalf("client read: %v", err)
	}
	ecn, _ := parseControl(oob[:oobn])
	return buf[:n], ecn
}

// TestUDPEchoCarriesECNAndLocalAddress: datagrams reach the handler with
// the ECN codepoint and destination address from the IP header, and the
// reply leaves with the codepoint the handler asked for.
func TestUDPEchoCarriesECNAndLocalAddress(t *testing.T) {
	h := &udpEcho{}
	_, ul := startUDP(t, Options{Loops: 4}, h, UDPConfig{Sockets: 1})
	if n := len(ul.Sockets()); n != 1 {
		t.Fatalf("UDPConfig.Sockets 1 gave %d sockets", n)
	}
	cl := newUDPClient(t)
	for _, tc := range []struct{ sendECN, replyECN uint8 }{{0, 0}, {2, 1}, {1, 2}, {3, 3}} {
		msg := []byte{tc.replyECN, 'h', 'i'}
		cl.send(t, ul.Addr(), msg, tc.sendECN)
		got, ecn := cl.recv(t)
		if string(got) != string(msg) {
			t.Fatalf("echo %q, want %q", got, msg)
		}
		if ecn != tc.replyECN {
			t.Fatalf("reply carried ECN %d, want %d", ecn, tc.replyECN)
		}
		h.mu.Lock()
		last := h.seen[len(h.seen)-1]
		h.mu.Unlock()
		if last.ecn != tc.sendECN {
			t.Fatalf("handler saw ECN %d, client sent %d", last.ecn, tc.sendECN)
		}
		if last.local != netip.MustParseAddr("127.0.0.1") {
			t.Fatalf("handler saw local address %v, want 127.0.0.1", last.local)
		}
	}
}

// TestUDPBatchesReceives: a burst arrives through fewer recvmmsg calls
// than datagrams, and every datagram is answered.
func TestUDPBatchesReceives(t *testing.T) {
	const burst = 500
	h := &udpEcho{}
	_, ul := startUDP(t, Options{Loops: 1}, h, UDPConfig{SocketRecvBuffer: 4 << 20})
	s := ul.Sockets()[0]
	cl := newUDPClient(t)
	cl.c.SetReadBuffer(4 << 20)
	// Hold the loop while the burst is sent, so it queues up.
	hold := make(chan struct{})
	s.Loop().Execute(func() { <-hold })
	for i := 0; i < burst; i++ {
		cl.send(t, ul.Addr(), []byte{0, byte(i)}, 0)
	}
	close(hold)
	for i := 0; i < burst; i++ {
		cl.recv(t)
	}
	stats := make(chan UDPStats, 1)
	s.Loop().Execute(func() { stats <- s.Stats() })
	st := <-stats
	t.Logf("stats: %+v", st)
	if st.Received != burst || st.Sent != burst {
		t.Fatalf("received %d, sent %d, want %d each", st.Received, st.Sent, burst)
	}
	if st.RecvCalls >= burst/4 || st.SendCalls >= burst/4 {
		t.Fatalf("%d recvmmsg and %d sendmmsg calls for %d datagrams: not batched", st.RecvCalls, st.SendCalls, burst)
	}
}

// TestUDPRouteMovesDatagramsBetweenSockets: with a Route hook, each
// datagram is handled by the socket the hook names, whichever socket the
// kernel gave it to.
func TestUDPRouteMovesDatagramsBetweenSockets(t *testing.T) {
	h := &udpEcho{}
	route := func(pkt []byte, _ netip.AddrPort) int { return int(pkt[1] % 2) }
	_, ul := startUDP(t, Options{Loops: 2}, h, UDPConfig{Route: route})
	var clients []*udpClient
	for i := 0; i < 16; i++ { // many source ports, so the kernel uses both sockets
		clients = append(clients, newUDPClient(t))
	}
	for i := 0; i < 64; i++ {
		cl := clients[i%len(clients)]
		cl.send(t, ul.Addr(), []byte{0, byte(i)}, 0)
		cl.recv(t)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	forwarded := 0
	for _, d := range h.seen {
		if d.socket != int(d.id%2) {
			t.Fatalf("datagram %d was handled by socket %d, Route chose %d", d.id, d.socket, d.id%2)
		}
		if d.forwarded {
			forwarded++
		}
	}
	if forwarded == 0 {
		t.Fatalf("no datagram crossed sockets; the kernel gave all 16 clients the same socket?")
	}
	t.Logf("%d of %d datagrams were forwarded between sockets", forwarded, len(h.seen))
}

// TestUDPSendQueueWouldBlock: when the kernel stops taking datagrams the
// queue fills, sends return ErrWouldBlock, and OnWritable follows once it
// drains.
func TestUDPSendQueueWouldBlock(t *testing.T) {
	h := &udpEcho{}
	_, ul := startUDP(t, Options{Loops: 1}, h, UDPConfig{SendQueue: 8, Batch: 4})
	s := ul.Sockets()[0]
	cl := newUDPClient(t)
	to := netip.MustParseAddrPort(cl.c.LocalAddr().String())
	result := make(chan error, 1)
	s.Loop().Execute(func() {
		s.send.blocked = true // as if sendmmsg had returned EAGAIN
		for i := 0; i < 8; i++ {
			if err := s.WriteTo([]byte{0, byte(i)}, to, 0); err != nil {
				result <- err
				return
			}
		}
		if err := s.WriteTo([]byte{0, 8}, to, 0); err != ErrWouldBlock {
			result <- err
			return
		}
		if s.NextBuf() != nil {
			panic("NextBuf on a full queue returned a buffer")
		}
		s.send.blocked = false // as if EPOLLOUT had fired
		s.flush()
		result <- nil
	})
	if err := <-result; err != nil {
		t.Fatalf("filling the queue: %v", err)
	}
	for i := 0; i < 8; i++ {
		got, _ := cl.recv(t)
		if got[1] != byte(i) {
			t.Fatalf("datagram %d arrived as %d: order lost", i, got[1])
		}
	}
	if h.writable.Load() != 1 {
		t.Fatalf("OnWritable ran %d times after the queue drained, want 1", h.writable.Load())
	}
}

// TestUDPTimersAndTruncation: loop timers fire on a UDP socket's loop, and
// a datagram longer than MaxDatagram is dropped and counted.
func TestUDPTimersAndTruncation(t *testing.T) {
	h := &udpEcho{}
	_, ul := startUDP(t, Options{Loops: 1}, h, UDPConfig{MaxDatagram: 64})
	s := ul.Sockets()[0]
	fired := make(chan int64, 1)
	var tm Timer
	var deadline int64
	s.Loop().Execute(func() {
		tm.Init(s.Loop(), func(*Timer) { fired <- Now() })
		deadline = Now() + int64(30*time.Millisecond)
		tm.ResetAt(deadline)
	})
	select {
	case at := <-fired:
		if at < deadline {
			t.Fatalf("UDP loop timer fired %v early", time.Duration(deadline-at))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("timer on a UDP loop never fired")
	}
	cl := newUDPClient(t)
	cl.send(t, ul.Addr(), make([]byte, 100), 0)
	cl.send(t, ul.Addr(), []byte{0, 'k'}, 0)
	if got, _ := cl.recv(t); string(got) != "\x00k" {
		t.Fatalf("got %q, want the short datagram only", got)
	}
	stats := make(chan UDPStats, 1)
	s.Loop().Execute(func() { stats <- s.Stats() })
	if st := <-stats; st.Truncated != 1 {
		t.Fatalf("Truncated = %d, want 1", st.Truncated)
	}
}

// TestUDPStopLeavesNothingBehind: Stop gives each socket OnShutdown (the
// base handler closes it), and fds and goroutines return to where they
// were.
func TestUDPStopLeavesNothingBehind(t *testing.T) {
	fds, grs := countFDs(t), runtime.NumGoroutine()
	e, err := NewEngine(Options{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ListenUDP("127.0.0.1:0", BaseUDPHandler{}, UDPConfig{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ListenUDP("udp6://[::1]:0", BaseUDPHandler{}, UDPConfig{}); err != nil {
		t.Logf("no IPv6 loopback (%v); IPv4 only", err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	waitFor(t, "fds and goroutines back to their starting counts", func() bool {
		return countFDs(t) <= fds && runtime.NumGoroutine() <= grs
	})
}
