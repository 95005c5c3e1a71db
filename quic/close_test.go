package quic

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/protect"
	"github.com/ngloop/ngloop/quic/internal/wire"
)

// Tests for WriteConnectionClose, one per clause of
// seeds/ngtcp2_conn_write_connection_close.txt. Each decrypts the bytes
// written, with the receiving side's keys, and checks the frames.

type openedPkt struct {
	typ    wire.PacketType
	frames []wire.Frame
}

// openDatagram decrypts every packet of a datagram with the keys of the
// Conn that would receive it (by copy, leaving that Conn untouched).
func openDatagram(t testing.TB, rcv *Conn, b []byte) []openedPkt {
	t.Helper()
	return openDatagramDCIDLen(t, rcv, b, len(rcv.scid))
}

// openDatagramDCIDLen is openDatagram for short headers whose
// Destination Connection ID has dcidLen bytes.
func openDatagramDCIDLen(t testing.TB, rcv *Conn, b []byte, dcidLen int) []openedPkt {
	t.Helper()
	b = append([]byte(nil), b...)
	var out []openedPkt
	for len(b) > 0 {
		hdr, err := wire.ParseHeader(b, dcidLen)
		if err != nil {
			t.Fatalf("datagram does not parse: %v", err)
		}
		var k protect.Keys
		switch hdr.Type {
		case wire.PacketInitial:
			k = rcv.spaces[spaceInitial].recvKeys
		case wire.PacketHandshake:
			k = rcv.spaces[spaceHandshake].recvKeys
		case wire.Packet1RTT:
			k = rcv.spaces[spaceApp].recvKeys
		}
		if !k.IsSet() {
			t.Fatalf("receiver has no keys for the %v packet", hdr.Type)
		}
		pkt := b[:hdr.PacketLen]
		pn, pnLen, err := k.RemoveHeaderProtection(pkt, hdr.PNOffset, rcv.spaces[spaceOf(hdr.Type)].recv.largest)
		if err != nil {
			t.Fatalf("%v packet: header protection: %v", hdr.Type, err)
		}
		payload, err := k.Decrypt(pkt, hdr.PNOffset+pnLen, pn)
		if err != nil {
			t.Fatalf("%v packet: decrypt: %v", hdr.Type, err)
		}
		op := openedPkt{typ: hdr.Type}
		for len(payload) > 0 {
			var f wire.Frame
			n, err := wire.ParseFrame(payload, &f)
			if err != nil {
				t.Fatalf("%v packet: frame: %v", hdr.Type, err)
			}
			f.Reason = append([]byte(nil), f.Reason...)
			op.frames = append(op.frames, f)
			payload = payload[n:]
		}
		out = append(out, op)
		b = b[hdr.PacketLen:]
	}
	return out
}

func spaceOf(t wire.PacketType) spaceID {
	switch t {
	case wire.PacketInitial:
		return spaceInitial
	case wire.PacketHandshake:
		return spaceHandshake
	}
	return spaceApp
}

// closeFrames returns the CONNECTION_CLOSE frames per packet type.
func closeFrames(pkts []openedPkt) map[wire.PacketType]wire.Frame {
	m := map[wire.PacketType]wire.Frame{}
	for _, p := range pkts {
		for _, f := range p.frames {
			if f.Type == wire.FrameConnectionClose || f.Type == wire.FrameConnectionCloseApp {
				m[p.typ] = f
			}
		}
	}
	return m
}

func establishedPair(t *testing.T) *testPair {
	p := newTestPair(t, pairOpts{})
	p.handshake()
	return p
}

func TestWriteConnectionCloseTransportSendsType0x1c(t *testing.T) {
	p := establishedPair(t)
	buf := make([]byte, 1500)
	n, err := p.server.WriteConnectionClose(nil, nil, buf, &CCErr{Type: CCErrTypeTransport, ErrorCode: FlowControlError, FrameType: 0x08, Reason: []byte("too much")}, p.ts)
	if err != nil || n == 0 {
		t.Fatalf("WriteConnectionClose = %d, %v; want a packet", n, err)
	}
	cf := closeFrames(openDatagram(t, p.client, buf[:n]))
	f, ok := cf[wire.Packet1RTT]
	if !ok || len(cf) != 1 {
		t.Fatalf("want one CONNECTION_CLOSE in a 1-RTT packet after the handshake, got %v", cf)
	}
	if f.RawType != 0x1c || f.ErrorCode != FlowControlError || f.ErrorFrameType != 0x08 || string(f.Reason) != "too much" {
		t.Errorf("frame type 0x%x code 0x%x frame 0x%x reason %q; want 0x1c FLOW_CONTROL_ERROR frame 0x08 \"too much\"",
			uint64(f.RawType), f.ErrorCode, f.ErrorFrameType, f.Reason)
	}
}

