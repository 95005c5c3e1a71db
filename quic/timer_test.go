package quic

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

func TestConnIdleTimeout(t *testing.T) {
	p := newTestPair(t, pairOpts{
		clientParams: TransportParams{InitialMaxData: 1 << 20, InitialMaxStreamsBidi: 4, MaxIdleTimeout: 5 * Seconds},
		serverParams: TransportParams{InitialMaxData: 1 << 20, InitialMaxStreamsBidi: 4, MaxIdleTimeout: 2 * Seconds},
	})
	p.handshake()
	if p.client.idleTimeout != 2*Seconds {
		t.Fatalf("effective idle timeout %v, want the minimum of both, 2s", p.client.idleTimeout)
	}
	exp := p.client.Expiry()
	if err := p.client.HandleExpiry(exp - 1); err != nil {
		t.Fatalf("HandleExpiry just before the deadline: %v", err)
	}
	if err := p.client.HandleExpiry(p.client.idleDeadline()); !errors.Is(err, ErrIdleClose) {
		t.Fatalf("HandleExpiry at the idle deadline = %v, want ErrIdleClose", err)
	}
	if e := p.client.CloseError(); e == nil || e.Type != CCErrTypeIdleClose || !p.client.IsClosed() {
		t.Fatalf("after idle timeout: CloseError %v, closed %v", e, p.client.IsClosed())
	}
	if n, err := p.client.WritePkt(nil, nil, p.buf, p.ts); n != 0 || err == nil {
		t.Errorf("WritePkt after idle close = %d, %v; want nothing and an error", n, err)
	}
}

func TestConnHandshakeTimeout(t *testing.T) {
	p := newTestPair(t, pairOpts{clientSettings: Settings{HandshakeTimeout: 3 * Seconds}})
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		for { // nobody answers
			n, werr := p.client.WritePkt(nil, nil, p.buf, p.ts)
			if werr != nil || n == 0 {
				break
			}
			p.sentC2S++
		}
		p.ts = p.client.Expiry()
		err = p.client.HandleExpiry(p.ts)
	}
	if !errors.Is(err, ErrHandshakeTimeout) {
		t.Fatalf("HandleExpiry = %v, want ErrHandshakeTimeout", err)
	}
	if p.ts > Tstamp(Seconds)+Tstamp(3*Seconds) {
		t.Errorf("timed out at %v, later than the 3s handshake timeout", Duration(p.ts-Tstamp(Seconds)))
	}
	if p.sentC2S < 2 {
		t.Errorf("client sent %d datagrams; PTO should have resent its Initial", p.sentC2S)
	}
}

func TestConnServerAmplificationLimit(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	// Only the client's first flight arrives; the server cannot validate
	// the address and must stay within 3x what it received.
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	p.deliver(true, p.buf[:n])
	received := n
	sent := 0
	for i := 0; i < 20; i++ {
		for {
			m, err := p.server.WritePkt(nil, nil, p.buf, p.ts)
			if err != nil || m == 0 {
				break
			}
			sent += m
		}
		p.ts = p.server.Expiry()
		p.server.HandleExpiry(p.ts)
		if p.server.IsClosed() {
			break
		}
	}
	if sent > 3*received {
		t.Fatalf("server sent %d bytes after receiving %d, more than 3x (RFC 9000, Section 8.1)", sent, received)
	}
	if sent == 0 {
		t.Fatalf("server sent nothing")
	}
}

func TestConnKeyUpdate(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.client.OpenBidiStream(nil)
	p.writeStream(p.client, id, []byte("before"), false)
	p.settle()
	if err := p.client.InitiateKeyUpdate(p.ts); err != nil {
		t.Fatalf("InitiateKeyUpdate: %v", err)
	}
	if err := p.client.InitiateKeyUpdate(p.ts); !errors.Is(err, ErrInvalidState) {
		t.Errorf("a second update before an ACK = %v, want ErrInvalidState", err)
	}
	p.writeStream(p.client, id, []byte(" after"), false)
	p.writeStream(p.server, id, []byte("reply"), false)
	p.settle()
	if !p.client.KeyPhase() || !p.server.KeyPhase() {
		t.Fatalf("key phase client %v server %v, want both switched", p.client.KeyPhase(), p.server.KeyPhase())
	}
	if string(p.srvRecv[id]) != "before after" || string(p.cliRecv[id]) != "reply" {
		t.Fatalf("data across the key update: server %q client %q", p.srvRecv[id], p.cliRecv[id])
	}
	// After the new phase is acknowledged, another update is allowed,
	// this time started by the server.
	if err := p.server.InitiateKeyUpdate(p.ts); err != nil {
		t.Fatalf("server InitiateKeyUpdate: %v", err)
	}
	p.writeStream(p.server, id, []byte("x"), true)
	p.writeStream(p.client, id, []byte("!"), true)
	p.settle()
	if p.client.KeyPhase() || p.server.KeyPhase() {
		t.Fatalf("second update: phases client %v server %v, want both back to 0", p.client.KeyPhase(), p.server.KeyPhase())
	}
	if string(p.srvRecv[id]) != "before after!" {
		t.Errorf("server got %q", p.srvRecv[id])
	}
}

