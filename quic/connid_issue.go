package quic

import (
	"crypto/hmac"
	"crypto/sha256"
	"io"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// maxIssuedCIDs caps Settings.MaxIssuedCIDs: the IDs we issue live in a
// fixed array of the Conn.
const maxIssuedCIDs = 8

// StatelessResetTokenFor derives the stateless reset token of connection
// ID cid from a static key (RFC 9000, Section 10.3.2: "A single static
// key can be used across all connections to the same endpoint to
// generate proofs"): the first 16 bytes of HMAC-SHA256(key, cid). A
// server that lost a connection's state, or a sibling process sharing
// the key, recomputes the token from the Destination Connection ID of a
// stray packet and answers with WriteStatelessReset.
func StatelessResetTokenFor(key, cid []byte) [16]byte {
	m := hmac.New(sha256.New, key)
	m.Write(cid)
	var sum [sha256.Size]byte
	var t [16]byte
	copy(t[:], m.Sum(sum[:0]))
	return t
}

// localCID is a connection ID we issued (RFC 9000, Section 5.1.1).
type localCID struct {
	seq      uint64
	cid      [20]byte
	n        uint8
	token    [16]byte
	needSend bool // NEW_CONNECTION_ID to (re)send
}

// localConnIDs are the connection IDs the peer may address us with:
// sequence 0 (the handshake's SCID) and those sent in NEW_CONNECTION_ID.
type localConnIDs struct {
	ids     [maxIssuedCIDs]localCID
	n       int
	nextSeq uint64
}

func (l *localConnIDs) init(scid []byte, token [16]byte) {
	l.ids[0] = localCID{seq: 0, token: token}
	l.ids[0].n = uint8(copy(l.ids[0].cid[:], scid))
	l.n, l.nextSeq = 1, 1
}

// has reports whether cid is one of ours still active.
func (l *localConnIDs) has(cid []byte) bool {
	for i := 0; i < l.n; i++ {
		if string(l.ids[i].cid[:l.ids[i].n]) == string(cid) {
			return true
		}
	}
	return false
}

// tokenFor returns the stateless reset token for a new connection ID.
func (c *Conn) tokenFor(cid []byte) ([16]byte, error) {
	if k := c.settings.StatelessResetKey; len(k) > 0 {
		return StatelessResetTokenFor(k, cid), nil
	}
	var t [16]byte
	if _, err := io.ReadFull(c.settings.Rand, t[:]); err != nil {
		return t, ErrNoMem
	}
	return t, nil
}

// issueLimit is how many connection IDs we keep issued: our knob capped
// by the peer's active_connection_id_limit (RFC 9000, Section 5.1.1: "An
// endpoint MUST NOT provide more connection IDs than the peer's limit").
func (c *Conn) issueLimit() int {
	n := c.settings.MaxIssuedCIDs
	if c.havePeer && c.peer.ActiveConnectionIDLimit < uint64(n) {
		n = int(c.peer.ActiveConnectionIDLimit)
	}
	return n
}

// topUpConnIDs issues connection IDs until the limit is reached, once the
// handshake is complete (NEW_CONNECTION_ID travels in 1-RTT packets). A
// zero-length SCID cannot be changed (Section 5.1.1), so none are issued.
func (c *Conn) topUpConnIDs() error {
	l := &c.localCIDs
	if !c.handshakeCompleted || len(c.scid) == 0 || l.n >= c.issueLimit() {
		return nil
	}
	for l.n < c.issueLimit() {
		if err := c.newLocalCID(true); err != nil {
			return err
		}
	}
	return nil
}

// writeNewConnectionIDs appends the NEW_CONNECTION_ID frames due.
func (c *Conn) writeNewConnectionIDs(d *dgram) {
	l := &c.localCIDs
	for i := 0; i < l.n; i++ {
		e := &l.ids[i]
		if !e.needSend || d.room() < 1+8+8+1+20+16 {
			continue
		}
		d.buf = wire.AppendNewConnectionID(d.buf, e.seq, 0, e.cid[:e.n], e.token)
		c.record(d, frameRec{kind: fkNewConnID, off: e.seq})
		e.needSend = false
	}
}

// connIDsDue reports whether NEW_CONNECTION_ID frames wait to be sent.
func (c *Conn) connIDsDue() bool {
	l := &c.localCIDs
	if c.handshakeCompleted && len(c.scid) > 0 && l.n < c.issueLimit() {
		return true
	}
	for i := 0; i < l.n; i++ {
		if l.ids[i].needSend {
			return true
		}
	}
	return false
}

// requeueNewConnID marks a lost NEW_CONNECTION_ID for resending while the
// ID is still active (RFC 9000, Section 13.3).
func (c *Conn) requeueNewConnID(seq uint64) {
	l := &c.localCIDs
	for i := 0; i < l.n; i++ {
		if l.ids[i].seq == seq {
			l.ids[i].needSend = true
		}
	}
}

// recvRetireConnectionID handles RETIRE_CONNECTION_ID (RFC 9000, Section
// 19.16): the ID is forgotten (the router is told) and a new one issued
// in its place.
func (c *Conn) recvRetireConnectionID(f *wire.Frame) error {
	ft := uint64(f.RawType)
	l := &c.localCIDs
	// "Receipt of a RETIRE_CONNECTION_ID frame containing a sequence
	// number greater than any previously sent to the peer MUST be treated
	// as a connection error of type PROTOCOL_VIOLATION."
	if f.SeqNum >= l.nextSeq {
		return c.violation(ProtocolViolation, ft, "retire_connection_id_unknown_seq", ErrProto)
	}
	for i := 0; i < l.n; i++ {
		e := l.ids[i]
		if e.seq != f.SeqNum {
			continue
		}
		cid := e.cid[:e.n]
		// "The sequence number specified in a RETIRE_CONNECTION_ID frame
		// MUST NOT refer to the Destination Connection ID field of the
		// packet in which the frame is contained."
		if string(cid) == string(c.rxDCID) {
			return c.violation(ProtocolViolation, ft, "retire_connection_id_current", ErrProto)
		}
		copy(l.ids[i:l.n], l.ids[i+1:l.n])
		l.n--
		if cb := c.cb.RemoveConnectionID; cb != nil {
			if err := cb(c, cid); err != nil {
				return cbErr(err)
			}
		}
		return nil
	}
	return nil // already retired
}

// ActiveConnectionIDs calls fn for every connection ID of ours the peer
// may use now (ngtcp2_conn_get_scid), for a router that maps them.
func (c *Conn) ActiveConnectionIDs(fn func(cid []byte)) {
	l := &c.localCIDs
	for i := 0; i < l.n; i++ {
		fn(l.ids[i].cid[:l.ids[i].n])
	}
}

// switchPeerCID moves to an unused connection ID of the peer and retires
// the current one (RFC 9000, Section 5.1.2 and 9.5). It reports false
// when the peer gave no spare ID.
func (c *Conn) switchPeerCID() bool {
	p := &c.peerCIDs
	if len(p.ids) == 0 {
		return false
	}
	id := p.ids[0]
	p.ids = append(p.ids[:0], p.ids[1:]...)
	p.retire = append(p.retire, p.activeSeq)
	p.activeSeq = id.seq
	c.dcid = append(c.dcid[:0], id.cid[:id.n]...)
	p.token0, p.hasToken0 = id.token, true
	return true
}

// MinStatelessResetLen is the smallest datagram that can be a stateless
// reset (RFC 9000, Section 10.3: 5 unpredictable bytes and the 16-byte
// token); a smaller packet is not answered with one.
const MinStatelessResetLen = wire.MinStatelessResetLen

// newLocalCID appends the next connection ID to c.localCIDs: from the
// GetNewConnectionID callback when set, else random with the token
// derived from the stateless reset key. needSend queues its
// NEW_CONNECTION_ID frame (false for the preferred_address one, which
// travels in the transport parameters).
func (c *Conn) newLocalCID(needSend bool) error {
	l := &c.localCIDs
	e := &l.ids[l.n]
	*e = localCID{seq: l.nextSeq, n: uint8(len(c.scid)), needSend: needSend}
	cid := e.cid[:e.n]
	if cb := c.cb.GetNewConnectionID; cb != nil {
		if err := cb(c, cid, &e.token); err != nil {
			return cbErr(err)
		}
	} else {
		if _, err := io.ReadFull(c.settings.Rand, cid); err != nil {
			return ErrNoMem
		}
		t, err := c.tokenFor(cid)
		if err != nil {
			return err
		}
		e.token = t
	}
	l.nextSeq++
	l.n++
	return nil
}
