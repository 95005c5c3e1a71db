package quic

import (
	"errors"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// ReadPkt processes one received UDP datagram, which may hold several
// coalesced packets (RFC 9000, Section 12.2). Packets that cannot be
// parsed or decrypted are dropped silently, as RFC 9000 Section 12.2
// and RFC 9001 Section 5.5 require; the rest are decrypted in place in
// pkt and their frames dispatched to the callbacks. pkt is modified.
//
// Returns nil on success, or one of:
// *ConnError (errors.Is: ErrProto, ErrFlowControl, ErrStreamLimit,
// ErrFinalSize, ErrFrameEncoding, ErrStreamState, ErrTransportParam,
// ErrCrypto, ...) — the peer broke a rule; the connection will send
// CONNECTION_CLOSE with CCErr from the next WritePkt;
// ErrCallbackFailure — a callback failed (errors.As finds its error);
// ErrDraining — the peer closed the connection, which is now draining
// (CloseError has its code and reason), or was already draining;
// ErrClosing — the connection is in its closing period; WritePkt may
// answer with the saved CONNECTION_CLOSE;
// ErrRecvVersionNegotiation — a client got Version Negotiation and the
// connection is over;
// ErrInvalidState — the connection is closed.
func (c *Conn) ReadPkt(path *Path, pi *PktInfo, pkt []byte, ts Tstamp) error {
	if c.inCall {
		return ErrInvalidState
	}
	switch c.state {
	case stateClosing:
		c.closeRecvCount++
		if c.closeRecvCount >= c.closeNextReply {
			c.closeReplyDue = true
			c.closeNextReply *= 2
		}
		return ErrClosing
	case stateDraining:
		return ErrDraining
	case stateClosed:
		return ErrInvalidState
	}
	if c.localErr != nil {
		return c.localErr
	}
	c.inCall = true
	defer c.endCall()
	c.ecn.in = ECNNotECT
	if pi != nil {
		c.ecn.in = pi.ECN & 3
	}
	if !c.addrValidated {
		c.bytesRecv += uint64(len(pkt))
	}
	c.hasRxPath = path != nil
	if path != nil {
		c.rxPath = *path
	}
	c.rxLen = len(pkt)
	if err := c.readDatagram(pkt, ts); err != nil {
		return err
	}
	return c.replayUndecryptable(ts)
}

func (c *Conn) readDatagram(pkt []byte, ts Tstamp) error {
	first := true
	for len(pkt) > 0 {
		n, err := c.readPacket(pkt, first, ts)
		if err != nil {
			return err
		}
		if n <= 0 || n > len(pkt) {
			break
		}
		pkt = pkt[n:]
		first = false
	}
	return nil
}

// maxUndecryptable bounds the packets kept while their keys are not yet
// available (RFC 9001, Section 5.7: "endpoints MAY buffer ... a limited
// number of packets").
const maxUndecryptable = 4

// bufferUndecryptable keeps a copy of a Handshake or 1-RTT packet that
// arrived before its keys, as reordering can cause during the handshake.
func (c *Conn) bufferUndecryptable(p []byte) {
	if len(c.undecryptable) >= maxUndecryptable || len(p) > 2048 {
		return
	}
	c.undecryptable = append(c.undecryptable, append([]byte(nil), p...))
}

// replayUndecryptable processes buffered packets whose keys arrived.
func (c *Conn) replayUndecryptable(ts Tstamp) error {
	for i := 0; i < len(c.undecryptable); i++ {
		p := c.undecryptable[i]
		sid := spaceApp
		if wire.IsLongHeader(p[0]) {
			sid = spaceHandshake
		}
		sp := &c.spaces[sid]
		if sp.discarded {
			c.undecryptable = append(c.undecryptable[:i], c.undecryptable[i+1:]...)
			i--
			continue
		}
		if !sp.hasRecv {
			continue
		}
		c.undecryptable = append(c.undecryptable[:i], c.undecryptable[i+1:]...)
		i--
		if err := c.readDatagram(p, ts); err != nil {
			return err
		}
	}
	if len(c.undecryptable) == 0 {
		c.undecryptable = nil
	}
	return nil
}

// readPacket handles the packet at the start of b and returns its length
// (the rest of b when it cannot tell).
func (c *Conn) readPacket(b []byte, first bool, ts Tstamp) (int, error) {
	hdr, err := wire.ParseHeader(b, len(c.scid))
	if err != nil {
		return len(b), nil
	}
	switch hdr.Type {
	case wire.PacketVersionNegotiation:
		if first {
			return len(b), c.recvVersionNegotiation(b, &hdr)
		}
		return len(b), nil
	case wire.PacketRetry:
		if first {
			return len(b), c.recvRetry(b, &hdr)
		}
		return len(b), nil
	case wire.Packet0RTT:
		return hdr.PacketLen, nil // 0-RTT is not accepted
	}
	n := hdr.PacketLen
	if hdr.Type != wire.Packet1RTT && hdr.Version != c.version {
		return n, nil
	}
	if !c.dcidMatches(&hdr) {
		if hdr.Type == wire.Packet1RTT && c.isStatelessReset(b) {
			return len(b), c.enterDraining(&CCErr{Type: CCErrTypeIdleClose}, ts)
		}
		return n, nil
	}
	var sid spaceID
	switch hdr.Type {
	case wire.PacketInitial:
		sid = spaceInitial
		// RFC 9000, Section 17.2.2: "Initial packets sent by the server
		// MUST set the Token Length field to 0; clients that receive an
		// Initial packet with a non-zero Token Length field MUST either
		// discard the packet or generate a connection error".
		if !c.server && len(hdr.Token) > 0 {
			return n, nil
		}
	case wire.PacketHandshake:
		sid = spaceHandshake
	default:
		sid = spaceApp
	}
	sp := &c.spaces[sid]
	if !sp.hasRecv || sp.discarded {
		if !sp.discarded && sid != spaceInitial {
			c.bufferUndecryptable(b[:n])
		}
		return n, nil
	}
	// RFC 9000, Section 7.2: "Once a client has received a valid Initial
	// packet from the server, it MUST discard any subsequent packet it
	// receives on that connection with a different Source Connection ID."
	if !c.server && hdr.Type != wire.Packet1RTT && c.gotInitial && string(hdr.SrcConnID) != string(c.peerSCID) {
		return n, nil
	}
	pktb := b[:n]
	pn, pnLen, err := sp.recvKeys.RemoveHeaderProtection(pktb, hdr.PNOffset, sp.recv.largest)
	if err != nil {
		if sid == spaceApp && c.isStatelessReset(b) {
			return len(b), c.enterDraining(&CCErr{Type: CCErrTypeIdleClose}, ts)
		}
		return n, nil
	}
	hdrLen := hdr.PNOffset + pnLen
	var payload []byte
	if sid == spaceApp {
		payload, err = c.openShort(pktb, hdrLen, pn, wire.ShortHeaderKeyPhase(pktb[0]), ts)
	} else {
		payload, err = sp.recvKeys.Decrypt(pktb, hdrLen, pn)
	}
	if err != nil {
		// RFC 9000, Section 10.3.1: a packet that cannot be decrypted may
		// be a stateless reset.
		if sid == spaceApp && c.isStatelessReset(b) {
			return len(b), c.enterDraining(&CCErr{Type: CCErrTypeIdleClose}, ts)
		}
		return n, nil
	}
	if sp.recv.isDup(pn) {
		return n, nil
	}
	// RFC 9000, Sections 17.2 and 17.3.1: reserved bits must be zero
	// after header protection is removed.
	reserved := byte(0x0c)
	if hdr.Type == wire.Packet1RTT {
		reserved = 0x18
	}
	if pktb[0]&reserved != 0 {
		return n, c.violation(ProtocolViolation, 0, "packet_reserved_bits_set", ErrProto)
	}
	// RFC 9000, Section 12.4: "An endpoint MUST treat receipt of a packet
	// containing no frames as a connection error of type PROTOCOL_VIOLATION."
	if len(payload) == 0 {
		return n, c.violation(ProtocolViolation, 0, "packet_without_frames", ErrProto)
	}
	if !c.server && sid == spaceInitial && !c.gotInitial {
		c.gotInitial = true
		c.peerSCID = append(c.peerSCID[:0], hdr.SrcConnID...)
		// RFC 9000, Section 7.2: the client switches to the server's
		// connection ID.
		c.dcid = append(c.dcid[:0], hdr.SrcConnID...)
	}
	c.rxDCID, c.rxNonProbing = hdr.DstConnID, false
	ackEliciting, err := c.readFrames(sid, hdr.Type, payload, ts)
	if err != nil {
		return n, err
	}
	maxDelay := Duration(0)
	if sid == spaceApp {
		maxDelay = c.local.MaxAckDelay
	}
	if !sp.discarded {
		sp.recv.onRecv(pn, ts, ackEliciting, maxDelay, c.settings.MaxAckRanges)
		c.ecnOnRecv(sid)
	}
	if sid == spaceApp {
		if err := c.maybePeerMigrated(pn, ts); err != nil {
			return n, err
		}
	}
	c.lastActivity = ts
	c.ackElicitingSince = false
	c.stats.recv++
	if c.server && sid == spaceHandshake {
		// RFC 9000, Section 8.1: a Handshake packet from the client
		// validates its address. RFC 9001, Section 4.9.1: "a server MUST
		// discard Initial keys when it first successfully processes a
		// Handshake packet".
		c.addrValidated = true
		c.discardSpace(spaceInitial)
	}
	return n, nil
}

// dcidMatches checks the Destination Connection ID: ours, or, for a
// server before the client switched, the client's original one.
func (c *Conn) dcidMatches(h *wire.Header) bool {
	d := string(h.DstConnID)
	if d == string(c.scid) || h.Type == wire.Packet1RTT && c.localCIDs.has(h.DstConnID) {
		return true
	}
	return c.server && h.Type == wire.PacketInitial && (d == string(c.odcid) || d == string(c.rscid))
}

// readFrames dispatches the frames of a decrypted payload.
func (c *Conn) readFrames(sid spaceID, pt wire.PacketType, payload []byte, ts Tstamp) (bool, error) {
	ackEliciting := false
	f := &c.frame
	f.AckRanges = c.ackRanges[:0]
	for len(payload) > 0 {
		n, err := wire.ParseFrame(payload, f)
		if err != nil {
			var te *wire.TransportError
			if errors.As(err, &te) {
				return false, c.violation(uint64(te.Code), te.FrameType, te.Reason, errFor(uint64(te.Code)))
			}
			return false, c.violation(FrameEncodingError, 0, "frame_decode", ErrFrameEncoding)
		}
		payload = payload[n:]
		// RFC 9000, Section 12.4: "An endpoint MUST treat receipt of a
		// frame in a packet type that is not permitted as a connection
		// error of type PROTOCOL_VIOLATION."
		if !f.RawType.AllowedIn(pt) {
			return false, c.violation(ProtocolViolation, uint64(f.RawType), "frame_not_allowed_in_packet_type", ErrProto)
		}
		if f.Type.IsAckEliciting() {
			ackEliciting = true
		}
		if !isProbing(f.Type) {
			c.rxNonProbing = true
		}
		if err := c.handleFrame(sid, f, ts); err != nil {
			return false, err
		}
		if c.state >= stateDraining {
			return ackEliciting, ErrDraining
		}
	}
	return ackEliciting, nil
}

func (c *Conn) handleFrame(sid spaceID, f *wire.Frame, ts Tstamp) error {
	switch f.Type {
	case wire.FramePadding, wire.FramePing:
		return nil
	case wire.FrameAck:
		return c.recvAck(sid, f, ts)
	case wire.FrameCrypto:
		return c.recvCryptoFrame(sid, f)
	case wire.FrameStream:
		return c.recvStreamFrame(f, ts)
	case wire.FrameResetStream:
		return c.recvResetStream(f)
	case wire.FrameStopSending:
		return c.recvStopSending(f)
	case wire.FrameMaxData:
		if f.Max > c.flow.sendMax {
			c.flow.sendMax = f.Max
		}
		return nil
	case wire.FrameMaxStreamData:
		return c.recvMaxStreamData(f)
	case wire.FrameMaxStreamsBidi, wire.FrameMaxStreamsUni:
		return c.recvMaxStreams(f)
	case wire.FrameDataBlocked, wire.FrameStreamsBlockedBidi, wire.FrameStreamsBlockedUni:
		return nil
	case wire.FrameStreamDataBlocked:
		return c.recvStreamDataBlocked(f)
	case wire.FrameNewConnectionID:
		return c.recvNewConnectionID(f)
	case wire.FrameRetireConnectionID:
		return c.recvRetireConnectionID(f)
	case wire.FramePathChallenge:
		c.recvPathChallenge(f)
		return nil
	case wire.FramePathResponse:
		return c.recvPathResponse(f)
	case wire.FrameNewToken:
		// RFC 9000, Section 19.7: "A server MUST treat receipt of a
		// NEW_TOKEN frame as a connection error of type PROTOCOL_VIOLATION."
		if c.server {
			return c.violation(ProtocolViolation, uint64(f.RawType), "new_token_from_client", ErrProto)
		}
		if cb := c.cb.RecvNewToken; cb != nil {
			if err := cb(c, f.Data); err != nil {
				return cbErr(err)
			}
		}
		return nil
	case wire.FrameConnectionClose, wire.FrameConnectionCloseApp:
		return c.recvConnectionClose(f, ts)
	case wire.FrameHandshakeDone:
		// RFC 9000, Section 19.20: "A server MUST treat receipt of a
		// HANDSHAKE_DONE frame as a connection error of type
		// PROTOCOL_VIOLATION."
		if c.server {
			return c.violation(ProtocolViolation, uint64(f.RawType), "handshake_done_from_client", ErrProto)
		}
		// RFC 9001, Section 4.1.2: HANDSHAKE_DONE confirms the handshake
		// at the client.
		return c.confirmHandshake()
	case wire.FrameDatagram:
		return c.recvDatagram(f)
	}
	return c.violation(FrameEncodingError, uint64(f.RawType), "frame_type_unhandled", ErrFrameEncoding)
}

// recvCryptoFrame reassembles a CRYPTO stream and feeds TLS in order
// (RFC 9000, Section 19.6).
func (c *Conn) recvCryptoFrame(sid spaceID, f *wire.Frame) error {
	sp := &c.spaces[sid]
	rb := &sp.cryptoRecv
	end := f.Offset + uint64(len(f.Data))
	if end <= rb.off {
		return nil // duplicate
	}
	if f.Offset > rb.off {
		// RFC 9000, Section 7.5: "If an endpoint does not expand its
		// buffer, it MUST close the connection with a
		// CRYPTO_BUFFER_EXCEEDED error code."
		if !rb.store(f.Offset, f.Data, uint64(c.settings.MaxCryptoBuffer)) || rb.have.len() > 64 {
			return c.violation(CryptoBufferExceeded, uint64(f.RawType), "crypto_buffer_exceeded", ErrCrypto)
		}
		return nil
	}
	data := f.Data[rb.off-f.Offset:]
	rb.advance(end)
	if err := c.recvCrypto(sid, data); err != nil {
		return err
	}
	for {
		a, b := rb.readable()
		if len(a) == 0 {
			return nil
		}
		next := rb.off + uint64(len(a)+len(b))
		// TLS copies what it needs; the ring may be overwritten after.
		if err := c.recvCrypto(sid, a); err != nil {
			return err
		}
		if len(b) > 0 {
			if err := c.recvCrypto(sid, b); err != nil {
				return err
			}
		}
		rb.advance(next)
	}
}

func (c *Conn) recvConnectionClose(f *wire.Frame, ts Tstamp) error {
	e := &CCErr{Type: CCErrTypeTransport, ErrorCode: f.ErrorCode, FrameType: f.ErrorFrameType,
		Reason: append([]byte(nil), f.Reason...)}
	if f.RawType == wire.FrameConnectionCloseApp {
		e.Type = CCErrTypeApplication
		e.FrameType = 0
	}
	return c.enterDraining(e, ts)
}

func (c *Conn) recvDatagram(f *wire.Frame) error {
	// RFC 9221, Section 3: a DATAGRAM frame without our support, or larger
	// than our max_datagram_frame_size, is a PROTOCOL_VIOLATION.
	if c.local.MaxDatagramFrameSize == 0 {
		return c.violation(ProtocolViolation, uint64(f.RawType), "datagram_not_enabled", ErrProto)
	}
	if uint64(len(f.Data)) > c.local.MaxDatagramFrameSize {
		return c.violation(ProtocolViolation, uint64(f.RawType), "datagram_too_large", ErrProto)
	}
	if c.cb.RecvDatagram != nil {
		if err := c.cb.RecvDatagram(c, f.Data); err != nil {
			return cbErr(err)
		}
	}
	return nil
}

// errFor maps a transport error code to the library error of the same
// meaning.
func errFor(code uint64) Error {
	switch code {
	case FlowControlError:
		return ErrFlowControl
	case StreamLimitError:
		return ErrStreamLimit
	case StreamStateError:
		return ErrStreamState
	case FinalSizeError:
		return ErrFinalSize
	case FrameEncodingError:
		return ErrFrameEncoding
	case TransportParameterError:
		return ErrTransportParam
	case ConnectionIDLimitError:
		return ErrConnectionIDLimit
	case CryptoBufferExceeded:
		return ErrCrypto
	}
	if code >= CryptoErrorBase && code < CryptoErrorBase+0x100 {
		return ErrCrypto
	}
	return ErrProto
}
