package quic

import "github.com/ngloop/ngloop/quic/internal/wire"

// Loss detection (RFC 9002, Section 6 and Appendix A): acknowledgments,
// packet- and time-threshold loss, and the probe timeout. Congestion
// control is behind the CongestionController interface.

// kPacketThreshold (RFC 9002, Section 6.1.1).
const packetThreshold = 3

// recvAck processes an ACK frame (RFC 9002, Appendix A.7).
func (c *Conn) recvAck(sid spaceID, f *wire.Frame, ts Tstamp) error {
	sp := &c.spaces[sid]
	if len(f.AckRanges) == 0 {
		return nil
	}
	largest := int64(f.AckRanges[0].Largest)
	// RFC 9000, Section 13.1: "An endpoint SHOULD treat receipt of an
	// acknowledgment for a packet it did not send as a connection error of
	// type PROTOCOL_VIOLATION".
	if largest >= sp.nextPN {
		return c.violation(ProtocolViolation, uint64(f.RawType), "ack_of_unsent_packet", ErrAckFrame)
	}
	if largest > sp.largestAcked {
		sp.largestAcked = largest
	}
	pkts := sp.sent.pkts
	// The newest newly acknowledged packet, copied: acknowledged records
	// go back to the pool at once.
	newest := struct {
		found bool
		pn    int64
		time  Tstamp
	}{}
	ackedEliciting := false
	var markedAcked uint64
	r := 0
	for i := len(pkts) - 1; i >= 0 && r < len(f.AckRanges); {
		p := pkts[i]
		switch {
		case uint64(p.pn) > f.AckRanges[r].Largest:
			i--
		case uint64(p.pn) < f.AckRanges[r].Smallest:
			r++
		default:
			if !newest.found {
				newest.found, newest.pn, newest.time = true, p.pn, p.time
			}
			if p.ackEliciting {
				ackedEliciting = true
			}
			if p.ecn {
				markedAcked++
			}
			pkts[i] = nil
			if err := c.onPacketAcked(sid, p, ts); err != nil {
				sp.sent.compact()
				return err
			}
			i--
		}
	}
	if !newest.found {
		return nil
	}
	if sid == spaceApp && !c.server && c.handshakeCompleted {
		// RFC 9001, Section 4.1.2: "the client MAY consider the handshake
		// to be confirmed when it receives an acknowledgment for a 1-RTT
		// packet".
		if err := c.confirmHandshake(); err != nil {
			sp.sent.compact()
			return err
		}
	}
	// RFC 9002, Section 5.1: an RTT sample when the largest acknowledged is
	// newly acknowledged and at least one newly acked packet was
	// ack-eliciting.
	if newest.pn == largest && ackedEliciting && ts >= newest.time {
		var ackDelay Duration
		if sid == spaceApp {
			exp := uint64(3)
			if c.havePeer {
				exp = c.peer.AckDelayExponent
			}
			// Saturating: the field is peer input up to 2^62-1.
			ackDelay = Duration(wire.DecodeAckDelay(f.AckDelay, exp))
			// RFC 9002, Section 5.3: limit ack_delay by max_ack_delay once
			// the handshake is confirmed.
			if m := c.peerMaxAckDelay(); c.handshakeConfirmed && ackDelay > m {
				ackDelay = m
			}
		}
		if !c.rtt.HasSample {
			c.rtt.FirstSampleAt = ts
		}
		c.rtt.update(Duration(ts-newest.time), ackDelay)
	}
	c.ecnOnAck(sid, f, markedAcked, newest.time, ts)
	sp.sent.compact()
	c.detectLoss(sid, ts)
	// RFC 9002, Section 6.2.1: the PTO backoff is reset on an ack, except
	// that a client does not reset it on Initial acks before the server
	// validated its address.
	if !(c.server == false && sid == spaceInitial && !c.handshakeCompleted) {
		c.ptoCount = 0
	}
	for i := range c.spaces {
		c.spaces[i].probes = 0
	}
	return nil
}

