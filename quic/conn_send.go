package quic

import (
	"github.com/ngloop/ngloop/quic/internal/wire"
)

// maxPacketNumber: RFC 9000, Section 12.3: "A QUIC endpoint MUST NOT reuse
// a packet number within the same packet number space ... If the packet
// number for sending reaches 2^62-1, the sender MUST close the connection
// without sending a CONNECTION_CLOSE frame".
const maxPacketNumber = 1<<62 - 1

// minDatagramBuf is the smallest buffer WritePkt works with: a short
// header with a 20-byte connection ID, a packet number, a few frames and
// the tag.
const minDatagramBuf = 64

// WritePkt writes one datagram into dest: ACKs, handshake data, control
// frames, retransmissions and probes, coalescing Initial, Handshake and
// 1-RTT packets (RFC 9000, Section 12.2). It does not add new stream
// data; WriteStream does. path and pi, when not nil, receive the path and
// ECN marking for the datagram.
//
// Returns the datagram length, 0 when there is nothing to send now
// (see Expiry), or one of: ErrClosing — the connection is in its closing
// period and no reply is due (after a due reply, the saved
// CONNECTION_CLOSE is returned as the datagram); ErrDraining — the
// connection is draining; ErrInvalidState — the connection is closed;
// ErrPktNumExhausted — no packet number is left; ErrNoBuf — dest is
// shorter than 64 bytes; ErrCallbackFailure —
// a callback failed; ErrInvalidArgument — a datagram left open by
// WriteStreamFlagMore was in another buffer; ErrInvalidState (also) —
// called from inside a callback.
func (c *Conn) WritePkt(path *Path, pi *PktInfo, dest []byte, ts Tstamp) (int, error) {
	n, _, err := c.write(path, pi, dest, WriteStreamFlagNone, -1, nil, ts)
	return n, err
}

// WriteStream writes one datagram into dest carrying as much of data for
// stream streamID as flow control, congestion control and the datagram
// allow, after any pending ACK and control frames. streamID -1 writes
// no stream data (then it finishes a datagram left open by
// WriteStreamFlagMore). With WriteStreamFlagFin the stream ends once all
// of data is consumed (an empty data with the flag just sends FIN).
//
// It returns the datagram length n and how many bytes of data were
// consumed; the data is copied, so the caller may reuse it. n is 0 with
// a nil error when nothing can be sent now (the connection-level or
// congestion window is full). The errors are those of WritePkt and:
// ErrWriteMore — WriteStreamFlagMore was given and the datagram still has
// room: it stays open in dest (call again with the same dest, for
// another stream or with -1 to finish it); ErrStreamDataBlocked — the
// stream's flow control credit is used up and nothing else was written
// (a STREAM_DATA_BLOCKED frame is queued; with WriteStreamFlagMore a
// datagram holding other frames stays open as for ErrWriteMore); ErrStreamNotFound — no such
// stream; ErrStreamShutWR — the stream has no send side, was reset, or
// already ended.
func (c *Conn) WriteStream(path *Path, pi *PktInfo, dest []byte, flags WriteStreamFlags,
	streamID int64, data []byte, ts Tstamp) (n, consumed int, err error) {
	return c.write(path, pi, dest, flags, streamID, data, ts)
}

