package quic

import (
	"errors"
	"testing"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// inject seals payload into a packet of space sid from `from` and hands
// it to the other Conn.
func (p *testPair) inject(from *Conn, sid spaceID, payload []byte) error {
	to := p.server
	if from == p.server {
		to = p.client
	}
	pkt := from.sealTestPacket(sid, payload)
	if pkt == nil {
		p.t.Fatalf("no keys to seal a packet in space %d", sid)
	}
	return to.ReadPkt(nil, nil, pkt, p.ts)
}

// wantViolation checks the error of ReadPkt, and that the next datagram
// of rcv is a CONNECTION_CLOSE with the same code.
func (p *testPair) wantViolation(what string, rcv *Conn, err error, code uint64, libErr Error) {
	p.t.Helper()
	var ce *ConnError
	if !errors.As(err, &ce) {
		p.t.Fatalf("%s: ReadPkt = %v, want a *ConnError", what, err)
	}
	if ce.CCErr.ErrorCode != code || !errors.Is(err, libErr) {
		p.t.Fatalf("%s: got %v, want code %s and %v", what, ce, transportCodeName(code), libErr)
	}
	buf := make([]byte, 1500)
	n, werr := rcv.WritePkt(nil, nil, buf, p.ts)
	if werr != nil || n == 0 {
		p.t.Fatalf("%s: WritePkt after the violation = %d, %v; want CONNECTION_CLOSE", what, n, werr)
	}
	other := p.client
	if rcv == p.client {
		other = p.server
	}
	cf := closeFrames(openDatagramDCIDLen(p.t, other, buf[:n], len(rcv.dcid)))
	f, ok := cf[wire.Packet1RTT]
	if !ok {
		for _, v := range cf {
			f, ok = v, true
		}
	}
	if !ok || f.RawType != 0x1c || f.ErrorCode != code {
		p.t.Fatalf("%s: sent %v, want CONNECTION_CLOSE 0x1c with %s", what, cf, transportCodeName(code))
	}
	if !rcv.InClosingPeriod() {
		p.t.Errorf("%s: not closing after sending CONNECTION_CLOSE", what)
	}
}

func TestConnViolationStreamFlowControl(t *testing.T) {
	p := establishedPair(t)
	lim := p.server.local.InitialMaxStreamDataBidiRemote
	err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, 0, lim, []byte("x"), false, true))
	p.wantViolation("stream data past MAX_STREAM_DATA", p.server, err, FlowControlError, ErrFlowControl)
}

func TestConnViolationConnectionFlowControl(t *testing.T) {
	p := newTestPair(t, pairOpts{serverParams: TransportParams{InitialMaxData: 1000, InitialMaxStreamDataBidiRemote: 800, InitialMaxStreamsBidi: 10}})
	p.handshake()
	if err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, 0, 799, []byte("x"), false, true)); err != nil {
		t.Fatalf("in-window frame: %v", err)
	}
	err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, 4, 200, []byte("x"), false, true))
	p.wantViolation("two streams past MAX_DATA", p.server, err, FlowControlError, ErrFlowControl)
}

func TestConnViolationStreamLimit(t *testing.T) {
	p := establishedPair(t)
	max := p.server.local.InitialMaxStreamsBidi
	err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, int64(max)*4, 0, []byte("x"), false, true))
	p.wantViolation("a stream beyond MAX_STREAMS", p.server, err, StreamLimitError, ErrStreamLimit)
}

func TestConnViolationLocalStreamNotOpened(t *testing.T) {
	p := establishedPair(t)
	err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, 1, 0, []byte("x"), false, true))
	p.wantViolation("STREAM for a server stream never opened", p.server, err, StreamStateError, ErrStreamState)
}

func TestConnViolationStreamOnSendOnlyStream(t *testing.T) {
	p := establishedPair(t)
	id, _ := p.server.OpenUniStream(nil)
	err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, id, 0, []byte("x"), false, true))
	p.wantViolation("STREAM on our unidirectional stream", p.server, err, StreamStateError, ErrStreamState)
}

func TestConnViolationMaxStreamDataOnReceiveOnlyStream(t *testing.T) {
	p := establishedPair(t)
	err := p.inject(p.client, spaceApp, wire.AppendMaxStreamData(nil, 2, 1000))
	p.wantViolation("MAX_STREAM_DATA for the peer's unidirectional stream", p.server, err, StreamStateError, ErrStreamState)
}

func TestConnViolationFinalSizeChanged(t *testing.T) {
	p := establishedPair(t)
	if err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, 0, 0, []byte("abc"), true, true)); err != nil {
		t.Fatal(err)
	}
	err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, 0, 0, []byte("abcd"), false, true))
	p.wantViolation("data past the final size", p.server, err, FinalSizeError, ErrFinalSize)
}

func TestConnViolationResetStreamFinalSizeBelowReceived(t *testing.T) {
	p := establishedPair(t)
	if err := p.inject(p.client, spaceApp, wire.AppendStreamFrame(nil, 0, 100, []byte("abc"), false, true)); err != nil {
		t.Fatal(err)
	}
	err := p.inject(p.client, spaceApp, wire.AppendResetStream(nil, 0, 1, 50))
	p.wantViolation("RESET_STREAM below received data", p.server, err, FinalSizeError, ErrFinalSize)
}