// onPacketAcked applies the acknowledgment of each frame the packet held.
func (c *Conn) onPacketAcked(sid spaceID, p *sentPacket, ts Tstamp) error {
	sp := &c.spaces[sid]
	if p.inFlight {
		c.removeInFlight(sp, p)
		c.cc.OnPacketAcked(ts, p.size, p.time, &c.rtt)
	}
	var err error
	for i := range p.frames {
		r := &p.frames[i]
		switch r.kind {
		case fkStream:
			if e := c.onStreamAcked(r); e != nil && err == nil {
				err = e
			}
		case fkCrypto:
			sp.crypto.ack(r.off, r.off+r.n)
		case fkResetStream:
			if s := c.streams[r.id]; s != nil {
				s.resetAcked = true
				s.sendFinished = true
				if e := c.maybeCloseStream(s); e != nil && err == nil {
					err = e
				}
			}
		}
	}
	sp.sent.put(p)
	return err
}

func (c *Conn) removeInFlight(sp *pnSpace, p *sentPacket) {
	if c.inFlight >= p.size {
		c.inFlight -= p.size
	} else {
		c.inFlight = 0
	}
	if p.ackEliciting && sp.ackElicitingInFlight > 0 {
		sp.ackElicitingInFlight--
	}
}

func (c *Conn) onStreamAcked(r *frameRec) error {
	s := c.streams[r.id]
	if s == nil || s.resetSent || s.needReset {
		return nil
	}
	sb := &s.send
	prev := sb.base
	if r.fin {
		sb.finAcked = true
		sb.finLost = false
	}
	if sb.ack(r.off, r.off+r.n) && c.cb.AckedStreamDataOffset != nil {
		if err := c.cb.AckedStreamDataOffset(c, s.id, prev, sb.base-prev); err != nil {
			return cbErr(err)
		}
	}
	if sb.fin && sb.allAcked() && !s.sendFinished {
		s.sendFinished = true
		sb.ring = nil
		return c.maybeCloseStream(s)
	}
	return nil
}

// lossDelay: RFC 9002, Section 6.1.2: "max(kTimeThreshold *
// max(smoothed_rtt, latest_rtt), kGranularity)" with kTimeThreshold 9/8.
func (c *Conn) lossDelay() Duration {
	r := c.rtt.Smoothed
	if c.rtt.Latest > r {
		r = c.rtt.Latest
	}
	d := r * 9 / 8
	if d < timerGranularity {
		d = timerGranularity
	}
	return d
}

// detectLoss declares packets lost by packet or time threshold (RFC 9002,
// Appendix A.10).
func (c *Conn) detectLoss(sid spaceID, ts Tstamp) {
	sp := &c.spaces[sid]
	sp.lossTime = 0
	if sp.largestAcked < 0 {
		return
	}
	delay := Tstamp(c.lossDelay())
	var lostBytes uint64
	var lastLostTime Tstamp
	pc := persistentRun{}
	any := false
	for i, p := range sp.sent.pkts {
		if p.pn > sp.largestAcked {
			break
		}
		if p.time+delay <= ts || sp.largestAcked >= p.pn+packetThreshold {
			sp.sent.pkts[i] = nil
			any = true
			c.stats.lost++
			if p.inFlight {
				c.removeInFlight(sp, p)
				lostBytes += p.size
				lastLostTime = p.time
			}
			c.ecnOnLost(p)
			pc.add(p, c.rtt.HasSample && p.time > c.rtt.FirstSampleAt)
			c.onPacketLost(sid, p)
			sp.sent.put(p)
			continue
		}
		pc.brk()
		if t := p.time + delay; sp.lossTime == 0 || t < sp.lossTime {
			sp.lossTime = t
		}
	}
	if any {
		sp.sent.compact()
	}
	if lostBytes > 0 {
		c.cc.OnPacketsLost(ts, lostBytes, lastLostTime)
		if pc.longest > c.persistentCongestionDuration() {
			c.stats.persistent++
			c.cc.OnPersistentCongestion(ts)
		}
	}
}

