package quic

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

func TestConnResetStreamReachesPeer(t *testing.T) {
	var resetCode, closeCode uint64 = 0, 0
	var resetFinal uint64
	p := newTestPair(t, pairOpts{serverCB: Callbacks{
		RecvStreamData: func(*Conn, StreamDataFlags, int64, uint64, []byte) error { return nil },
		StreamReset:    func(c *Conn, id int64, final, code uint64) error { resetCode, resetFinal = code, final; return nil },
		StreamClose:    func(c *Conn, id int64, code uint64) error { closeCode = code; return nil },
	}})
	p.handshake()
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, []byte("partial"), false)
	if err := p.client.ShutdownStream(id, 0x33); err != nil {
		t.Fatal(err)
	}
	p.settle()
	if resetCode != 0x33 || resetFinal != 7 {
		t.Errorf("server StreamReset code 0x%x final %d, want 0x33 and 7", resetCode, resetFinal)
	}
	// The server answers STOP_SENDING with its own RESET_STREAM; both
	// sides then forget the stream.
	if closeCode != 0x33 {
		t.Errorf("server StreamClose code 0x%x, want 0x33", closeCode)
	}
	if p.client.StreamCount() != 0 || p.server.StreamCount() != 0 {
		t.Errorf("streams left: client %d server %d", p.client.StreamCount(), p.server.StreamCount())
	}
	if _, _, err := p.client.WriteStream(nil, nil, p.buf, 0, id, []byte("x"), p.ts); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("WriteStream after the stream closed = %v, want ErrStreamNotFound", err)
	}
}

func TestConnStopSendingMakesPeerReset(t *testing.T) {
	var stopCode uint64
	var resetSeen uint64
	p := newTestPair(t, pairOpts{
		clientCB: Callbacks{StreamStopSending: func(c *Conn, id int64, code uint64) error { stopCode = code; return nil }},
		serverCB: Callbacks{
			RecvStreamData: func(*Conn, StreamDataFlags, int64, uint64, []byte) error { return nil },
			StreamReset:    func(c *Conn, id int64, final, code uint64) error { resetSeen = code; return nil },
		},
	})
	p.handshake()
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, []byte("data"), false)
	if err := p.server.ShutdownStreamRead(id, 0x44); err != nil {
		t.Fatal(err)
	}
	p.settle()
	if stopCode != 0x44 {
		t.Fatalf("client StreamStopSending code 0x%x, want 0x44", stopCode)
	}
	if resetSeen != 0x44 {
		t.Fatalf("server got RESET_STREAM code 0x%x, want 0x44 (RFC 9000, Section 3.5)", resetSeen)
	}
	if _, _, err := p.client.WriteStream(nil, nil, p.buf, 0, id, []byte("x"), p.ts); err == nil {
		t.Errorf("WriteStream on a reset stream succeeded")
	}
}

