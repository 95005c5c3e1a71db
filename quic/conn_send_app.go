package quic

import "github.com/ngloop/ngloop/quic/internal/wire"

// appHasWork reports whether a 1-RTT packet has something other than new
// stream data to carry.
func (c *Conn) appHasWork(ts Tstamp) bool {
	sp := &c.spaces[spaceApp]
	if sp.recv.wantAck(ts) || sp.probes > 0 || c.needHandshakeDone || c.needPathResponse ||
		c.flow.needMax || c.flow.needBlocked || c.needMaxStreamsBidi || c.needMaxStreamsUni ||
		c.needStreamsBlockedBidi || c.needStreamsBlockedUni || len(c.peerCIDs.retire) > 0 ||
		len(c.ctrlStreams) > 0 || c.pv.active && c.pv.needSend || c.connIDsDue() ||
		c.newTokenState == 1 {
		return true
	}
	if c.cwndAvailable(spaceApp) && (sp.crypto.hasLost() || sp.crypto.next < sp.crypto.end || len(c.lostStreams) > 0) {
		return true
	}
	return false
}

// writeShortPacket adds (or continues) the 1-RTT packet. It returns the
// bytes of data consumed for stream s and whether s was flow-control
// blocked.
func (c *Conn) writeShortPacket(d *dgram, s *stream, flags WriteStreamFlags, data []byte, ts Tstamp) (int, bool, error) {
	sp := &c.spaces[spaceApp]
	if !sp.hasSend {
		return 0, false, nil
	}
	// A datagram continued from WriteStreamFlagMore already has its 1-RTT
	// packet open.
	continuing := d.n > 0 && d.cur().typ == wire.Packet1RTT
	wantStream := s != nil && (len(data) > 0 || flags&WriteStreamFlagFin != 0)
	if !continuing {
		if !wantStream && !c.hasDatagram && !c.appHasWork(ts) {
			return 0, false, nil
		}
		// 1-RTT send keys exist at the client once the handshake is
		// complete, at the server once it sent its flight (0.5-RTT data,
		// RFC 9001, Section 4.1.1).
		if !c.startPacket(d, spaceApp, wire.Packet1RTT) {
			return 0, false, nil
		}
		if sp.recv.ackPending {
			c.writeAck(d, spaceApp, ts)
		}
		if err := c.writeControl(d); err != nil {
			return 0, false, err
		}
		c.writePathChallenge(d, ts)
		c.writeNewConnectionIDs(d)
		c.writeNewToken(d)
		c.writeDatagramFrame(d)
		if c.cwndAvailable(spaceApp) {
			c.writeCrypto(d, spaceApp)
			c.writeLostStreams(d)
		}
	}
	consumed, blocked := 0, false
	if wantStream {
		consumed, blocked = c.writeStreamData(d, s, flags, data)
	}
	if !continuing {
		c.writeProbe(d, sp)
	}
	if d.payloadLen() == 0 {
		c.dropPacket(d)
	}
	return consumed, blocked, nil
}

