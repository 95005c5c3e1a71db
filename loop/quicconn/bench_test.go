package quicconn

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// Bulk upload throughput over loopback, ngloop client and server against
// quic-go client and server, in the same run:
//
//	go test -run XXX -bench BulkUpload -benchtime 20x ./loop/quicconn
//
// Each operation uploads bulkOp bytes on a new stream of one connection;
// the server discards them and answers with FIN. Both use 1452-byte
// datagrams (quic-go reaches that by path MTU discovery on loopback).

const bulkOp = 16 << 20

// sinkApp counts a stream's bytes and ends its own side at the client's FIN.
type sinkApp struct{ BaseHandler }

func (sinkApp) OnStreamData(c *Conn, id int64, _ []byte, fin bool) {
	if fin {
		_ = c.CloseStream(id)
	}
}

// uploadApp sends bulkOp bytes of a fixed buffer on each stream it starts
// and reports when the server's FIN comes back.
type uploadApp struct {
	BaseHandler
	buf  []byte
	left map[int64]int
	done chan error
}

func (a *uploadApp) start(c *Conn) {
	id, err := c.OpenStream()
	if err != nil {
		a.done <- err
		return
	}
	a.left[id] = bulkOp
	a.OnStreamWritable(c, id)
}

func (a *uploadApp) OnStreamWritable(c *Conn, id int64) {
	for a.left[id] > 0 {
		k := min(a.left[id], len(a.buf))
		n, err := c.Write(id, a.buf[:k], k == a.left[id])
		a.left[id] -= n
		if err != nil {
			if !errors.Is(err, ErrWouldBlock) {
				a.done <- err
			}
			return
		}
	}
}

func (a *uploadApp) OnStreamData(c *Conn, id int64, _ []byte, fin bool) {
	if fin {
		delete(a.left, id)
		a.done <- nil
	}
}

func (a *uploadApp) OnClose(_ *Conn, e *quic.CCErr) { a.done <- errors.New(e.String()) }

func BenchmarkBulkUploadNgloop(b *testing.B) {
	s := quic.Settings{MaxTxUDPPayloadSize: 1452}
	e := newEngine(b, 1)
	ln, err := Listen(e, "127.0.0.1:0", &Config{TLS: serverTLS(b), Handler: sinkApp{}, Settings: s, UDP: udpBuffers()})
	if err != nil {
		b.Fatal(err)
	}
	cl, err := NewClient(e, "127.0.0.1:0", &Config{TLS: clientTLS(), Settings: s, UDP: udpBuffers()})
	if err != nil {
		b.Fatal(err)
	}
	start(b, e)
	app := &uploadApp{buf: make([]byte, 64<<10), left: map[int64]int{}, done: make(chan error, 4)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cl.Dial(ctx, ln.Addr().String(), app, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(bulkOp)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Execute(func() { app.start(c) })
		if err := <-app.done; err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBulkUploadQuicGo(b *testing.B) {
	ln, err := quicgo.ListenAddr("127.0.0.1:0", serverTLS(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept(context.Background())
		if err != nil {
			return
		}
		for {
			s, err := conn.AcceptStream(context.Background())
			if err != nil {
				return
			}
			go func() {
				io.Copy(io.Discard, s)
				s.Close()
			}()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quicgo.DialAddr(ctx, ln.Addr().String(), clientTLS(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.CloseWithError(0, "")
	buf := make([]byte, 64<<10)
	b.SetBytes(bulkOp)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := conn.OpenStreamSync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for left := bulkOp; left > 0; {
			n, err := s.Write(buf[:min(left, len(buf))])
			if err != nil {
				b.Fatal(err)
			}
			left -= n
		}
		s.Close()
		if _, err := io.Copy(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}

// udpBuffers asks for socket buffers like quic-go's (it raises them to
// 7 MiB where allowed).
func udpBuffers() loop.UDPConfig {
	return loop.UDPConfig{SocketRecvBuffer: 7 << 20, SocketSendBuffer: 7 << 20}
}

// pingApp sends msg on one stream and sends it again each time the echo
// came back in full, left times, then signals done. Everything after the
// first send happens on the loop, so the benchmark measures the engine's
// round trip, not the test goroutine's.
type pingApp struct {
	BaseHandler
	id   int64
	msg  []byte
	got  int
	left int
	done chan struct{}
}

func (a *pingApp) OnStreamData(c *Conn, id int64, data []byte, _ bool) {
	a.got += len(data)
	if a.got < len(a.msg) {
		return
	}
	a.got = 0
	if a.left--; a.left <= 0 {
		a.done <- struct{}{}
		return
	}
	c.Write(id, a.msg, false)
}

// BenchmarkEchoRoundTrip: one 64-byte message and its echo per
// operation on an open stream between our client and our server: two
// stream packets each way through ReadPkt, flush, sendmmsg and recvmmsg.
// The allocation count proves the steady state allocates nothing.
func BenchmarkEchoRoundTrip(b *testing.B) {
	run := pingPair(b)
	run(1000) // warm up: windows, pools, timers
	b.ReportAllocs()
	b.ResetTimer()
	run(b.N)
}

// TestEchoRoundTripAllocs: 500 round trips on a warm stream allocate
// nothing. A round trip that allocated would cost 500 per run; the slack
// covers the test's own Execute call and a pool that grows once when a
// loaded machine delays ACKs (more packets in flight than before).
func TestEchoRoundTripAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	run := pingPair(t)
	run(1000)
	if a := testing.AllocsPerRun(5, func() { run(500) }); a > 25 {
		t.Fatalf("%v allocations per 500 echo round trips; want none but the Execute call's", a)
	}
}

// pingPair connects our client to our echo server and returns a function
// that makes n round trips of a 64-byte message on one stream.
func pingPair(t testing.TB) func(n int) {
	e := newEngine(t, 2)
	ln, err := Listen(e, "127.0.0.1:0", &Config{TLS: serverTLS(t), Handler: &echoApp{}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := NewClient(e, "127.0.0.1:0", &Config{TLS: clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	start(t, e)
	app := &pingApp{id: -1, msg: make([]byte, 64), done: make(chan struct{}, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cl.Dial(ctx, ln.Addr().String(), app, nil)
	if err != nil {
		t.Fatal(err)
	}
	return func(n int) {
		c.Execute(func() {
			app.left = n
			if app.id < 0 {
				app.id, _ = c.OpenStream()
			}
			c.Write(app.id, app.msg, false)
		})
		<-app.done
	}
}