// persistentCongestionDuration: RFC 9002, Section 7.6.1: "(smoothed_rtt
// + max(4*rttvar, kGranularity) + max_ack_delay) *
// kPersistentCongestionThreshold", the threshold being 3.
func (c *Conn) persistentCongestionDuration() Duration {
	return 3 * c.rtt.pto(c.peerMaxAckDelay())
}

// persistentRun finds, among the packets one loss detection pass
// declares lost, the longest span of consecutive ack-eliciting packets
// (RFC 9002, Section 7.6.2: "none of the packets sent between the send
// times of these two packets are acknowledged"; and only packets sent
// after the first RTT sample count). Consecutive means each packet's
// prevPN is the previous lost one: a packet acknowledged, or still
// outstanding, in between breaks the run.
type persistentRun struct {
	open      bool
	lastPN    int64
	startTime Tstamp
	longest   Duration
}

func (r *persistentRun) add(p *sentPacket, eligible bool) {
	if !eligible || !p.ackEliciting {
		r.brk()
		return
	}
	if !r.open || p.prevPN != r.lastPN {
		r.open = true
		r.startTime = p.time
	}
	r.lastPN = p.pn
	if d := Duration(p.time - r.startTime); d > r.longest {
		r.longest = d
	}
}

func (r *persistentRun) brk() { r.open = false }

// onPacketLost queues what a lost packet carried for retransmission
// (RFC 9000, Section 13.3).
func (c *Conn) onPacketLost(sid spaceID, p *sentPacket) {
	sp := &c.spaces[sid]
	for i := range p.frames {
		c.requeue(sp, &p.frames[i])
	}
}

func (c *Conn) requeue(sp *pnSpace, r *frameRec) {
	switch r.kind {
	case fkCrypto:
		sp.crypto.markLost(r.off, r.off+r.n)
	case fkStream:
		s := c.streams[r.id]
		if s == nil || s.needReset || s.resetSent {
			return
		}
		s.send.markLost(r.off, r.off+r.n)
		if r.fin && !s.send.finAcked {
			s.send.finLost = true
		}
		if s.send.hasLost() {
			c.queueLost(s)
		}
	case fkResetStream:
		if s := c.streams[r.id]; s != nil && !s.resetAcked {
			s.needReset = true
			c.queueCtrl(s)
		}
	case fkStopSending:
		if s := c.streams[r.id]; s != nil && !s.recvFinished {
			s.needStop = true
			c.queueCtrl(s)
		}
	case fkMaxStreamData:
		if s := c.streams[r.id]; s != nil && !s.recvFinished && !s.hasFinal {
			s.needMaxData = true
			c.queueCtrl(s)
		}
	case fkStreamDataBlocked:
		if s := c.streams[r.id]; s != nil && s.send.end >= s.sendMax {
			s.needBlocked = true
			c.queueCtrl(s)
		}
	case fkMaxData:
		c.flow.needMax = true
	case fkDataBlocked:
		c.flow.needBlocked = c.flow.sent >= c.flow.sendMax
	case fkMaxStreamsBidi:
		c.needMaxStreamsBidi = true
	case fkMaxStreamsUni:
		c.needMaxStreamsUni = true
	case fkStreamsBlockedBidi:
		c.needStreamsBlockedBidi = c.localBidi.opened >= c.localBidi.max
	case fkStreamsBlockedUni:
		c.needStreamsBlockedUni = c.localUni.opened >= c.localUni.max
	case fkHandshakeDone:
		c.needHandshakeDone = true
	case fkRetireConnID:
		c.peerCIDs.retire = append(c.peerCIDs.retire, r.off)
	case fkNewConnID:
		c.requeueNewConnID(r.off)
	case fkNewToken:
		c.newTokenState = 1
	}
}

// discardSpace drops a packet number space's keys and state (RFC 9001,
// Section 4.9; RFC 9002, Section 6.4: its in-flight bytes are removed
// from the congestion controller without counting as lost).
func (c *Conn) discardSpace(sid spaceID) {
	sp := &c.spaces[sid]
	if sp.discarded || sid == spaceApp {
		return
	}
	sp.discarded = true
	sp.hasSend, sp.hasRecv = false, false
	c.forgetSent(sp)
	sp.sent.pool = nil
	sp.crypto.reset()
	sp.crypto.ring = nil
	sp.cryptoRecv.release()
	sp.lossTime = 0
	sp.probes = 0
	sp.ackElicitingInFlight = 0
	sp.recv.onAckSent()
	c.ptoCount = 0
}