func TestWriteConnectionCloseApplicationSendsType0x1d(t *testing.T) {
	p := establishedPair(t)
	buf := make([]byte, 1500)
	n, err := p.client.WriteConnectionClose(nil, nil, buf, &CCErr{Type: CCErrTypeApplication, ErrorCode: 0x1234, Reason: []byte("app bye")}, p.ts)
	if err != nil || n == 0 {
		t.Fatalf("WriteConnectionClose = %d, %v", n, err)
	}
	cf := closeFrames(openDatagram(t, p.server, buf[:n]))
	f, ok := cf[wire.Packet1RTT]
	if !ok || f.RawType != 0x1d || f.ErrorCode != 0x1234 || string(f.Reason) != "app bye" {
		t.Fatalf("application close wrote %v; want a 0x1d frame with code 0x1234 \"app bye\" in 1-RTT", cf)
	}
	// The peer sees it with code and reason.
	p.deliver(true, buf[:n])
	e := p.server.CloseError()
	if e == nil || e.Type != CCErrTypeApplication || e.ErrorCode != 0x1234 || string(e.Reason) != "app bye" || !p.server.InDrainingPeriod() {
		t.Errorf("peer's CloseError = %v draining=%v; want application 0x1234 \"app bye\" and draining", e, p.server.InDrainingPeriod())
	}
}

func TestWriteConnectionCloseApplicationDuringHandshakeBecomesApplicationError(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	// Client Initial -> server; server answers with Initial+Handshake.
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	p.deliver(true, p.buf[:n])
	n, _ = p.client.WritePkt(nil, nil, p.buf, p.ts)
	if n > 0 {
		p.deliver(true, p.buf[:n])
	}
	// The server's flight reaches the client, which thus has Initial and
	// Handshake keys; the client's answer is not sent.
	for {
		n, err := p.server.WritePkt(nil, nil, p.buf, p.ts)
		if err != nil || n == 0 {
			break
		}
		p.deliver(false, p.buf[:n])
	}
	if p.server.handshakeCompleted {
		t.Fatal("server completed the handshake too early for this test")
	}
	buf := make([]byte, 1500)
	n, err := p.server.WriteConnectionClose(nil, nil, buf, &CCErr{Type: CCErrTypeApplication, ErrorCode: 0x99, Reason: []byte("secret")}, p.ts)
	if err != nil || n == 0 {
		t.Fatalf("WriteConnectionClose = %d, %v", n, err)
	}
	cf := closeFrames(openDatagram(t, p.client, buf[:n]))
	for _, typ := range []wire.PacketType{wire.PacketInitial, wire.PacketHandshake} {
		f, ok := cf[typ]
		if !ok {
			t.Errorf("no CONNECTION_CLOSE in the %v packet (RFC 9000, Section 10.2.3: every space with keys)", typ)
			continue
		}
		if f.RawType != 0x1c || f.ErrorCode != ApplicationError || len(f.Reason) != 0 {
			t.Errorf("%v packet: type 0x%x code 0x%x reason %q; want 0x1c APPLICATION_ERROR with an empty reason",
				typ, uint64(f.RawType), f.ErrorCode, f.Reason)
		}
	}
	if f, ok := cf[wire.Packet1RTT]; ok && (f.RawType != 0x1d || f.ErrorCode != 0x99) {
		t.Errorf("1-RTT packet: type 0x%x code 0x%x; want the application's 0x1d 0x99", uint64(f.RawType), f.ErrorCode)
	}
}

func TestWriteConnectionCloseUnknownTypeWritesNothing(t *testing.T) {
	p := establishedPair(t)
	for _, typ := range []CCErrType{CCErrTypeVersionNegotiation, CCErrTypeIdleClose, 77} {
		buf := bytes.Repeat([]byte{0xee}, 1500)
		n, err := p.client.WriteConnectionClose(nil, nil, buf, &CCErr{Type: typ, ErrorCode: 1}, p.ts)
		if n != 0 || err != nil {
			t.Errorf("type %d: WriteConnectionClose = %d, %v; want 0, nil", typ, n, err)
		}
		if !bytes.Equal(buf, bytes.Repeat([]byte{0xee}, 1500)) {
			t.Errorf("type %d: dest was written", typ)
		}
		if p.client.InClosingPeriod() || p.client.CloseError() != nil {
			t.Errorf("type %d: the connection closed", typ)
		}
	}
}

