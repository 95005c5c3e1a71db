package quic

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// Transfers through lossyRelay (see lossy_relay_test.go): our client and
// server against each other and against quic-go, at 5%, 15% and 30%,
// with the handshake itself under 30% loss, and a 2 s blackout in the
// middle of a transfer.

// lossyFull makes every lossy transfer 16 MiB. By default only the 5%
// ones are: at 15% and 30% (37% of datagrams lost per direction, ACKs
// included) a 16 MiB transfer takes minutes with any stack, quic-go's
// included, which CI cannot afford on every run.
var lossyFull = flag.Bool("lossy.full", false, "lossy tests: 16 MiB transfers at every loss rate")

// lossySize is the transfer size at a loss rate: 16 MiB at 5%, 4 MiB at
// 15%, 512 KiB at 30% (16 MiB each with -lossy.full); a quarter of that
// at most under the race detector or -short.
func lossySize(rate float64) int {
	if *lossyFull {
		return 16 << 20
	}
	n := 512 << 10
	switch {
	case rate <= 0.05:
		n = 16 << 20
	case rate <= 0.15:
		n = 4 << 20
	}
	if raceEnabled || testing.Short() {
		n = min(n/4, 1<<20)
	}
	return n
}

// lossyTimeout bounds one lossy transfer.
func lossyTimeout() time.Duration {
	if *lossyFull {
		return 30 * time.Minute
	}
	return 150 * time.Second
}

// lossyHandshakeTimeout replaces the 10 s default: with the initial RTT
// of 333 ms, three lost flights in a row already cost 1+2+4 s of PTO
// backoff (RFC 9002, Section 6.2.1), which 30% loss both ways makes
// common.
const lossyHandshakeTimeout = 40 * Seconds

// lossyServer is ourServer with lossyParams and lossyHandshakeTimeout.
func lossyServer(t *testing.T) *udpSide {
	srv, _ := ourServer(t, lossyParams())
	srv.cfg.Settings.HandshakeTimeout = lossyHandshakeTimeout
	return srv
}

// lossyClient is ourClient with lossyParams and lossyHandshakeTimeout.
func lossyClient(t *testing.T, addr *net.UDPAddr) *udpSide {
	cli := ourClientConfig(t, addr, lossyParams(), nil)
	cli.cfg.Settings.HandshakeTimeout = lossyHandshakeTimeout
	cli.dial(addr)
	return cli
}

// lossyParams gives our endpoints a 60 s idle timeout: at 30% loss both
// ways a run of lost probes can leave a peer silent for many seconds.
func lossyParams() TransportParams {
	p := interopServerParams()
	p.MaxIdleTimeout = 60 * Seconds
	return p
}

var lossyRates = []struct {
	name string
	rate float64
}{{"5pct", 0.05}, {"15pct", 0.15}, {"30pct", 0.30}}

// ourDownload runs our client until it has downloaded n bytes with
// "GET n" and checks them against the generated content. onProgress,
// when set, sees the byte count after each delivery.
func ourDownload(t *testing.T, ctx context.Context, cli *udpSide, n int, onProgress func(int)) {
	t.Helper()
	want := bulkDigest(n)
	down := int64(-1)
	h := sha256.New()
	got := 0
	cli.onData = func(id int64, data []byte, fin bool) {
		if id == down {
			h.Write(data)
			got += len(data)
			if onProgress != nil {
				onProgress(got)
			}
		}
	}
	start := time.Now()
	err := cli.run(ctx, func() bool {
		if down < 0 && cli.conn.HandshakeCompleted() {
			down, _ = cli.conn.OpenBidiStream(nil)
			cli.send(down, []byte(fmt.Sprintf("GET %d\n", n)), true)
		}
		return down >= 0 && cli.streams[down].recvFin
	})
	if err != nil {
		t.Fatalf("our client: %v after %v (downloaded %d of %d bytes)", err, time.Since(start), got, n)
	}
	if got != n || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("download: %d bytes, digest match %v; want %d intact bytes", got, bytes.Equal(h.Sum(nil), want[:]), n)
	}
	info := cli.conn.Info()
	t.Logf("%d bytes in %v; client: %d packets received, srtt %v", n, time.Since(start).Round(time.Millisecond), info.PacketsReceived, info.SmoothedRTT)
}

// quicGoDownload has a quic-go client download n bytes over c and checks them.
func quicGoDownload(t *testing.T, ctx context.Context, c *quicgo.Conn, n int, onProgress func(int)) {
	t.Helper()
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(st, "GET %d\n", n)
	st.Close()
	want := bulkDigest(n)
	h := sha256.New()
	got := 0
	buf := make([]byte, 64<<10)
	start := time.Now()
	for {
		k, err := st.Read(buf)
		h.Write(buf[:k])
		got += k
		if onProgress != nil {
			onProgress(got)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("quic-go client: %v after %v (downloaded %d of %d bytes)", err, time.Since(start), got, n)
		}
	}
	if got != n || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("download: quic-go got %d bytes, digest match %v; want %d intact bytes", got, bytes.Equal(h.Sum(nil), want[:]), n)
	}
	t.Logf("%d bytes in %v", n, time.Since(start).Round(time.Millisecond))
}

func lossyQuicGoConf() *quicgo.Config {
	return &quicgo.Config{HandshakeIdleTimeout: 40 * time.Second, MaxIdleTimeout: 60 * time.Second}
}