func TestConnStreamLimitAndMaxStreams(t *testing.T) {
	var extended uint64
	p := newTestPair(t, pairOpts{
		serverParams: TransportParams{InitialMaxData: 1 << 20, InitialMaxStreamDataBidiRemote: 1 << 16, InitialMaxStreamsBidi: 2},
		clientCB:     Callbacks{ExtendMaxLocalStreamsBidi: func(c *Conn, max uint64) error { extended = max; return nil }},
	})
	p.handshake()
	var ids []int64
	for i := 0; i < 2; i++ {
		id, err := p.client.OpenBidiStream(nil)
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	if _, err := p.client.OpenBidiStream(nil); !errors.Is(err, ErrStreamIDBlocked) {
		t.Fatalf("third stream: %v, want ErrStreamIDBlocked", err)
	}
	// STREAMS_BLOCKED goes out.
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	found := false
	for _, pk := range openDatagram(t, p.server, p.buf[:n]) {
		for _, f := range pk.frames {
			if f.Type == wire.FrameStreamsBlockedBidi && f.Max == 2 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no STREAMS_BLOCKED(2) after hitting the limit")
	}
	p.deliver(true, p.buf[:n])
	// Finishing both streams in both directions frees credit.
	for _, id := range ids {
		p.writeStream(p.client, id, []byte("q"), true)
		p.writeStream(p.server, id, []byte("a"), true)
	}
	p.settle()
	if extended < 3 {
		t.Fatalf("ExtendMaxLocalStreamsBidi got %d, want >= 3 after two streams closed", extended)
	}
	if _, err := p.client.OpenBidiStream(nil); err != nil {
		t.Fatalf("stream after MAX_STREAMS: %v", err)
	}
}

func TestConnManualFlowControlBlocksAndExtends(t *testing.T) {
	p := newTestPair(t, pairOpts{
		serverSettings: Settings{ManualFlowControl: true},
		serverParams:   TransportParams{InitialMaxData: 1 << 20, InitialMaxStreamDataBidiRemote: 1000, InitialMaxStreamsBidi: 4},
	})
	p.handshake()
	id, _ := p.client.OpenBidiStream(nil)
	data := make([]byte, 3000)
	n, consumed, err := p.client.WriteStream(nil, nil, p.buf, 0, id, data, p.ts)
	if err != nil || consumed != 1000 {
		t.Fatalf("first write: %d bytes consumed (%v), want the 1000 of credit", consumed, err)
	}
	p.deliver(true, p.buf[:n])
	_, consumed, err = p.client.WriteStream(nil, nil, p.buf, 0, id, data[1000:], p.ts)
	if consumed != 0 {
		t.Fatalf("write past the credit consumed %d", consumed)
	}
	if !errors.Is(err, ErrStreamDataBlocked) {
		// The packet may carry STREAM_DATA_BLOCKED; the next call reports the block.
		_, _, err = p.client.WriteStream(nil, nil, p.buf, 0, id, data[1000:], p.ts)
	}
	if !errors.Is(err, ErrStreamDataBlocked) {
		t.Fatalf("WriteStream at the limit = %v, want ErrStreamDataBlocked", err)
	}
	p.flush()
	if len(p.srvRecv[id]) != 1000 {
		t.Fatalf("server got %d bytes", len(p.srvRecv[id]))
	}
	// Without ExtendMaxStreamOffset nothing moves.
	if _, max, _ := p.server.StreamWindows(id); max != 1000 {
		t.Fatalf("server extended the window to %d on its own under ManualFlowControl", max)
	}
	p.server.ExtendMaxStreamOffset(id, 1000)
	p.server.ExtendMaxOffset(1000)
	p.flush()
	if sendMax, _, _ := p.client.StreamWindows(id); sendMax != 2000 {
		t.Fatalf("client's stream limit is %d after ExtendMaxStreamOffset(1000), want 2000", sendMax)
	}
	p.writeStream(p.client, id, data[1000:2000], false)
	if len(p.srvRecv[id]) != 2000 {
		t.Errorf("server got %d bytes after the extension, want 2000", len(p.srvRecv[id]))
	}
}

func TestConnAutoFlowControlGrowsWindow(t *testing.T) {
	p := newTestPair(t, pairOpts{serverParams: TransportParams{InitialMaxData: 64 << 10, InitialMaxStreamDataBidiRemote: 32 << 10, InitialMaxStreamsBidi: 4}})
	p.handshake()
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, make([]byte, 4<<20), true)
	p.settle()
	if len(p.srvRecv[id]) != 4<<20 {
		t.Fatalf("server got %d bytes", len(p.srvRecv[id]))
	}
	if w := p.server.flow.recvWindow; w <= 64<<10 {
		t.Errorf("connection window stayed at %d", w)
	}
}

func TestConnWriteMorePacksStreams(t *testing.T) {
	p := establishedPair(t)
	a, _ := p.client.OpenBidiStream(nil)
	b, _ := p.client.OpenBidiStream(nil)
	buf := make([]byte, 1500)
	n, consumed, err := p.client.WriteStream(nil, nil, buf, WriteStreamFlagMore, a, []byte("first"), p.ts)
	if n != 0 || consumed != 5 || !errors.Is(err, ErrWriteMore) {
		t.Fatalf("first stream with More = %d, %d, %v; want 0, 5, ErrWriteMore", n, consumed, err)
	}
	n, consumed, err = p.client.WriteStream(nil, nil, buf, WriteStreamFlagFin, b, []byte("second"), p.ts)
	if n == 0 || consumed != 6 || err != nil {
		t.Fatalf("second stream = %d, %d, %v", n, consumed, err)
	}
	streams := 0
	for _, pk := range openDatagram(t, p.server, buf[:n]) {
		for _, f := range pk.frames {
			if f.Type == wire.FrameStream {
				streams++
			}
		}
	}
	if streams != 2 {
		t.Fatalf("the datagram has %d STREAM frames, want 2", streams)
	}
	p.deliver(true, buf[:n])
	if string(p.srvRecv[a]) != "first" || string(p.srvRecv[b]) != "second" || !p.srvFin[b] {
		t.Errorf("server got %q and %q", p.srvRecv[a], p.srvRecv[b])
	}
	// A different buffer cannot continue a datagram left open.
	p.client.WriteStream(nil, nil, buf, WriteStreamFlagMore, a, []byte("x"), p.ts)
	if _, _, err := p.client.WriteStream(nil, nil, make([]byte, 1500), 0, a, []byte("y"), p.ts); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("continuing in another buffer = %v, want ErrInvalidArgument", err)
	}
}

func TestConnOutOfOrderReassembly(t *testing.T) {
	p := establishedPair(t)
	msg := make([]byte, 10000)
	genChunk(3, msg)
	// Frames in reverse order, overlapping.
	for off := 9000; off >= 0; off -= 1000 {
		end := min(off+1500, len(msg))
		if err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, 0, uint64(off), msg[off:end], end == len(msg), true)); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(p.srvRecv[0], msg) || !p.srvFin[0] {
		t.Fatalf("reassembled %d bytes fin %v, want %d with fin", len(p.srvRecv[0]), p.srvFin[0], len(msg))
	}
}