func TestWriteConnectionCloseSmallBufferGivesNoBuf(t *testing.T) {
	p := establishedPair(t)
	buf := make([]byte, 24)
	n, err := p.client.WriteConnectionClose(nil, nil, buf, &CCErr{Type: CCErrTypeTransport, Reason: []byte("a reason that does not fit")}, p.ts)
	if n != 0 || !errors.Is(err, ErrNoBuf) {
		t.Fatalf("WriteConnectionClose into 24 bytes = %d, %v; want 0, ErrNoBuf", n, err)
	}
	if p.client.InClosingPeriod() {
		t.Errorf("a failed WriteConnectionClose closed the connection")
	}
	// A big enough buffer then works.
	if n, err := p.client.WriteConnectionClose(nil, nil, make([]byte, 1500), &CCErr{Type: CCErrTypeTransport}, p.ts); n == 0 || err != nil {
		t.Errorf("retry with 1500 bytes = %d, %v", n, err)
	}
}

func TestWriteConnectionCloseClientInitialNeedsMaxUDPPayloadSize(t *testing.T) {
	// Before any server packet a client can only close in an Initial
	// packet, which must be in a datagram of 1200 bytes.
	p := newTestPair(t, pairOpts{})
	n, err := p.client.WriteConnectionClose(nil, nil, make([]byte, MaxUDPPayloadSize-1), &CCErr{Type: CCErrTypeTransport}, p.ts)
	if n != 0 || !errors.Is(err, ErrNoBuf) {
		t.Fatalf("client close into %d bytes = %d, %v; want ErrNoBuf", MaxUDPPayloadSize-1, n, err)
	}
	buf := make([]byte, MaxUDPPayloadSize)
	n, err = p.client.WriteConnectionClose(nil, nil, buf, &CCErr{Type: CCErrTypeTransport, ErrorCode: ConnectionRefused}, p.ts)
	if err != nil || n != MaxUDPPayloadSize {
		t.Fatalf("client close into %d bytes = %d, %v; want a full %d-byte datagram", MaxUDPPayloadSize, n, err, MaxUDPPayloadSize)
	}
	// The server side (a fresh one) must accept and decrypt it.
	srv, err := NewServerConn(p.srvCfg, &testServerPath, buf[:n], p.ts)
	if err != nil {
		t.Fatalf("server refused the padded Initial: %v", err)
	}
	defer srv.closeTLS()
	cf := closeFrames(openDatagram(t, srv, buf[:n]))
	if f, ok := cf[wire.PacketInitial]; !ok || f.RawType != 0x1c || f.ErrorCode != ConnectionRefused {
		t.Fatalf("Initial close frames %v; want 0x1c CONNECTION_REFUSED", cf)
	}
}

func TestWriteConnectionCloseAmplificationLimitGivesNoBuf(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	p.deliver(true, p.buf[:n])
	// The server has used its whole 3x allowance.
	p.server.bytesSent = 3 * p.server.bytesRecv
	big := make([]byte, 1500)
	n, err := p.server.WriteConnectionClose(nil, nil, big, &CCErr{Type: CCErrTypeTransport}, p.ts)
	if n != 0 || !errors.Is(err, ErrNoBuf) {
		t.Fatalf("close at the amplification limit = %d, %v; want ErrNoBuf although dest has %d bytes", n, err, len(big))
	}
	// With 60 bytes of allowance left, it still fits a small packet.
	p.server.bytesSent = 3*p.server.bytesRecv - 100
	n, err = p.server.WriteConnectionClose(nil, nil, big, &CCErr{Type: CCErrTypeTransport}, p.ts)
	if err != nil || n == 0 || n > 100 {
		t.Fatalf("close with 100 bytes of allowance = %d, %v; want a packet of at most 100 bytes", n, err)
	}
}

func TestWriteConnectionCloseStoresPath(t *testing.T) {
	p := establishedPair(t)
	var path Path
	n, err := p.server.WriteConnectionClose(&path, nil, make([]byte, 1500), &CCErr{Type: CCErrTypeTransport}, p.ts)
	if err != nil || n == 0 {
		t.Fatal(err)
	}
	if path != testServerPath {
		t.Errorf("path = %v, want %v", path, testServerPath)
	}
}