func TestConnClientVersionNegotiation(t *testing.T) {
	var offered []uint32
	p := newTestPair(t, pairOpts{clientCB: Callbacks{RecvVersionNegotiation: func(c *Conn, vs []uint32) error {
		offered = append(offered, vs...)
		return nil
	}}})
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	vc, err := DecodeVersionCID(p.buf[:n], 8)
	if err != nil || vc.Version != Version1 {
		t.Fatalf("DecodeVersionCID of our Initial = %+v, %v", vc, err)
	}
	vn := make([]byte, 256)
	m, err := WriteVersionNegotiation(vn, vc.DCID, vc.SCID, []uint32{0xff00001d})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.client.ReadPkt(nil, nil, vn[:m], p.ts); !errors.Is(err, ErrRecvVersionNegotiation) {
		t.Fatalf("ReadPkt of Version Negotiation = %v, want ErrRecvVersionNegotiation", err)
	}
	if len(offered) < 1 || offered[0] != 0xff00001d {
		t.Errorf("RecvVersionNegotiation got %x", offered)
	}
	if e := p.client.CloseError(); e == nil || e.Type != CCErrTypeVersionNegotiation {
		t.Errorf("CloseError = %v, want version negotiation", e)
	}
}

func TestConnVersionNegotiationListingOurVersionIsIgnored(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	vc, _ := DecodeVersionCID(p.buf[:n], 8)
	vn := make([]byte, 256)
	m, _ := WriteVersionNegotiation(vn, vc.DCID, vc.SCID, nil) // lists version 1
	if err := p.client.ReadPkt(nil, nil, vn[:m], p.ts); err != nil {
		t.Fatalf("ReadPkt = %v, want the packet ignored (RFC 9000, Section 6.2)", err)
	}
	if p.client.CloseError() != nil {
		t.Fatal("client gave up on a Version Negotiation that lists its version")
	}
}

func TestAcceptInitial(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	if err := AcceptInitial(p.buf[:n]); err != nil {
		t.Fatalf("AcceptInitial(client Initial) = %v", err)
	}
	if err := AcceptInitial(p.buf[:n-1]); !errors.Is(err, ErrDropConn) {
		t.Errorf("AcceptInitial(1199 bytes) = %v, want ErrDropConn", err)
	}
	other := append([]byte(nil), p.buf[:n]...)
	copy(other[1:5], []byte{0xaa, 0xbb, 0xcc, 0xdd})
	if err := AcceptInitial(other); !errors.Is(err, ErrVersionNegotiationNeeded) {
		t.Errorf("AcceptInitial(unknown version) = %v, want ErrVersionNegotiationNeeded", err)
	}
	vn := make([]byte, 64)
	vc, _ := DecodeVersionCID(other, 8)
	m, err := WriteVersionNegotiation(vn, vc.DCID, vc.SCID, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The answer swaps the IDs and lists 1, 2 and a reserved version.
	if !bytes.Equal(vn[6:6+len(vc.SCID)], vc.SCID) {
		t.Errorf("Version Negotiation DCID is not the client's SCID")
	}
	if m != 7+len(vc.DCID)+len(vc.SCID)+12 {
		t.Errorf("Version Negotiation is %d bytes, want three versions", m)
	}
	if _, err := WriteVersionNegotiation(vn[:10], vc.DCID, vc.SCID, nil); !errors.Is(err, ErrNoBuf) {
		t.Errorf("small buffer: %v, want ErrNoBuf", err)
	}
}

func TestConnDatagrams(t *testing.T) {
	var got [][]byte
	params := DefaultTransportParams()
	params.MaxDatagramFrameSize = 1200
	p := newTestPair(t, pairOpts{clientParams: params, serverParams: params, serverCB: Callbacks{
		RecvStreamData: func(*Conn, StreamDataFlags, int64, uint64, []byte) error { return nil },
		RecvDatagram:   func(c *Conn, d []byte) error { got = append(got, append([]byte(nil), d...)); return nil },
	}})
	p.handshake()
	n, ok, err := p.client.WriteDatagram(nil, nil, p.buf, []byte("unreliable"), p.ts)
	if err != nil || !ok || n == 0 {
		t.Fatalf("WriteDatagram = %d, %v, %v", n, ok, err)
	}
	p.deliver(true, p.buf[:n])
	if len(got) != 1 || string(got[0]) != "unreliable" {
		t.Fatalf("RecvDatagram got %q", got)
	}
	if _, _, err := p.client.WriteDatagram(nil, nil, p.buf, make([]byte, 1300), p.ts); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("datagram over the peer's limit = %v, want ErrInvalidArgument", err)
	}
}

