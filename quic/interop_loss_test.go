package quic

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

// lossyProxy relays UDP between one client and a server address and
// drops a share of the datagrams in each direction.
type lossyProxy struct {
	pc      *net.UDPConn
	server  *net.UDPAddr
	mu      sync.Mutex
	client  *net.UDPAddr
	rng     *rand.Rand
	percent int
	dropped int
}

func startLossyProxy(t *testing.T, server *net.UDPAddr, percent int) *lossyProxy {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = pc.SetReadBuffer(4 << 20)
	p := &lossyProxy{pc: pc, server: server, rng: rand.New(rand.NewPCG(3, 4)), percent: percent}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFromUDP(buf)
			if err != nil {
				return
			}
			p.mu.Lock()
			to := p.server
			if from.Port == p.server.Port && from.IP.Equal(p.server.IP) {
				to = p.client
			} else {
				p.client = from
			}
			drop := p.rng.IntN(100) < p.percent
			if drop {
				p.dropped++
			}
			p.mu.Unlock()
			if !drop && to != nil {
				pc.WriteToUDP(buf[:n], to)
			}
		}
	}()
	return p
}

func (p *lossyProxy) addr() *net.UDPAddr { return p.pc.LocalAddr().(*net.UDPAddr) }

// TestInteropOurClientLossyPath runs a transfer and an echo between our
// client and a quic-go server through a proxy that drops 5% of the
// datagrams both ways: loss recovery against a real peer.
func TestInteropOurClientLossyPath(t *testing.T) {
	n := 4 << 20
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := startQuicGoServer(t, nil, nil)
	proxy := startLossyProxy(t, srv.addr(), 5)
	cli := ourClient(t, proxy.addr(), DefaultTransportParams())
	col := collect(cli)
	want := bulkDigest(n)
	up, echo := int64(-1), int64(-1)
	msg := bytes.Repeat([]byte("lossy "), 10000)
	err := cli.run(ctx, func() bool {
		if cli.conn.HandshakeCompleted() && up < 0 {
			up, _ = cli.conn.OpenBidiStream(nil)
			cli.send(up, []byte("HASH"), false)
			cli.sendGen(up, bulkGen(n))
			echo, _ = cli.conn.OpenBidiStream(nil)
			cli.send(echo, append([]byte("ECHO"), msg...), true)
		}
		return up >= 0 && col.fin[up] && col.fin[echo]
	})
	if err != nil {
		t.Fatalf("our client over a lossy path: %v", err)
	}
	if got := col.data[up].Bytes(); !bytes.Equal(got, want[:]) {
		t.Errorf("upload digest %x, want %x", got, want)
	}
	if !bytes.Equal(col.data[echo].Bytes(), msg) {
		t.Errorf("echo: %d bytes, want %d identical", col.data[echo].Len(), len(msg))
	}
	proxy.mu.Lock()
	dropped := proxy.dropped
	proxy.mu.Unlock()
	info := cli.conn.Info()
	t.Logf("proxy dropped %d datagrams; our client declared %d packets lost, PTO count %d, cwnd %d", dropped, info.PacketsLost, info.PTOCount, info.CWND)
	if dropped == 0 || info.PacketsLost == 0 {
		t.Errorf("no loss happened (dropped %d, lost %d)", dropped, info.PacketsLost)
	}
}

// TestInteropQuicGoClientLossyPath is the same with quic-go as the client
// and our server, downloading through the lossy proxy.
func TestInteropQuicGoClientLossyPath(t *testing.T) {
	n := 4 << 20
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, _ := ourServer(t, interopServerParams())
	stop := make(chan struct{})
	wait := runSide(srv, ctx, stop, nil)
	proxy := startLossyProxy(t, srv.addr(), 5)
	c := dialQuicGo(t, ctx, proxy.addr(), nil)
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(st, "GET %d\n", n)
	st.Close()
	h := sha256.New()
	m, err := io.Copy(h, st)
	want := bulkDigest(n)
	c.CloseWithError(0, "")
	close(stop)
	wait()
	if err != nil || int(m) != n || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("download through 5%% loss: %d bytes (%v), digest match %v", m, err, bytes.Equal(h.Sum(nil), want[:]))
	}
	info := srv.conn.Info()
	t.Logf("our server declared %d packets lost, cwnd %d", info.PacketsLost, info.CWND)
	if info.PacketsLost == 0 {
		t.Errorf("our server detected no loss")
	}
}