// forgetSent drops a space's sent packets without counting them as
// acknowledged or lost (RFC 9002, Section 6.4: discarded keys; or a Retry).
func (c *Conn) forgetSent(sp *pnSpace) {
	for _, p := range sp.sent.pkts {
		if p.inFlight {
			c.removeInFlight(sp, p)
			c.cc.OnPacketDiscarded(p.size)
		}
		sp.sent.put(p)
	}
	clear(sp.sent.pkts)
	sp.sent.pkts = sp.sent.pkts[:0]
}

// lossTimer returns the earliest loss time and its space (RFC 9002,
// Appendix A.8 GetLossTimeAndSpace).
func (c *Conn) lossTimer() (Tstamp, spaceID) {
	t, s := Tstamp(0), spaceInitial
	for sid := spaceInitial; sid < numSpaces; sid++ {
		if lt := c.spaces[sid].lossTime; lt != 0 && (t == 0 || lt < t) {
			t, s = lt, sid
		}
	}
	return t, s
}

// ptoTimer returns when the probe timeout fires and for which space
// (RFC 9002, Appendix A.8 GetPtoTimeAndSpace), or TstampMax.
func (c *Conn) ptoTimer() (Tstamp, spaceID) {
	// RFC 9002, Section 6.2.2.1: a server at its amplification limit arms
	// no timer; it cannot send anyway.
	if c.server && c.amplificationAllowance() == 0 {
		return TstampMax, spaceInitial
	}
	backoff := Duration(1) << uint(min(c.ptoCount, 16))
	dur := c.rtt.pto(0) * backoff
	inFlight := false
	for sid := range c.spaces {
		if c.spaces[sid].ackElicitingInFlight > 0 {
			inFlight = true
		}
	}
	if !inFlight {
		// RFC 9002, Section 6.2.2.1: a client arms the timer before it
		// knows the server validated its address, to avoid deadlock.
		if c.server || c.handshakeConfirmed || c.handshakeCompleted {
			return TstampMax, spaceInitial
		}
		sid := spaceInitial
		if c.spaces[spaceHandshake].hasSend {
			sid = spaceHandshake
		}
		return c.lastActivity + Tstamp(dur), sid
	}
	t, s := TstampMax, spaceInitial
	for sid := spaceInitial; sid < numSpaces; sid++ {
		sp := &c.spaces[sid]
		if sp.ackElicitingInFlight == 0 {
			continue
		}
		d := dur
		if sid == spaceApp {
			// "Skip Application Data until handshake confirmed."
			if !c.handshakeConfirmed {
				continue
			}
			d += c.peerMaxAckDelay() * backoff
		}
		if pt := sp.lastAckElicitingTime + Tstamp(d); pt < t {
			t, s = pt, sid
		}
	}
	return t, s
}

// onLossTimeout handles the loss detection timer (RFC 9002, Appendix A.9).
func (c *Conn) onLossTimeout(ts Tstamp) {
	if lt, sid := c.lossTimer(); lt != 0 && lt <= ts {
		c.detectLoss(sid, ts)
		return
	}
	pt, sid := c.ptoTimer()
	if pt > ts {
		return
	}
	sp := &c.spaces[sid]
	// RFC 9002, Section 6.2.4: send one or two ack-eliciting probes,
	// carrying data that is still unacknowledged when there is some.
	sp.probes = 2
	for j, p := range sp.sent.pkts {
		if sid == spaceApp && j >= 2 {
			break // the oldest data goes first; the rest follows the ACK
		}
		for i := range p.frames {
			if k := p.frames[i].kind; k == fkCrypto || k == fkStream {
				c.requeue(sp, &p.frames[i])
			}
		}
	}
	c.ptoCount++
	c.stats.ptos++
}