func TestLossyOurClientOurServer(t *testing.T) {
	t.Parallel()
	for i, rc := range lossyRates {
		t.Run(rc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), lossyTimeout())
			defer cancel()
			srv := lossyServer(t)
			stop := make(chan struct{})
			wait := runSide(srv, ctx, stop, nil)
			relay := newLossyRelay(t, srv.addr(), rc.rate, uint64(100+i))
			cli := lossyClient(t, relay.addr())
			ourDownload(t, ctx, cli, lossySize(rc.rate), nil)
			close(stop)
			wait() // the server's state is ours to read from here on
			if srv.conn.Info().PacketsLost == 0 {
				t.Errorf("our server declared no packet lost through a %.0f%% lossy relay", rc.rate*100)
			}
		})
	}
}

func TestLossyQuicGoClientOurServer(t *testing.T) {
	t.Parallel()
	for i, rc := range lossyRates {
		t.Run(rc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), lossyTimeout())
			defer cancel()
			srv := lossyServer(t)
			stop := make(chan struct{})
			wait := runSide(srv, ctx, stop, nil)
			defer func() { close(stop); wait() }()
			relay := newLossyRelay(t, srv.addr(), rc.rate, uint64(200+i))
			c := dialQuicGo(t, ctx, relay.addr(), lossyQuicGoConf())
			defer c.CloseWithError(0, "")
			quicGoDownload(t, ctx, c, lossySize(rc.rate), nil)
		})
	}
}

func TestLossyOurClientQuicGoServer(t *testing.T) {
	t.Parallel()
	for i, rc := range lossyRates {
		t.Run(rc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), lossyTimeout())
			defer cancel()
			srv := startQuicGoServer(t, lossyQuicGoConf(), nil)
			relay := newLossyRelay(t, srv.addr(), rc.rate, uint64(300+i))
			cli := lossyClient(t, relay.addr())
			ourDownload(t, ctx, cli, lossySize(rc.rate), nil)
		})
	}
}

// TestLossyHandshake30pct: handshakes with every datagram, Initial and
// Handshake packets included, going through the 30% relay; each seed is
// a different pattern of losses.
func TestLossyHandshake30pct(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprintf("ours/seed%d", seed), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			srv := lossyServer(t)
			stop := make(chan struct{})
			wait := runSide(srv, ctx, stop, nil)
			defer func() { close(stop); wait() }()
			relay := newLossyRelay(t, srv.addr(), 0.30, 400+seed)
			cli := lossyClient(t, relay.addr())
			// Completion with an echo on top: the client's handshake is
			// done, and the server got far enough to answer a stream.
			ourEcho(t, ctx, cli)
		})
		t.Run(fmt.Sprintf("quicgo/seed%d", seed), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			srv := lossyServer(t)
			stop := make(chan struct{})
			wait := runSide(srv, ctx, stop, nil)
			defer func() { close(stop); wait() }()
			relay := newLossyRelay(t, srv.addr(), 0.30, 500+seed)
			c := dialQuicGo(t, ctx, relay.addr(), lossyQuicGoConf())
			defer c.CloseWithError(0, "")
			st, err := c.OpenStreamSync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			st.Write([]byte("ECHOhello"))
			st.Close()
			got, err := io.ReadAll(st)
			if err != nil || string(got) != "hello" {
				t.Fatalf("echo after a handshake through 30%% loss: %q, %v", got, err)
			}
		})
	}
}

// ourEcho completes the handshake and one echo on our client.
func ourEcho(t *testing.T, ctx context.Context, cli *udpSide) {
	t.Helper()
	id := int64(-1)
	var got []byte
	cli.onData = func(sid int64, data []byte, fin bool) {
		if sid == id {
			got = append(got, data...)
		}
	}
	err := cli.run(ctx, func() bool {
		if id < 0 && cli.conn.HandshakeCompleted() {
			id, _ = cli.conn.OpenBidiStream(nil)
			cli.send(id, []byte("ECHOhello"), true)
		}
		return id >= 0 && cli.streams[id].recvFin
	})
	if err != nil || string(got) != "hello" {
		t.Fatalf("handshake and echo through 30%% loss: %q, %v (handshake completed %v)", got, err, cli.conn.HandshakeCompleted())
	}
}

// TestLossyBlackout2s: the relay passes nothing at all for 2 s once half
// of a transfer arrived (with 5% impairment around it); the connection
// must neither time out nor corrupt data, and finish the transfer.
func TestLossyBlackout2s(t *testing.T) {
	t.Parallel()
	n := lossySize(0.05)
	t.Run("ours", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), lossyTimeout())
		defer cancel()
		srv := lossyServer(t)
		stop := make(chan struct{})
		wait := runSide(srv, ctx, stop, nil)
		defer func() { close(stop); wait() }()
		relay := newLossyRelay(t, srv.addr(), 0.05, 600)
		cli := lossyClient(t, relay.addr())
		var at time.Time
		ourDownload(t, ctx, cli, n, func(got int) {
			if at.IsZero() && got >= n/2 {
				at = time.Now()
				relay.blackout(2 * time.Second)
			}
		})
		if at.IsZero() || time.Since(at) < 2*time.Second {
			t.Fatalf("the transfer finished without going through the blackout")
		}
	})
	t.Run("quicgo", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), lossyTimeout())
		defer cancel()
		srv := lossyServer(t)
		stop := make(chan struct{})
		wait := runSide(srv, ctx, stop, nil)
		defer func() { close(stop); wait() }()
		relay := newLossyRelay(t, srv.addr(), 0.05, 700)
		c := dialQuicGo(t, ctx, relay.addr(), lossyQuicGoConf())
		defer c.CloseWithError(0, "")
		var at time.Time
		quicGoDownload(t, ctx, c, n, func(got int) {
			if at.IsZero() && got >= n/2 {
				at = time.Now()
				relay.blackout(2 * time.Second)
			}
		})
		if at.IsZero() || time.Since(at) < 2*time.Second {
			t.Fatalf("the transfer finished without going through the blackout")
		}
	})
}