func (c *Conn) write(path *Path, pi *PktInfo, dest []byte, flags WriteStreamFlags,
	streamID int64, data []byte, ts Tstamp) (int, int, error) {
	if c.inCall {
		// Callbacks run in the middle of packet processing; a write from
		// one would corrupt it (ngtcp2: "must not be called from inside
		// the callback functions").
		return 0, 0, ErrInvalidState
	}
	switch c.state {
	case stateClosing:
		c.pend.active = false
		return c.writeClosingReply(dest)
	case stateDraining:
		c.pend.active = false
		return 0, 0, ErrDraining
	case stateClosed:
		return 0, 0, ErrInvalidState
	}
	if c.localErr != nil {
		c.pend.active = false
		n, err := c.writeConnectionClose(dest, &c.localErr.CCErr, ts)
		return n, 0, err
	}
	if path != nil {
		*path = c.path
	}
	if pi != nil {
		*pi = PktInfo{}
	}
	c.ecnOnWrite(pi)
	c.pacingCheck(ts)
	c.inCall = true
	defer c.endCall()
	var s *stream
	if streamID >= 0 {
		s = c.streams[streamID]
		if s == nil {
			return 0, 0, ErrStreamNotFound
		}
		if !s.hasSend || s.needReset || s.resetSent || s.send.fin {
			return 0, 0, ErrStreamShutWR
		}
	}
	if c.spaces[spaceApp].nextPN >= maxPacketNumber {
		return 0, 0, ErrPktNumExhausted
	}
	c.dropPrevKeys(ts)
	if !c.pend.active {
		if err := c.maybeUsePreferredAddress(ts); err != nil {
			return 0, 0, err
		}
		if err := c.topUpConnIDs(); err != nil {
			return 0, 0, err
		}
		c.makeNewToken(ts)
		if len(dest) >= minDatagramBuf {
			if n, ok := c.writePathResponseAway(path, dest, ts); ok {
				return n, 0, nil
			}
		}
	}
	d := &c.pend.d
	if c.pend.active {
		if len(dest) == 0 || len(c.pend.dest) == 0 || &dest[0] != &c.pend.dest[0] {
			return 0, 0, ErrInvalidArgument
		}
		c.pend.active = false
	} else {
		if len(dest) < minDatagramBuf {
			return 0, 0, ErrNoBuf
		}
		limit := len(dest)
		if limit > c.maxDatagram {
			limit = c.maxDatagram
		}
		if a := c.amplificationAllowance(); a < uint64(limit) {
			limit = int(a)
		}
		*d = dgram{buf: dest[:0], limit: limit}
		if limit < minDatagramBuf {
			return 0, 0, nil // the amplification limit: wait for the client
		}
		if err := c.writeLongPackets(d, ts); err != nil {
			return 0, 0, err
		}
	}
	consumed, blocked, err := c.writeShortPacket(d, s, flags, data, ts)
	if err != nil {
		return 0, 0, err
	}
	if d.n == 0 {
		if blocked {
			return 0, 0, ErrStreamDataBlocked
		}
		return 0, 0, nil
	}
	if flags&WriteStreamFlagMore != 0 && d.cur().typ == wire.Packet1RTT && d.room() >= 32 &&
		(s == nil || consumed == len(data) || blocked) {
		c.pend.active = true
		c.pend.dest = dest
		if blocked {
			return 0, consumed, ErrStreamDataBlocked
		}
		return 0, consumed, ErrWriteMore
	}
	n := c.finishDatagram(d, ts)
	return n, consumed, nil
}

// amplificationAllowance: RFC 9000, Section 8.1: "Prior to validating
// the client address, servers MUST NOT send more than three times as many
// bytes as the number of bytes they have received."
func (c *Conn) amplificationAllowance() uint64 {
	if c.addrValidated {
		return ^uint64(0)
	}
	max := uint64(c.settings.AmplificationFactor) * c.bytesRecv
	if c.bytesSent >= max {
		return 0
	}
	return max - c.bytesSent
}

// cwndAvailable reports whether congestion control admits another
// ack-eliciting packet; PTO probes are exempt (RFC 9002, Section 7.5).
// Application data also waits for the pacer (Section 7.7); the few
// handshake packets are not paced.
func (c *Conn) cwndAvailable(sid spaceID) bool {
	if c.spaces[sid].probes > 0 {
		return true
	}
	return c.inFlight < c.cc.Window() && !(sid == spaceApp && c.pacer.blocked)
}

