package quic

import "github.com/ngloop/ngloop/quic/internal/wire"

// Connection close (RFC 9000, Section 10.2).

// violation records a protocol violation by the peer: the connection
// will close with CONNECTION_CLOSE carrying code (RFC 9000, Section 11).
// rule names the check that fired.
func (c *Conn) violation(code, frameType uint64, rule string, err Error) error {
	if c.localErr != nil {
		return c.localErr
	}
	c.localErr = &ConnError{
		CCErr: CCErr{Type: CCErrTypeTransport, ErrorCode: code, FrameType: frameType, Reason: []byte(rule)},
		Rule:  rule,
		Err:   err,
	}
	return c.localErr
}

// WriteConnectionClose writes a datagram with CONNECTION_CLOSE frame(s)
// into dest and moves the connection into its closing period (RFC 9000,
// Section 10.2.1), as ngtcp2_conn_write_connection_close does:
//
//   - ccerr.Type CCErrTypeTransport sends a frame of type 0x1c;
//     CCErrTypeApplication sends type 0x1d; any other type writes
//     nothing and returns 0 and a nil error.
//   - Before the handshake is confirmed the frame goes into every packet
//     number space with keys (RFC 9000, Section 10.2.3); an application
//     close in an Initial or Handshake packet becomes a 0x1c frame with
//     APPLICATION_ERROR and no reason phrase.
//   - A client's dest should be at least MaxUDPPayloadSize bytes, since a
//     datagram with an Initial packet is padded to that size.
//   - dest may be shortened by the server's anti-amplification limit; when
//     the result is too small to hold the packet, ErrNoBuf is returned
//     even if dest itself is large enough.
//
// The datagram is kept, and while closing, WritePkt returns it again in
// answer to the peer's packets, at a decreasing rate.
//
// It must not be called from inside a callback. It invokes no callback
// itself, so ErrCallbackFailure cannot occur.
//
// Returns the datagram length, or one of: ErrNoBuf — the buffer is too
// small; ErrInvalidState — the connection is already closing, draining
// or closed, or the call came from inside a callback;
// ErrInvalidArgument — the error code or frame type is above 2^62-1;
// ErrPktNumExhausted — no packet number is left.
func (c *Conn) WriteConnectionClose(path *Path, pi *PktInfo, dest []byte, ccerr *CCErr, ts Tstamp) (int, error) {
	if ccerr == nil || ccerr.Type != CCErrTypeTransport && ccerr.Type != CCErrTypeApplication {
		return 0, nil
	}
	// "This function must not be called from inside the callback
	// functions": the connection is mid-update there.
	if c.state >= stateClosing || c.inCall {
		return 0, ErrInvalidState
	}
	if ccerr.ErrorCode > wire.MaxVarint || ccerr.FrameType > wire.MaxVarint {
		return 0, ErrInvalidArgument
	}
	c.pend.active = false
	n, err := c.writeConnectionClose(dest, ccerr, ts)
	if err == nil {
		if path != nil {
			*path = c.path
		}
		if pi != nil {
			*pi = PktInfo{}
		}
	}
	return n, err
}

