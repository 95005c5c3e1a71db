package quic

import "github.com/ngloop/ngloop/quic/internal/wire"

// tagLen is the AEAD tag size of every QUIC suite (RFC 9001, Section 5.3).
const tagLen = 16

// pktBuilder is one packet being assembled inside a datagram. Packets are
// sealed only when the datagram is finished, so the last one can still be
// padded (RFC 9000, Section 14.1) or left open for more STREAM frames
// (WriteStreamFlagMore).
type pktBuilder struct {
	sid          spaceID
	typ          wire.PacketType
	start        int // packet start in the datagram
	lengthOff    int // long header Length field, -1 for short headers
	pnOffset     int
	pnLen        int
	payloadStart int
	pn           int64
	sp           *sentPacket
}

// dgram is a datagram being written into the caller's buffer.
type dgram struct {
	buf   []byte // dest[:len], frames are appended in place
	limit int    // bytes the datagram may use (buffer, path MTU, amplification)
	pkts  [numSpaces]pktBuilder
	n     int // packets in pkts
	padTo int // minimum datagram size (Initial padding), 0 for none
}

// cur is the packet being written.
func (d *dgram) cur() *pktBuilder { return &d.pkts[d.n-1] }

// room is how many payload bytes still fit in the current packet.
func (d *dgram) room() int {
	r := d.limit - tagLen - len(d.buf)
	if r < 0 {
		return 0
	}
	return r
}

// payloadLen of the current packet.
func (d *dgram) payloadLen() int { return len(d.buf) - d.cur().payloadStart }

// pendingPkt remembers a datagram left open by WriteStreamFlagMore.
type pendingPkt struct {
	active bool
	dest   []byte
	d      dgram
}

// finishDatagram pads, seals and records every packet of the datagram
// and returns its length.
func (c *Conn) finishDatagram(d *dgram, ts Tstamp) int {
	d.buf = wire.AppendPadding(d.buf, c.minPayloadPad(d))
	// RFC 9000, Section 14.1: the padding that brings a datagram with an
	// Initial packet to 1200 bytes goes into its last packet.
	if total := len(d.buf) + tagLen; total < d.padTo {
		pad := d.padTo - total
		if total+pad > d.limit {
			pad = d.limit - total
		}
		if pad > 0 {
			d.buf = wire.AppendPadding(d.buf, pad)
		}
	}
	for i := 0; i < d.n; i++ {
		b := &d.pkts[i]
		end := len(d.buf)
		if i+1 < d.n {
			end = d.pkts[i+1].start - tagLen
		}
		payloadLen := end - b.payloadStart
		if b.lengthOff >= 0 {
			wire.PutVarint2(d.buf[b.lengthOff:], uint64(b.pnLen+payloadLen+tagLen))
		}
		sp := &c.spaces[b.sid]
		sp.sendKeys.Seal(d.buf[b.start:end:end+tagLen], b.pnOffset-b.start, b.pnLen, uint64(b.pn), payloadLen)
		c.onPacketSent(b, uint64(end+tagLen-b.start), ts)
	}
	n := len(d.buf) + tagLen
	if !c.addrValidated {
		c.bytesSent += uint64(n)
	}
	if c.sentHandshakePkt && !c.server {
		c.discardSpace(spaceInitial)
	}
	d.n = 0
	return n
}

// onPacketSent records a sealed packet for loss recovery (RFC 9002,
// Appendix A.5).
func (c *Conn) onPacketSent(b *pktBuilder, size uint64, ts Tstamp) {
	sp := &c.spaces[b.sid]
	p := b.sp
	p.time = ts
	p.size = size
	c.ecnOnSent(b.sid, p)
	if !p.ackEliciting {
		// ACK-only packets are not tracked: nothing to retransmit or count.
		sp.sent.put(p)
		return
	}
	sp.sent.track(p)
	c.pacer.onSent(size)
	c.stats.sent++
	sp.lastAckElicitingTime = ts
	sp.ackElicitingInFlight++
	c.inFlight += size
	c.cc.OnPacketSent(ts, size)
	if !c.ackElicitingSince {
		// RFC 9000, Section 10.1: the idle timer restarts "when sending an
		// ack-eliciting packet if no other ack-eliciting packets have been
		// sent since last receiving and processing a packet".
		c.ackElicitingSince = true
		c.lastActivity = ts
	}
}