// startPacket appends a packet header to the datagram. It returns false
// when the packet does not fit.
func (c *Conn) startPacket(d *dgram, sid spaceID, typ wire.PacketType) bool {
	sp := &c.spaces[sid]
	pn := sp.nextPN
	pnLen := wire.PacketNumberLen(pn, sp.largestAcked)
	var hlen int
	var token []byte
	if typ == wire.Packet1RTT {
		hlen = 1 + len(c.dcid)
	} else {
		if typ == wire.PacketInitial && !c.server {
			token = c.token
		}
		hlen = wire.LongHeaderLen(typ, c.dcid, c.scid, token)
	}
	// The previous packet's tag, header, packet number, a few bytes of
	// frames, this packet's tag.
	prevTag := 0
	if d.n > 0 {
		prevTag = tagLen + c.minPayloadPad(d)
	}
	if len(d.buf)+prevTag+hlen+pnLen+8+tagLen > d.limit {
		return false
	}
	if d.n > 0 {
		c.closePacket(d)
	}
	start := len(d.buf)
	lengthOff := -1
	if typ == wire.Packet1RTT {
		d.buf = wire.AppendShortHeader(d.buf, c.dcid, pnLen, c.keyPhase)
	} else {
		d.buf, lengthOff = wire.AppendLongHeader(d.buf, typ, c.version, c.dcid, c.scid, token, pnLen)
	}
	pnOffset := len(d.buf)
	d.buf = wire.AppendPacketNumber(d.buf, uint64(pn), pnLen)
	sp.nextPN++
	p := sp.sent.get()
	p.pn = pn
	d.pkts[d.n] = pktBuilder{sid: sid, typ: typ, start: start, lengthOff: lengthOff,
		pnOffset: pnOffset, pnLen: pnLen, payloadStart: len(d.buf), pn: pn, sp: p}
	d.n++
	return true
}

// dropPacket undoes startPacket for a packet that got no frames.
func (c *Conn) dropPacket(d *dgram) {
	b := d.cur()
	sp := &c.spaces[b.sid]
	sp.nextPN--
	sp.sent.put(b.sp)
	d.buf = d.buf[:b.start]
	d.n--
	if d.n > 0 {
		// Give back the previous packet's tag space (padding may stay).
		d.buf = d.buf[:len(d.buf)-tagLen]
	}
}

// minPayloadPad is the padding the current packet needs so that its
// packet number and payload are at least 4 bytes, leaving room for the
// header protection sample (RFC 9001, Section 5.4.2).
func (c *Conn) minPayloadPad(d *dgram) int {
	if need := 4 - (len(d.buf) - d.cur().pnOffset); need > 0 {
		return need
	}
	return 0
}

// closePacket pads the current packet to the minimum and reserves room
// for its tag before another packet is coalesced after it.
func (c *Conn) closePacket(d *dgram) {
	d.buf = wire.AppendPadding(d.buf, c.minPayloadPad(d))
	d.buf = d.buf[:len(d.buf)+tagLen]
}

func (c *Conn) record(d *dgram, r frameRec) {
	b := d.cur()
	b.sp.frames = append(b.sp.frames, r)
	if r.kind != fkAck {
		b.sp.ackEliciting = true
		b.sp.inFlight = true
	}
}

