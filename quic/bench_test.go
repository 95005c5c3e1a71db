package quic

import (
	"testing"
)

// streamPacketLoop is the steady state of a bulk stream: the client writes
// a 1000-byte STREAM packet, the server reads it, and every other round
// the server's ACK (and window updates) go back to the client.
type streamPacketLoop struct {
	p    *testPair
	id   int64
	data []byte
	buf  []byte
	i    int
}

func newStreamPacketLoop(tb testing.TB) *streamPacketLoop {
	p := newTestPair(tb, pairOpts{serverCB: Callbacks{
		RecvStreamData: func(*Conn, StreamDataFlags, int64, uint64, []byte) error { return nil },
	}})
	p.handshake()
	id, err := p.client.OpenBidiStream(nil)
	if err != nil {
		tb.Fatal(err)
	}
	l := &streamPacketLoop{p: p, id: id, data: make([]byte, 1000), buf: make([]byte, 1500)}
	for i := 0; i < 5000; i++ { // warm up: buffers reach their working size
		l.step(tb)
	}
	return l
}

func (l *streamPacketLoop) step(tb testing.TB) {
	p := l.p
	p.ts += Tstamp(100 * Microseconds)
	n, consumed, err := p.client.WriteStream(nil, nil, l.buf, WriteStreamFlagNone, l.id, l.data, p.ts)
	if err != nil || n == 0 || consumed == 0 {
		tb.Fatalf("WriteStream = %d, %d, %v", n, consumed, err)
	}
	if err := p.server.ReadPkt(nil, nil, l.buf[:n], p.ts); err != nil {
		tb.Fatalf("server ReadPkt: %v", err)
	}
	l.i++
	if l.i%2 == 0 {
		for {
			n, err := p.server.WritePkt(nil, nil, l.buf, p.ts)
			if err != nil {
				tb.Fatalf("server WritePkt: %v", err)
			}
			if n == 0 {
				break
			}
			if err := p.client.ReadPkt(nil, nil, l.buf[:n], p.ts); err != nil {
				tb.Fatalf("client ReadPkt: %v", err)
			}
		}
	}
}

// benchStep runs step b.N times reporting allocations and throughput.
func benchStep(b *testing.B, bytes int, step func(testing.TB)) {
	b.ReportAllocs()
	b.SetBytes(int64(bytes))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(b)
	}
}

// wantNoAllocs fails when step allocates in steady state.
func wantNoAllocs(t *testing.T, what string, step func(testing.TB)) {
	if a := testing.AllocsPerRun(2000, func() { step(t) }); a != 0 {
		t.Fatalf("%s allocates %.2f times, want 0", what, a)
	}
}

func BenchmarkStreamPacketWriteRead(b *testing.B) {
	l := newStreamPacketLoop(b)
	benchStep(b, len(l.data), l.step)
}

func TestStreamPacketWriteReadAllocs(t *testing.T) {
	wantNoAllocs(t, "a stream packet written by one Conn and read by another", newStreamPacketLoop(t).step)
}

// echoLoop is an echo round trip on one stream: the client sends 1000
// bytes, the server's callback copies them into its echo buffer, the
// server writes them back, the client reads them, ACKs flow both ways.
type echoLoop struct {
	p    *testPair
	id   int64
	data []byte
	echo []byte
	buf  []byte
}

func newEchoLoop(tb testing.TB) *echoLoop {
	l := &echoLoop{data: make([]byte, 1000), echo: make([]byte, 0, 4096), buf: make([]byte, 1500)}
	l.p = newTestPair(tb, pairOpts{
		serverCB: Callbacks{RecvStreamData: func(c *Conn, _ StreamDataFlags, _ int64, _ uint64, d []byte) error {
			l.echo = append(l.echo, d...)
			return nil
		}},
		clientCB: Callbacks{RecvStreamData: func(*Conn, StreamDataFlags, int64, uint64, []byte) error { return nil }},
	})
	l.p.handshake()
	l.id, _ = l.p.client.OpenBidiStream(nil)
	for i := 0; i < 5000; i++ {
		l.step(tb)
	}
	return l
}

func (l *echoLoop) step(tb testing.TB) {
	p := l.p
	p.ts += Tstamp(100 * Microseconds)
	pass := func(from, to *Conn, id int64, data []byte) {
		for len(data) > 0 || id < 0 {
			n, consumed, err := from.WriteStream(nil, nil, l.buf, 0, id, data, p.ts)
			if err != nil {
				tb.Fatalf("WriteStream: %v", err)
			}
			if n == 0 {
				return
			}
			if err := to.ReadPkt(nil, nil, l.buf[:n], p.ts); err != nil {
				tb.Fatalf("ReadPkt: %v", err)
			}
			data = data[consumed:]
		}
	}
	pass(p.client, p.server, l.id, l.data)
	pass(p.server, p.client, l.id, l.echo)
	l.echo = l.echo[:0]
	pass(p.client, p.server, -1, nil) // ACKs and window updates
	pass(p.server, p.client, -1, nil)
}

func BenchmarkStreamEchoRoundTrip(b *testing.B) {
	l := newEchoLoop(b)
	benchStep(b, len(l.data), l.step)
}

func TestStreamEchoRoundTripAllocs(t *testing.T) {
	wantNoAllocs(t, "an echo round trip", newEchoLoop(t).step)
}