func TestConnTooManyGapsIsRefused(t *testing.T) {
	p := newTestPair(t, pairOpts{serverSettings: Settings{MaxStreamGaps: 8}})
	p.handshake()
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, 0, uint64(10+i*10), []byte("x"), false, true))
	}
	p.wantViolation("a stream fragmented past MaxStreamGaps", p.server, err, InternalError, ErrNoMem)
}

func TestConnFinOnlyFrameAcked(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, []byte("body"), false)
	p.settle()
	p.writeStream(p.client, id, nil, true) // FIN alone, after all data was acknowledged
	p.writeStream(p.server, id, nil, true)
	p.settle()
	if !p.srvFin[id] || p.client.StreamCount() != 0 {
		t.Fatalf("FIN-only frame: server fin %v, client streams %d", p.srvFin[id], p.client.StreamCount())
	}
}

// framesOf returns the frames of a datagram from `from` as its peer reads them.
func (p *testPair) framesOf(from *Conn, d []byte) []wire.Frame {
	to := p.server
	if from == p.server {
		to = p.client
	}
	var out []wire.Frame
	for _, pk := range openDatagramDCIDLen(p.t, to, d, len(from.dcid)) {
		out = append(out, pk.frames...)
	}
	return out
}

func TestConnBlockedFramesAreSent(t *testing.T) {
	p := newTestPair(t, pairOpts{
		serverSettings: Settings{ManualFlowControl: true},
		serverParams:   TransportParams{InitialMaxData: 1500, InitialMaxStreamDataBidiRemote: 1000, InitialMaxStreamsBidi: 4},
	})
	p.handshake()
	a, _ := p.client.OpenBidiStream(nil)
	b, _ := p.client.OpenBidiStream(nil)
	var seen []wire.Frame
	write := func(id int64, n int) {
		for i := 0; i < 3; i++ {
			m, _, _ := p.client.WriteStream(nil, nil, p.buf, 0, id, make([]byte, n), p.ts)
			if m > 0 {
				seen = append(seen, p.framesOf(p.client, p.buf[:m])...)
				p.deliver(true, p.buf[:m])
			}
		}
	}
	write(a, 2000) // stream a hits its 1000-byte limit
	write(b, 2000) // stream b gets 500, then the connection's 1500 is used up
	var streamBlocked, dataBlocked bool
	for _, f := range seen {
		if f.Type == wire.FrameStreamDataBlocked && f.StreamID == a && f.Max == 1000 {
			streamBlocked = true
		}
		if f.Type == wire.FrameDataBlocked && f.Max == 1500 {
			dataBlocked = true
		}
	}
	if !streamBlocked || !dataBlocked {
		t.Fatalf("STREAM_DATA_BLOCKED(a, 1000) sent %v, DATA_BLOCKED(1500) sent %v", streamBlocked, dataBlocked)
	}
}

func TestConnAckDelayIsReported(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.client.OpenBidiStream(nil)
	n, _, _ := p.client.WriteStream(nil, nil, p.buf, 0, id, []byte("one packet"), p.ts)
	p.deliver(true, p.buf[:n])
	// A single ack-eliciting packet: the ACK waits for max_ack_delay.
	if m, _ := p.server.WritePkt(nil, nil, p.buf, p.ts); m != 0 {
		t.Fatalf("server acknowledged a single packet at once (%d bytes)", m)
	}
	exp := p.server.Expiry()
	if want := p.ts + Tstamp(p.server.local.MaxAckDelay); exp != want {
		t.Fatalf("Expiry %d, want the delayed ACK at %d", exp, want)
	}
	p.ts = exp
	p.server.HandleExpiry(p.ts)
	m, _ := p.server.WritePkt(nil, nil, p.buf, p.ts)
	var ack *wire.Frame
	for _, f := range p.framesOf(p.server, p.buf[:m]) {
		if f.Type == wire.FrameAck {
			ack = &f
		}
	}
	if ack == nil {
		t.Fatal("no ACK after max_ack_delay")
	}
	// 25 ms in microseconds, scaled by 2^3.
	if got := ack.AckDelay << ackDelayExponent; got != uint64(p.server.local.MaxAckDelay/Microseconds) {
		t.Errorf("ACK delay field %d (x8 = %d us), want %d us", ack.AckDelay, got, p.server.local.MaxAckDelay/Microseconds)
	}
}

func TestConnExtendMaxOffsetSaturates(t *testing.T) {
	p := newTestPair(t, pairOpts{serverSettings: Settings{ManualFlowControl: true}})
	p.handshake()
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, []byte("x"), false)
	p.server.ExtendMaxStreamOffset(id, ^uint64(0))
	p.server.ExtendMaxOffset(^uint64(0))
	p.server.ExtendMaxOffset(^uint64(0))
	p.flush() // MAX_DATA / MAX_STREAM_DATA must still encode
	if _, max, _ := p.server.StreamWindows(id); max != wire.MaxVarint {
		t.Errorf("stream limit %d, want 2^62-1", max)
	}
	if sendMax, _ := p.client.ConnWindows(); sendMax != wire.MaxVarint {
		t.Errorf("client's connection limit %d, want 2^62-1", sendMax)
	}
}