func TestConnViolationHandshakeDoneFromClient(t *testing.T) {
	p := establishedPair(t)
	err := p.inject(p.client, spaceApp, wire.AppendHandshakeDone(nil))
	p.wantViolation("HANDSHAKE_DONE from a client", p.server, err, ProtocolViolation, ErrProto)
}

func TestConnViolationNewTokenFromClient(t *testing.T) {
	p := establishedPair(t)
	err := p.inject(p.client, spaceApp, wire.AppendNewToken(nil, []byte("tok")))
	p.wantViolation("NEW_TOKEN from a client", p.server, err, ProtocolViolation, ErrProto)
}

func TestConnViolationDatagramNotEnabled(t *testing.T) {
	p := establishedPair(t)
	err := p.inject(p.client, spaceApp, wire.AppendDatagram(nil, []byte("d"), true))
	p.wantViolation("DATAGRAM without max_datagram_frame_size", p.server, err, ProtocolViolation, ErrProto)
}

func TestConnViolationUnknownFrame(t *testing.T) {
	p := establishedPair(t)
	err := p.inject(p.client, spaceApp, []byte{0x21})
	p.wantViolation("unknown frame type 0x21", p.server, err, FrameEncodingError, ErrFrameEncoding)
}

func TestConnViolationAckOfUnsentPacket(t *testing.T) {
	p := establishedPair(t)
	err := p.inject(p.client, spaceApp, wire.AppendAckFrame(nil, []wire.AckRange{{Smallest: 0, Largest: 1 << 20}}, 0, nil))
	p.wantViolation("ACK of a packet never sent", p.server, err, ProtocolViolation, ErrAckFrame)
}

func TestConnViolationFrameNotAllowedInPacketType(t *testing.T) {
	// During the handshake: a STREAM frame in an Initial packet.
	p := newTestPair(t, pairOpts{})
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	p.deliver(true, p.buf[:n])
	pkt := p.client.sealTestPacket(spaceInitial, wire.AppendStreamFrame(nil, 0, 0, []byte("x"), false, true))
	pkt = append(pkt, make([]byte, 1200)...) // padding outside the packet
	err := p.server.ReadPkt(nil, nil, pkt, p.ts)
	var ce *ConnError
	if !errors.As(err, &ce) || ce.CCErr.ErrorCode != ProtocolViolation || ce.CCErr.FrameType != 0x0a {
		t.Fatalf("STREAM in an Initial packet: %v; want PROTOCOL_VIOLATION for frame 0x0a", err)
	}
	buf := make([]byte, 1500)
	n, err = p.server.WritePkt(nil, nil, buf, p.ts)
	if err != nil || n == 0 {
		t.Fatalf("no CONNECTION_CLOSE: %d %v", n, err)
	}
	if f, ok := closeFrames(openDatagram(t, p.client, buf[:n]))[wire.PacketInitial]; !ok || f.ErrorCode != ProtocolViolation {
		t.Fatalf("close in Initial: %v %v", f, ok)
	}
}

func TestConnViolationTransportParamsAreChecked(t *testing.T) {
	// The server's packets carry another Source Connection ID than its
	// initial_source_connection_id parameter: RFC 9000, Section 7.3 makes
	// that a TRANSPORT_PARAMETER_ERROR at the client.
	p := newTestPair(t, pairOpts{})
	n, _ := p.client.WritePkt(nil, nil, p.buf, p.ts)
	s, err := NewServerConn(p.srvCfg, &testServerPath, p.buf[:n], p.ts)
	if err != nil {
		t.Fatal(err)
	}
	p.server = s
	s.scid = []byte("87654321")
	p.deliver(true, p.buf[:n])
	p.flush()
	ce := p.client.LocalError()
	if ce == nil || ce.CCErr.ErrorCode != TransportParameterError || ce.Rule != "transport_params_initial_scid_mismatch" {
		t.Fatalf("client LocalError = %v, want TRANSPORT_PARAMETER_ERROR transport_params_initial_scid_mismatch", ce)
	}
	if e := p.server.CloseError(); e == nil || e.ErrorCode != TransportParameterError {
		t.Errorf("server saw %v, want the client's TRANSPORT_PARAMETER_ERROR", e)
	}
}

func TestConnTLSAlertBecomesCryptoError(t *testing.T) {
	p := newTestPair(t, pairOpts{})
	// The client offers an ALPN the server does not speak: TLS alert
	// no_application_protocol (120) becomes CRYPTO_ERROR 0x178 (RFC 9001,
	// Section 4.8 and 8.1).
	cfg := &Config{TLS: testClientTLS(t, "other")}
	c, err := NewClientConn(cfg, &testClientPath, p.ts)
	if err != nil {
		t.Fatal(err)
	}
	p.client.closeTLS()
	p.client = c
	p.flush()
	ce := p.server.LocalError()
	if ce == nil || ce.CCErr.ErrorCode != CryptoErrorBase+120 || !errors.Is(ce, ErrCrypto) {
		t.Fatalf("server LocalError = %v, want CRYPTO_ERROR 0x178", ce)
	}
	e := p.client.CloseError()
	if e == nil || e.Type != CCErrTypeTransport || e.ErrorCode != CryptoErrorBase+120 {
		t.Fatalf("client CloseError = %v, want transport 0x178 from the server's Initial", e)
	}
}
