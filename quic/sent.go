package quic

// frameKind names what a sent packet carried, so that an acknowledgment
// or a loss can be applied to the right state.
type frameKind uint8

const (
	fkStream frameKind = iota
	fkCrypto
	fkAck
	fkResetStream
	fkStopSending
	fkMaxData
	fkMaxStreamData
	fkMaxStreamsBidi
	fkMaxStreamsUni
	fkDataBlocked
	fkStreamDataBlocked
	fkStreamsBlockedBidi
	fkStreamsBlockedUni
	fkHandshakeDone
	fkRetireConnID
	fkPing
	fkDatagram
	fkPathResponse
	fkNewConnID
)

// frameRec is one retransmittable fact of a sent packet. For fkStream and
// fkCrypto it is the byte range [off, off+n) and FIN; for fkAck off is
// the largest acknowledged; for fkRetireConnID and fkNewConnID off is
// the sequence number.
type frameRec struct {
	kind frameKind
	fin  bool
	id   int64
	off  uint64
	n    uint64
}

// sentPacket is a packet in flight or awaiting acknowledgment (RFC 9002,
// Appendix A.1.1). Records are pooled; frames keeps its capacity.
type sentPacket struct {
	pn           int64
	time         Tstamp
	size         uint64
	ackEliciting bool
	inFlight     bool
	ecn          bool  // sent in a datagram marked ECT(0)
	prevPN       int64 // the space's previous tracked packet, -1 if none (persistent congestion)
	frames       []frameRec
}

// sentList holds a space's sent packets in ascending packet number order.
type sentList struct {
	pkts   []*sentPacket
	pool   []*sentPacket
	lastPN int64 // the newest tracked packet's number
	hasPN  bool
}

// track appends a sent ack-eliciting packet, linking it to the previous
// one: a run of lost packets whose links are unbroken had no packet
// acknowledged in between (RFC 9002, Section 7.6.2).
func (l *sentList) track(p *sentPacket) {
	p.prevPN = -1
	if l.hasPN {
		p.prevPN = l.lastPN
	}
	l.lastPN, l.hasPN = p.pn, true
	l.pkts = append(l.pkts, p)
}

func (l *sentList) get() *sentPacket {
	if n := len(l.pool); n > 0 {
		p := l.pool[n-1]
		l.pool = l.pool[:n-1]
		return p
	}
	return &sentPacket{frames: make([]frameRec, 0, 8)}
}

func (l *sentList) put(p *sentPacket) {
	fr := p.frames[:0]
	*p = sentPacket{frames: fr}
	l.pool = append(l.pool, p)
}

// compact drops the nil entries left by acknowledged or lost packets.
func (l *sentList) compact() {
	j := 0
	for _, p := range l.pkts {
		if p != nil {
			l.pkts[j] = p
			j++
		}
	}
	clear(l.pkts[j:])
	l.pkts = l.pkts[:j]
}
