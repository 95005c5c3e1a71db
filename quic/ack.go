package quic

// recvTracker remembers the packet numbers received in one packet number
// space, for duplicate detection and ACK frames (RFC 9000, Section 13.2).
// The range set is bounded by Settings.MaxAckRanges: when it overflows
// the lowest range is forgotten and every packet number below the new
// floor is treated as a duplicate, so a peer cannot make it grow.
type recvTracker struct {
	pns         rangeSet
	floor       uint64 // packet numbers below floor count as already received
	largest     int64
	largestTime Tstamp
	// unackedEliciting counts ack-eliciting packets received since the
	// last ACK frame was sent; ackPending is set for any new packet.
	unackedEliciting int
	ackPending       bool
	immediate        bool   // an ACK should go out without delay
	ackDeadline      Tstamp // when a delayed ACK is due
}

func (t *recvTracker) init() {
	t.largest = -1
	t.ackDeadline = TstampMax
}

func (t *recvTracker) isDup(pn int64) bool {
	return uint64(pn) < t.floor || t.pns.contains(uint64(pn))
}

// onRecv records pn. maxAckDelay is how long an ACK for an ack-eliciting
// packet may be delayed (0 for Initial and Handshake, RFC 9000, Section
// 13.2.1: "an endpoint MUST NOT delay ... Initial or Handshake").
func (t *recvTracker) onRecv(pn int64, ts Tstamp, ackEliciting bool, maxAckDelay Duration, maxRanges int) {
	upn := uint64(pn)
	// RFC 9000, Section 13.2.1: acknowledge immediately when a packet
	// arrives out of order (below the largest, or leaving a gap).
	outOfOrder := t.largest >= 0 && (pn < t.largest || pn > t.largest+1)
	t.pns.add(upn, upn+1)
	for t.pns.len() > maxRanges {
		t.pns.dropFirst()
		t.floor = t.pns.first().start
	}
	if pn > t.largest {
		t.largest = pn
		t.largestTime = ts
	}
	t.ackPending = true
	if !ackEliciting {
		return
	}
	t.unackedEliciting++
	if maxAckDelay == 0 || outOfOrder || t.unackedEliciting >= 2 {
		t.immediate = true
	}
	if d := ts + Tstamp(maxAckDelay); d < t.ackDeadline {
		t.ackDeadline = d
	}
}

// wantAck reports whether an ACK frame should be sent now.
func (t *recvTracker) wantAck(ts Tstamp) bool {
	return t.unackedEliciting > 0 && (t.immediate || ts >= t.ackDeadline)
}

// onAckSent resets the delayed-ACK state after an ACK frame went out.
func (t *recvTracker) onAckSent() {
	t.unackedEliciting = 0
	t.ackPending = false
	t.immediate = false
	t.ackDeadline = TstampMax
}

// ackTimer is the deadline of a delayed ACK, TstampMax when none.
func (t *recvTracker) ackTimer() Tstamp {
	if t.unackedEliciting == 0 {
		return TstampMax
	}
	return t.ackDeadline
}