func TestWriteConnectionCloseStoresPktInfo(t *testing.T) {
	p := establishedPair(t)
	pi := PktInfo{ECN: 3}
	n, err := p.server.WriteConnectionClose(nil, &pi, make([]byte, 1500), &CCErr{Type: CCErrTypeTransport}, p.ts)
	if err != nil || n == 0 {
		t.Fatal(err)
	}
	if pi.ECN != 0 {
		t.Errorf("pi.ECN = %d, want 0 (Not-ECT: the connection does not use ECN)", pi.ECN)
	}
}

func TestWriteConnectionCloseEntersClosingState(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.client.OpenBidiStream(nil)
	buf := make([]byte, 1500)
	n, err := p.client.WriteConnectionClose(nil, nil, buf, &CCErr{Type: CCErrTypeApplication, ErrorCode: 7}, p.ts)
	if err != nil || n == 0 {
		t.Fatal(err)
	}
	saved := append([]byte(nil), buf[:n]...)
	if !p.client.InClosingPeriod() {
		t.Fatal("not in the closing period after WriteConnectionClose")
	}
	if e := p.client.CloseError(); e == nil || e.Type != CCErrTypeApplication || e.ErrorCode != 7 {
		t.Errorf("CloseError = %v, want our application close 7", e)
	}
	if _, err := p.client.WritePkt(nil, nil, buf, p.ts); !errors.Is(err, ErrClosing) {
		t.Errorf("WritePkt while closing = %v, want ErrClosing", err)
	}
	if _, _, err := p.client.WriteStream(nil, nil, buf, 0, id, []byte("x"), p.ts); !errors.Is(err, ErrClosing) {
		t.Errorf("WriteStream while closing = %v, want ErrClosing", err)
	}
	if _, err := p.client.OpenBidiStream(nil); !errors.Is(err, ErrInvalidState) {
		t.Errorf("OpenBidiStream while closing = %v, want ErrInvalidState", err)
	}
	// Peer packets are answered with the saved close, 1st, 2nd, 4th, 8th...
	replies := 0
	for i := 1; i <= 8; i++ {
		sid, _ := p.server.OpenBidiStream(nil)
		m, _, _ := p.server.WriteStream(nil, nil, p.buf, 0, sid, []byte("ping"), p.ts)
		if err := p.client.ReadPkt(nil, nil, p.buf[:m], p.ts); !errors.Is(err, ErrClosing) {
			t.Fatalf("ReadPkt while closing = %v, want ErrClosing", err)
		}
		k, err := p.client.WritePkt(nil, nil, buf, p.ts)
		if err == nil && k > 0 {
			replies++
			if !bytes.Equal(buf[:k], saved) {
				t.Errorf("reply %d is not the saved CONNECTION_CLOSE", replies)
			}
		} else if !errors.Is(err, ErrClosing) {
			t.Errorf("WritePkt = %d, %v; want the saved packet or ErrClosing", k, err)
		}
	}
	if replies != 4 {
		t.Errorf("answered %d of 8 packets, want 4 (after packets 1, 2, 4, 8)", replies)
	}
	// The closing period ends after three PTOs.
	if err := p.client.HandleExpiry(p.client.Expiry()); err != nil || !p.client.IsClosed() {
		t.Errorf("after the closing period: HandleExpiry %v, IsClosed %v", err, p.client.IsClosed())
	}
}