// writeControl appends the connection and stream control frames that are
// due. Each is written with its current value, so a lost one is just
// flagged again.
func (c *Conn) writeControl(d *dgram) error {
	const maxCtl = 1 + 8 + 8 + 8 // type + three varints
	if c.needHandshakeDone && d.room() >= 1 {
		d.buf = wire.AppendHandshakeDone(d.buf)
		c.record(d, frameRec{kind: fkHandshakeDone})
		c.needHandshakeDone = false
	}
	if c.needPathResponse && c.respPath.Remote == c.path.Remote && d.room() >= 9 {
		d.buf = wire.AppendPathResponse(d.buf, c.pathResponse)
		c.record(d, frameRec{kind: fkPathResponse})
		c.needPathResponse = false
		// RFC 9000, Section 8.2.2: "An endpoint MUST expand datagrams that
		// contain a PATH_RESPONSE frame to at least the smallest allowed
		// maximum datagram size of 1200 bytes", within the amplification limit.
		d.padTo = MaxUDPPayloadSize
	}
	if c.flow.needMax && d.room() >= maxCtl {
		d.buf = wire.AppendMaxData(d.buf, c.flow.recvMax)
		c.record(d, frameRec{kind: fkMaxData})
		c.flow.needMax = false
	}
	if c.flow.needBlocked && d.room() >= maxCtl {
		d.buf = wire.AppendDataBlocked(d.buf, c.flow.sendMax)
		c.record(d, frameRec{kind: fkDataBlocked})
		c.flow.needBlocked = false
	}
	if c.needMaxStreamsBidi && d.room() >= maxCtl {
		d.buf = wire.AppendMaxStreams(d.buf, true, c.remoteBidi.max)
		c.remoteBidi.sentMax = c.remoteBidi.max
		c.record(d, frameRec{kind: fkMaxStreamsBidi})
		c.needMaxStreamsBidi = false
	}
	if c.needMaxStreamsUni && d.room() >= maxCtl {
		d.buf = wire.AppendMaxStreams(d.buf, false, c.remoteUni.max)
		c.remoteUni.sentMax = c.remoteUni.max
		c.record(d, frameRec{kind: fkMaxStreamsUni})
		c.needMaxStreamsUni = false
	}
	if c.needStreamsBlockedBidi && d.room() >= maxCtl {
		d.buf = wire.AppendStreamsBlocked(d.buf, true, c.localBidi.max)
		c.record(d, frameRec{kind: fkStreamsBlockedBidi})
		c.needStreamsBlockedBidi = false
	}
	if c.needStreamsBlockedUni && d.room() >= maxCtl {
		d.buf = wire.AppendStreamsBlocked(d.buf, false, c.localUni.max)
		c.record(d, frameRec{kind: fkStreamsBlockedUni})
		c.needStreamsBlockedUni = false
	}
	for len(c.peerCIDs.retire) > 0 && d.room() >= maxCtl {
		seq := c.peerCIDs.retire[0]
		c.peerCIDs.retire = append(c.peerCIDs.retire[:0], c.peerCIDs.retire[1:]...)
		d.buf = wire.AppendRetireConnectionID(d.buf, seq)
		c.record(d, frameRec{kind: fkRetireConnID, off: seq})
	}
	// Per-stream control frames.
	j := 0
	for i, id := range c.ctrlStreams {
		s := c.streams[id]
		if s == nil {
			continue
		}
		if d.room() < 4*maxCtl {
			// Keep this one and the rest for the next packet.
			j += copy(c.ctrlStreams[j:], c.ctrlStreams[i:])
			break
		}
		s.inCtrl = false
		if s.needReset {
			d.buf = wire.AppendResetStream(d.buf, s.id, s.resetCode, s.send.next)
			c.record(d, frameRec{kind: fkResetStream, id: s.id})
			s.needReset, s.resetSent = false, true
		}
		if s.needStop {
			d.buf = wire.AppendStopSending(d.buf, s.id, s.stopCode)
			c.record(d, frameRec{kind: fkStopSending, id: s.id})
			s.needStop, s.stopSent = false, true
		}
		if s.needMaxData {
			if !s.recvFinished && !s.hasFinal {
				d.buf = wire.AppendMaxStreamData(d.buf, s.id, s.recvMax)
				c.record(d, frameRec{kind: fkMaxStreamData, id: s.id})
			}
			s.needMaxData = false
		}
		if s.needBlocked {
			d.buf = wire.AppendStreamDataBlocked(d.buf, s.id, s.sendMax)
			c.record(d, frameRec{kind: fkStreamDataBlocked, id: s.id})
			s.needBlocked = false
		}
		if err := c.maybeCloseStream(s); err != nil {
			c.ctrlStreams = c.ctrlStreams[:j]
			return err
		}
	}
	if j == 0 || j > len(c.ctrlStreams) {
		c.ctrlStreams = c.ctrlStreams[:0]
	} else {
		c.ctrlStreams = c.ctrlStreams[:j]
	}
	return nil
}