func (c *Conn) writeConnectionClose(dest []byte, ccerr *CCErr, ts Tstamp) (int, error) {
	for sid := range c.spaces {
		sp := &c.spaces[sid]
		if sp.hasSend && !sp.discarded && sp.nextPN >= maxPacketNumber {
			return 0, ErrPktNumExhausted
		}
	}
	limit := len(dest)
	if limit > c.maxDatagram {
		limit = c.maxDatagram
	}
	if a := c.amplificationAllowance(); a < uint64(limit) {
		limit = int(a)
	}
	d := &c.pend.d
	*d = dgram{buf: dest[:0], limit: limit}
	// Reasons are bounded so that the frame always fits a minimum packet.
	reason := ccerr.Reason
	if len(reason) > 512 {
		reason = reason[:512]
	}
	for sid := spaceInitial; sid < numSpaces; sid++ {
		sp := &c.spaces[sid]
		if !sp.hasSend || sp.discarded {
			continue
		}
		typ := wire.PacketInitial
		switch sid {
		case spaceHandshake:
			typ = wire.PacketHandshake
		case spaceApp:
			typ = wire.Packet1RTT
			// A client sends 1-RTT only once the handshake is complete
			// (RFC 9000, Section 10.2.3: it cannot know the server has
			// the keys before).
			if !c.server && !c.handshakeCompleted {
				continue
			}
		}
		if typ == wire.PacketInitial && !c.server && d.limit < MaxUDPPayloadSize {
			continue
		}
		app := ccerr.Type == CCErrTypeApplication
		code, ft, rs := ccerr.ErrorCode, ccerr.FrameType, reason
		if app && typ != wire.Packet1RTT {
			// RFC 9000, Section 10.2.3: "When sending a CONNECTION_CLOSE of
			// type 0x1d in an Initial or Handshake packet, an endpoint MUST
			// replace it with a CONNECTION_CLOSE of type 0x1c ... MUST clear
			// the value of the Reason Phrase field and SHOULD use the
			// APPLICATION_ERROR code".
			app, code, ft, rs = false, ApplicationError, 0, nil
		}
		if app {
			ft = 0
		}
		if !c.startPacket(d, sid, typ) {
			continue
		}
		if wire.ConnectionCloseLen(app, code, ft, len(rs)) > d.room() {
			c.dropPacket(d)
			continue
		}
		d.buf = wire.AppendConnectionClose(d.buf, app, code, ft, rs)
		if typ == wire.PacketInitial && !c.server {
			d.padTo = MaxUDPPayloadSize
		}
	}
	if d.n == 0 {
		return 0, ErrNoBuf
	}
	n := c.finishDatagram(d, ts)
	c.closePkt = append(c.closePkt[:0], dest[:n]...)
	e := *ccerr
	e.Reason = append([]byte(nil), ccerr.Reason...)
	c.closeErr = &e
	c.state = stateClosing
	c.closeRecvCount = 0
	c.closeNextReply = 1
	c.closeReplyDue = false
	// RFC 9000, Section 10.2: "The closing and draining connection states
	// exist ... for at least three times the current PTO interval".
	c.closeDeadline = ts + Tstamp(3*c.rtt.pto(c.peerMaxAckDelay()))
	c.releaseStreams()
	return n, nil
}

// writeClosingReply answers a packet received in the closing period with
// the saved CONNECTION_CLOSE. Replies are sent for the 1st, 2nd, 4th, 8th
// ... packet received, so the rate falls off (RFC 9000, Section 10.2.1:
// "An endpoint SHOULD limit the rate at which it generates packets in
// the closing state").
func (c *Conn) writeClosingReply(dest []byte) (int, int, error) {
	if !c.closeReplyDue || len(c.closePkt) == 0 {
		return 0, 0, ErrClosing
	}
	if len(dest) < len(c.closePkt) {
		return 0, 0, ErrNoBuf
	}
	c.closeReplyDue = false
	return copy(dest, c.closePkt), 0, nil
}

// enterDraining: the peer closed (RFC 9000, Section 10.2.2), or sent a
// stateless reset (Section 10.3).
func (c *Conn) enterDraining(e *CCErr, ts Tstamp) error {
	if c.state == stateClosing || c.closeErr == nil {
		c.closeErr = e
	}
	c.state = stateDraining
	c.closeDeadline = ts + Tstamp(3*c.rtt.pto(c.peerMaxAckDelay()))
	c.closePkt = nil
	c.pend.active = false
	c.releaseStreams()
	return ErrDraining
}

// releaseStreams drops stream buffers once nothing can be sent or
// delivered any more, so a closed connection holds no stream memory.
func (c *Conn) releaseStreams() {
	for _, s := range c.streams {
		s.recv.release()
		s.send.ring = nil
	}
	for sid := range c.spaces {
		c.spaces[sid].crypto.ring = nil
		c.spaces[sid].cryptoRecv.release()
	}
	c.closeTLS()
}

func (c *Conn) peerMaxAckDelay() Duration {
	if !c.havePeer {
		return 25 * Milliseconds
	}
	return Duration(c.peer.MaxAckDelay)
}
