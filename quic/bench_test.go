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

func BenchmarkStreamPacketWriteRead(b *testing.B) {
	l := newStreamPacketLoop(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(l.data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.step(b)
	}
}

func TestStreamPacketWriteReadAllocs(t *testing.T) {
	l := newStreamPacketLoop(t)
	if a := testing.AllocsPerRun(2000, func() { l.step(t) }); a != 0 {
		t.Fatalf("a stream packet written by one Conn and read by another allocates %.2f times, want 0", a)
	}
}