// writeLostStreams retransmits lost STREAM data (RFC 9000, Section 13.3).
func (c *Conn) writeLostStreams(d *dgram) {
	for len(c.lostStreams) > 0 {
		id := c.lostStreams[0]
		s := c.streams[id]
		if s == nil || s.needReset || s.resetSent || !s.send.hasLost() {
			if s != nil {
				s.inLost = false
			}
			c.lostStreams = append(c.lostStreams[:0], c.lostStreams[1:]...)
			continue
		}
		sb := &s.send
		for !sb.lost.empty() {
			g := sb.lost.first()
			fin := sb.fin && g.end == sb.end
			if !c.appendStreamRange(d, s, g.start, g.end, fin) {
				return
			}
		}
		if sb.finLost {
			if !c.appendStreamRange(d, s, sb.end, sb.end, true) {
				return
			}
		}
		s.inLost = false
		c.lostStreams = append(c.lostStreams[:0], c.lostStreams[1:]...)
	}
}

// appendStreamRange writes the head of the stored range [start, end) of
// s, and reports whether all of it (and the FIN) fit.
func (c *Conn) appendStreamRange(d *dgram, s *stream, start, end uint64, fin bool) bool {
	room := d.room() - wire.StreamFrameOverhead(s.id, start, int(end-start), true)
	if room < 0 || room == 0 && end > start {
		return false
	}
	n := end - start
	if n > uint64(room) {
		n = uint64(room)
		fin = false
	}
	d.buf = wire.AppendStreamFrameHeader(d.buf, s.id, start, int(n), fin, true)
	q := len(d.buf)
	d.buf = d.buf[:q+int(n)]
	s.send.read(start, d.buf[q:])
	s.send.lost.remove(start, start+n)
	if fin {
		s.send.finLost = false
		s.send.finSent = true
	}
	c.record(d, frameRec{kind: fkStream, id: s.id, off: start, n: n, fin: fin})
	return start+n == end
}

// writeStreamData sends new data of s, limited by the stream and
// connection credit (RFC 9000, Section 4.1), the congestion window and
// the packet. It returns bytes consumed and whether s is blocked.
func (c *Conn) writeStreamData(d *dgram, s *stream, flags WriteStreamFlags, data []byte) (int, bool) {
	if !c.cwndAvailable(spaceApp) {
		return 0, false
	}
	sb := &s.send
	off := sb.end
	n := uint64(len(data))
	streamCredit := s.sendMax - off
	if s.sendMax < off {
		streamCredit = 0
	}
	blocked := false
	if n > streamCredit {
		n = streamCredit
		blocked = true
		if s.blockedAt != s.sendMax+1 {
			s.blockedAt = s.sendMax + 1
			s.needBlocked = true
			c.queueCtrl(s)
		}
	}
	connCredit := c.flow.sendMax - c.flow.sent
	if n > connCredit {
		n = connCredit
		if c.flow.blockedAt != c.flow.sendMax+1 {
			c.flow.blockedAt = c.flow.sendMax + 1
			c.flow.needBlocked = true
		}
	}
	room := d.room() - wire.StreamFrameOverhead(s.id, off, int(n), true)
	if room < 0 {
		return 0, blocked
	}
	if n > uint64(room) {
		n = uint64(room)
	}
	fin := flags&WriteStreamFlagFin != 0 && n == uint64(len(data))
	if n == 0 && !fin {
		return 0, blocked
	}
	sb.push(data[:n])
	d.buf = wire.AppendStreamFrame(d.buf, s.id, off, data[:n], fin, true)
	sb.next = sb.end
	c.flow.sent += n
	if fin {
		sb.fin = true
		sb.finSent = true
	}
	c.record(d, frameRec{kind: fkStream, id: s.id, off: off, n: n, fin: fin})
	return int(n), blocked && n == 0
}