// writeLongPackets adds Initial and Handshake packets when they have
// something to carry.
func (c *Conn) writeLongPackets(d *dgram, ts Tstamp) error {
	for sid := spaceInitial; sid <= spaceHandshake; sid++ {
		sp := &c.spaces[sid]
		if !sp.hasSend || sp.discarded {
			continue
		}
		if sp.nextPN >= maxPacketNumber {
			return ErrPktNumExhausted
		}
		wantAck := sp.recv.wantAck(ts)
		cwndOK := c.cwndAvailable(sid)
		hasCrypto := cwndOK && (sp.crypto.hasLost() || sp.crypto.next < sp.crypto.end)
		if !wantAck && !hasCrypto && sp.probes == 0 {
			continue
		}
		typ := wire.PacketInitial
		if sid == spaceHandshake {
			typ = wire.PacketHandshake
		} else if d.limit < MaxUDPPayloadSize && (!c.server || hasCrypto || sp.probes > 0) {
			// The Initial would need padding to 1200 bytes that does not fit
			// (a small buffer or the amplification limit).
			continue
		}
		if !c.startPacket(d, sid, typ) {
			return nil
		}
		if sp.recv.ackPending {
			c.writeAck(d, sid, ts)
		}
		if cwndOK {
			c.writeCrypto(d, sid)
		}
		c.writeProbe(d, sp)
		if d.payloadLen() == 0 {
			c.dropPacket(d)
			continue
		}
		if typ == wire.PacketInitial && (!c.server || d.cur().sp.ackEliciting) {
			// RFC 9000, Section 14.1: datagrams with (ack-eliciting, for a
			// server) Initial packets are padded to 1200 bytes.
			d.padTo = MaxUDPPayloadSize
		}
		if !c.server && sid == spaceHandshake {
			// RFC 9001, Section 4.9.1: "a client MUST discard Initial keys
			// when it first sends a Handshake packet".
			c.sentHandshakePkt = true
		}
	}
	return nil
}

// writeProbe makes the packet a PTO probe when one is due: it must be
// ack-eliciting (RFC 9002, Section 6.2.4), so a PING is added when it
// carries nothing else that is.
func (c *Conn) writeProbe(d *dgram, sp *pnSpace) {
	if sp.probes == 0 {
		return
	}
	if !d.cur().sp.ackEliciting && d.room() >= 1 {
		d.buf = wire.AppendPing(d.buf)
		c.record(d, frameRec{kind: fkPing})
	}
	sp.probes--
}

// writeAck appends an ACK frame for the space's received packets.
func (c *Conn) writeAck(d *dgram, sid spaceID, ts Tstamp) {
	sp := &c.spaces[sid]
	r := &sp.recv
	if r.pns.empty() {
		return
	}
	var ranges [32]wire.AckRange
	n := 0
	for i := r.pns.len() - 1; i >= 0 && n < len(ranges); i-- {
		g := r.pns.at(i)
		ranges[n] = wire.AckRange{Smallest: g.start, Largest: g.end - 1}
		n++
	}
	var delay uint64
	if sid == spaceApp && ts > r.largestTime {
		delay = uint64(Duration(ts-r.largestTime)/Microseconds) >> ackDelayExponent
	}
	ecn := c.ecnAckCounts(sid)
	for n > 0 && wire.AckFrameLen(ranges[:n], delay, ecn) > d.room() {
		n--
	}
	if n == 0 {
		return
	}
	d.buf = wire.AppendAckFrame(d.buf, ranges[:n], delay, ecn)
	c.record(d, frameRec{kind: fkAck, off: ranges[0].Largest})
	r.onAckSent()
}

// writeCrypto appends CRYPTO frames: lost ranges first, then new data.
func (c *Conn) writeCrypto(d *dgram, sid spaceID) {
	sb := &c.spaces[sid].crypto
	for !sb.lost.empty() {
		g := sb.lost.first()
		if !c.appendCryptoRange(d, sb, g.start, g.end) {
			return
		}
	}
	for sb.next < sb.end {
		if !c.appendCryptoRange(d, sb, sb.next, sb.end) {
			return
		}
	}
}

// appendCryptoRange writes the head of [start, end) and reports whether
// the packet has room for more.
func (c *Conn) appendCryptoRange(d *dgram, sb *sendBuf, start, end uint64) bool {
	room := d.room() - wire.CryptoFrameOverhead(start, int(end-start))
	if room <= 0 {
		return false
	}
	n := end - start
	if n > uint64(room) {
		n = uint64(room)
	}
	d.buf = wire.AppendCryptoFrameHeader(d.buf, start, int(n))
	p := len(d.buf)
	d.buf = d.buf[:p+int(n)]
	sb.read(start, d.buf[p:])
	sb.lost.remove(start, start+n)
	if start+n > sb.next {
		sb.next = start + n
	}
	c.record(d, frameRec{kind: fkCrypto, off: start, n: n})
	return start+n == end
}
