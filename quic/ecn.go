package quic

import "github.com/ngloop/ngloop/quic/internal/wire"

// ECN (RFC 9000, Section 13.4; RFC 9002, Section 7.1). The Conn asks the
// caller to mark datagrams ECT(0) through PktInfo.ECN, learns what the
// network did from the peer's ACK_ECN counts, and gives up on ECN when
// the path or the peer does not pass validation (Section 13.4.2). The
// caller reports the codepoint of each received datagram in ReadPkt's
// PktInfo.ECN, and the Conn echoes the counts in ACK_ECN frames.

// ECN codepoints (RFC 3168, Section 5), the two low bits of the IP TOS
// or traffic class byte, as in PktInfo.ECN.
const (
	ECNNotECT uint8 = 0
	ECNECT1   uint8 = 1
	ECNECT0   uint8 = 2
	ECNCE     uint8 = 3
)

// ecnTestingPackets: RFC 9000, Appendix A.4: "the endpoint ... sets the
// ECT(0) codepoint on 10 outgoing packets" while testing.
const ecnTestingPackets = 10

type ecnPhase uint8

const (
	ecnTesting ecnPhase = iota // marking the first packets
	ecnUnknown                 // waiting for an ACK to validate them
	ecnCapable                 // validated: mark everything
	ecnFailed                  // validation failed: stop marking
)

type ecnState struct {
	phase      ecnPhase
	testSent   int  // packets marked while testing
	testLost   int  // of those, declared lost
	markThis   bool // the datagram being written is marked ECT(0)
	in         uint8
	sentMarked [numSpaces]uint64         // packets marked ECT(0) per space
	peer       [numSpaces]wire.ECNCounts // largest counts the peer reported
	recv       [numSpaces]wire.ECNCounts // what we received, for our ACK_ECN
}

// ECNState is a connection's ECN progress, for Info.
type ECNState uint8

const (
	ECNStateTesting ECNState = iota
	ECNStateUnknown
	ECNStateCapable
	ECNStateFailed
)

// wantMark reports whether the next datagram is to be marked ECT(0).
func (e *ecnState) wantMark() bool {
	switch e.phase {
	case ecnTesting, ecnCapable:
		return true
	}
	return false
}

// ecnOnWrite decides the marking of the datagram being written.
func (c *Conn) ecnOnWrite(pi *PktInfo) {
	c.ecn.markThis = pi != nil && !c.settings.DisableECN && c.ecn.wantMark()
	if c.ecn.markThis {
		pi.ECN = ECNECT0
	}
}

// ecnOnSent counts a packet of the marked datagram.
func (c *Conn) ecnOnSent(sid spaceID, p *sentPacket) {
	if !c.ecn.markThis {
		return
	}
	p.ecn = true
	c.ecn.sentMarked[sid]++
	if c.ecn.phase == ecnTesting {
		c.ecn.testSent++
		if c.ecn.testSent >= ecnTestingPackets {
			c.ecn.phase = ecnUnknown
		}
	}
}

// ecnOnLost: RFC 9000, Section 13.4.2: "If all packets marked with
// ECT(0) ... are lost, the endpoint SHOULD ... disable ECN", since some
// paths drop marked packets.
func (c *Conn) ecnOnLost(p *sentPacket) {
	if !p.ecn || c.ecn.phase == ecnCapable || c.ecn.phase == ecnFailed {
		return
	}
	c.ecn.testLost++
	if c.ecn.phase == ecnUnknown && c.ecn.testLost >= c.ecn.testSent {
		c.ecn.phase = ecnFailed
	}
}

// ecnOnRecv counts a received packet's codepoint for ACK_ECN.
func (c *Conn) ecnOnRecv(sid spaceID) {
	r := &c.ecn.recv[sid]
	switch c.ecn.in {
	case ECNECT0:
		r.ECT0++
	case ECNECT1:
		r.ECT1++
	case ECNCE:
		r.CE++
	}
}

// ecnAckCounts returns the counts for an ACK frame in space sid, or nil
// to send a plain ACK when nothing marked ever arrived.
func (c *Conn) ecnAckCounts(sid spaceID) *wire.ECNCounts {
	r := &c.ecn.recv[sid]
	if r.ECT0 == 0 && r.ECT1 == 0 && r.CE == 0 {
		return nil
	}
	return r
}

// ecnOnAck validates the ECN counts of an ACK that newly acknowledged
// packets (RFC 9000, Section 13.4.2.1), of which markedAcked were sent
// ECT(0), and reacts to new CE marks (RFC 9002, Section 7.1: "a
// congestion event"; largestSent is the send time of the largest newly
// acknowledged packet).
func (c *Conn) ecnOnAck(sid spaceID, f *wire.Frame, markedAcked uint64, largestSent Tstamp, ts Tstamp) {
	e := &c.ecn
	if e.phase == ecnFailed {
		return
	}
	if !f.HasECN {
		// "If an ACK frame newly acknowledges a packet that the endpoint
		// sent with either the ECT(0) or ECT(1) codepoint set, ECN
		// validation fails if the corresponding ECN counts are not present".
		if markedAcked > 0 {
			e.phase = ecnFailed
		}
		return
	}
	prev := &e.peer[sid]
	n := f.ECN
	// "ECN validation also fails if the sum of the increase in ECT(0) and
	// ECN-CE counts is less than the number of newly acknowledged packets
	// that were originally sent with an ECT(0) marking." Counts that go
	// down (a reordered ACK) are ignored.
	var incECT0, incCE uint64
	if n.ECT0 > prev.ECT0 {
		incECT0 = n.ECT0 - prev.ECT0
	}
	if n.CE > prev.CE {
		incCE = n.CE - prev.CE
	}
	switch {
	case incECT0+incCE < markedAcked,
		// "... if it receives ... an ECT(1) count while it sends no ECT(1)".
		n.ECT1 > 0,
		// Counts above what was sent marked cannot be right.
		n.ECT0+n.CE > e.sentMarked[sid]:
		e.phase = ecnFailed
		return
	}
	if n.ECT0 > prev.ECT0 {
		prev.ECT0 = n.ECT0
	}
	if n.CE > prev.CE {
		prev.CE = n.CE
	}
	if markedAcked > 0 && (e.phase == ecnTesting || e.phase == ecnUnknown) {
		e.phase = ecnCapable
	}
	if incCE > 0 {
		// RFC 9002, Section 7.1: an increase in the CE count is a
		// congestion signal, handled as a loss would be (one reduction
		// per recovery period).
		c.stats.ecnCE += incCE
		c.cc.OnPacketsLost(ts, 0, largestSent)
	}
}