func TestWriteConnectionCloseInvalidStateWhenClosingOrDraining(t *testing.T) {
	p := establishedPair(t)
	buf := make([]byte, 1500)
	n, err := p.client.WriteConnectionClose(nil, nil, buf, &CCErr{Type: CCErrTypeTransport}, p.ts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.client.WriteConnectionClose(nil, nil, buf, &CCErr{Type: CCErrTypeTransport}, p.ts); !errors.Is(err, ErrInvalidState) {
		t.Errorf("second WriteConnectionClose = %v, want ErrInvalidState", err)
	}
	// The server receives it and drains; it may not send a close either.
	p.deliver(true, buf[:n])
	if !p.server.InDrainingPeriod() {
		t.Fatal("server is not draining")
	}
	if _, err := p.server.WriteConnectionClose(nil, nil, buf, &CCErr{Type: CCErrTypeTransport}, p.ts); !errors.Is(err, ErrInvalidState) {
		t.Errorf("WriteConnectionClose while draining = %v, want ErrInvalidState", err)
	}
	if _, err := p.server.WritePkt(nil, nil, buf, p.ts); !errors.Is(err, ErrDraining) {
		t.Errorf("WritePkt while draining = %v, want ErrDraining", err)
	}
}

func TestWriteConnectionClosePktNumExhausted(t *testing.T) {
	p := establishedPair(t)
	p.client.spaces[spaceApp].nextPN = maxPacketNumber
	n, err := p.client.WriteConnectionClose(nil, nil, make([]byte, 1500), &CCErr{Type: CCErrTypeTransport}, p.ts)
	if n != 0 || !errors.Is(err, ErrPktNumExhausted) {
		t.Fatalf("WriteConnectionClose = %d, %v; want ErrPktNumExhausted", n, err)
	}
	if _, err := p.client.WritePkt(nil, nil, make([]byte, 1500), p.ts); !errors.Is(err, ErrPktNumExhausted) {
		t.Errorf("WritePkt = %v, want ErrPktNumExhausted", err)
	}
}

func TestWriteConnectionCloseInsideCallbackIsRejected(t *testing.T) {
	var inside error
	var p *testPair
	p = newTestPair(t, pairOpts{serverCB: Callbacks{
		RecvStreamData: func(c *Conn, fl StreamDataFlags, id int64, off uint64, data []byte) error {
			_, inside = c.WriteConnectionClose(nil, nil, make([]byte, 1500), &CCErr{Type: CCErrTypeTransport}, p.ts)
			return nil
		},
	}})
	p.handshake()
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, []byte("hi"), true)
	if !errors.Is(inside, ErrInvalidState) {
		t.Fatalf("WriteConnectionClose from a callback = %v, want ErrInvalidState", inside)
	}
	if p.server.InClosingPeriod() {
		t.Errorf("the call from a callback closed the connection")
	}
}

func TestWriteConnectionCloseCallsNoCallbacks(t *testing.T) {
	// ErrCallbackFailure is listed by the seed, but this implementation
	// runs no callback while closing: prove it with callbacks that fail.
	p := establishedPair(t)
	called := false
	fail := errors.New("must not be called")
	p.client.cb = Callbacks{
		HandshakeCompleted:    func(*Conn) error { called = true; return fail },
		StreamClose:           func(*Conn, int64, uint64) error { called = true; return fail },
		AckedStreamDataOffset: func(*Conn, int64, uint64, uint64) error { called = true; return fail },
	}
	p.client.OpenBidiStream(nil)
	n, err := p.client.WriteConnectionClose(nil, nil, make([]byte, 1500), &CCErr{Type: CCErrTypeApplication}, p.ts)
	if err != nil || n == 0 || called {
		t.Fatalf("WriteConnectionClose = %d, %v, callback called %v; want a packet and no callback", n, err, called)
	}
}

func TestConnReceivedTransportCloseReportsCodeAndReason(t *testing.T) {
	p := establishedPair(t)
	buf := make([]byte, 1500)
	n, _ := p.server.WriteConnectionClose(nil, nil, buf, &CCErr{Type: CCErrTypeTransport, ErrorCode: ProtocolViolation, FrameType: 0x1e, Reason: []byte("bad")}, p.ts)
	if err := p.client.ReadPkt(nil, nil, buf[:n], p.ts); !errors.Is(err, ErrDraining) {
		t.Fatalf("ReadPkt of CONNECTION_CLOSE = %v, want ErrDraining", err)
	}
	e := p.client.CloseError()
	if e == nil || e.Type != CCErrTypeTransport || e.ErrorCode != ProtocolViolation || e.FrameType != 0x1e || string(e.Reason) != "bad" {
		t.Fatalf("CloseError = %v, want transport PROTOCOL_VIOLATION frame 0x1e \"bad\"", e)
	}
}

func TestWriteConnectionCloseCodeOutOfRange(t *testing.T) {
	p := establishedPair(t)
	n, err := p.client.WriteConnectionClose(nil, nil, make([]byte, 1500), &CCErr{Type: CCErrTypeApplication, ErrorCode: 1 << 62}, p.ts)
	if n != 0 || !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("close with code 2^62 = %d, %v; want ErrInvalidArgument (no varint can carry it)", n, err)
	}
	if p.client.InClosingPeriod() {
		t.Errorf("the refused close changed the state")
	}
}