func TestConnStatelessResetDrains(t *testing.T) {
	p := establishedPair(t)
	token := p.server.resetToken
	d := make([]byte, 40)
	for i := range d {
		d[i] = byte(i * 31)
	}
	d[0] = 0x40 | d[0]&0x3f // short header form
	copy(d[len(d)-16:], token[:])
	if err := p.client.ReadPkt(nil, nil, d, p.ts); !errors.Is(err, ErrDraining) {
		t.Fatalf("ReadPkt(stateless reset) = %v, want ErrDraining (RFC 9000, Section 10.3.1)", err)
	}
	// A datagram with another token is just dropped.
	p2 := establishedPair(t)
	d[len(d)-1] ^= 1
	if err := p2.client.ReadPkt(nil, nil, d, p2.ts); err != nil || p2.client.InDrainingPeriod() {
		t.Fatalf("a wrong token: %v, draining %v", err, p2.client.InDrainingPeriod())
	}
}

func TestConnDel(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.client.OpenBidiStream(nil)
	p.client.Del()
	if _, err := p.client.WritePkt(nil, nil, p.buf, p.ts); !errors.Is(err, ErrInvalidState) {
		t.Errorf("WritePkt after Del = %v, want ErrInvalidState", err)
	}
	if err := p.client.ReadPkt(nil, nil, make([]byte, 50), p.ts); !errors.Is(err, ErrInvalidState) {
		t.Errorf("ReadPkt after Del = %v, want ErrInvalidState", err)
	}
	if _, _, err := p.client.WriteStream(nil, nil, p.buf, 0, id, []byte("x"), p.ts); !errors.Is(err, ErrInvalidState) {
		t.Errorf("WriteStream after Del = %v, want ErrInvalidState", err)
	}
	if _, err := p.client.OpenBidiStream(nil); !errors.Is(err, ErrInvalidState) {
		t.Errorf("OpenBidiStream after Del = %v", err)
	}
}

func TestNewConnRejectsInvalidParams(t *testing.T) {
	for _, p := range []TransportParams{
		{InitialMaxStreamsBidi: 1<<60 + 1},
		{InitialMaxData: 1 << 62},
		{InitialMaxData: 1, MaxUDPPayloadSize: 1000},
		{InitialMaxData: 1, MaxAckDelay: 20 * Seconds},
	} {
		if _, err := NewClientConn(&Config{TLS: testClientTLS(t, "x"), Params: p}, &testClientPath, 1); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewClientConn with %+v = %v, want ErrInvalidArgument", p, err)
		}
	}
}

func TestWriteStatelessResetEndsPeer(t *testing.T) {
	token := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	p := newTestPair(t, pairOpts{serverSettings: Settings{StatelessResetToken: &token}})
	p.handshake()
	// The server "lost" the connection; it answers the client's next
	// packet with a reset built from the token alone.
	id, _ := p.client.OpenBidiStream(nil)
	n, _, _ := p.client.WriteStream(nil, nil, p.buf, 0, id, []byte("anyone there?"), p.ts)
	out := make([]byte, 100)
	m, err := WriteStatelessReset(out, token, n, rand.Reader)
	if err != nil || m >= n || m < 21 {
		t.Fatalf("WriteStatelessReset = %d, %v; want 21..%d bytes", m, err, n-1)
	}
	if err := p.client.ReadPkt(nil, nil, out[:m], p.ts); !errors.Is(err, ErrDraining) {
		t.Fatalf("client ReadPkt(reset) = %v, want ErrDraining", err)
	}
	if _, err := WriteStatelessReset(out, token, 21, rand.Reader); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("answering a 21-byte datagram = %v, want ErrInvalidArgument", err)
	}
}
