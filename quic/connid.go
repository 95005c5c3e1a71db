package quic

import (
	"crypto/subtle"

	"github.com/ngloop/ngloop/quic/internal/wire"
)

// peerConnIDs tracks the connection IDs the peer issued with
// NEW_CONNECTION_ID (RFC 9000, Section 5.1). Sequence 0 is the one from
// the handshake, in Conn.dcid.
type peerConnIDs struct {
	ids           []peerCID
	activeSeq     uint64
	retirePriorTo uint64
	retire        []uint64 // RETIRE_CONNECTION_ID frames to send
	token0        [16]byte // stateless reset token of sequence 0
	hasToken0     bool
}

type peerCID struct {
	seq   uint64
	cid   [20]byte
	n     uint8
	token [16]byte
}

func (p *peerConnIDs) setInitialToken(t [16]byte) {
	p.token0, p.hasToken0 = t, true
}

func (c *Conn) recvNewConnectionID(f *wire.Frame) error {
	ft := uint64(f.RawType)
	p := &c.peerCIDs
	// RFC 9000, Section 19.15: "An endpoint that is sending packets with a
	// zero-length Destination Connection ID MUST treat receipt of a
	// NEW_CONNECTION_ID frame as a connection error of type PROTOCOL_VIOLATION."
	if len(c.dcid) == 0 {
		return c.violation(ProtocolViolation, ft, "new_connection_id_zero_length_cid", ErrProto)
	}
	for i := range p.ids {
		if p.ids[i].seq == f.SeqNum {
			// "... a different connection ID or stateless reset token ...
			// MAY treat that receipt as a connection error of type
			// PROTOCOL_VIOLATION."
			if string(p.ids[i].cid[:p.ids[i].n]) != string(f.ConnID) || p.ids[i].token != f.StatelessResetToken {
				return c.violation(ProtocolViolation, ft, "new_connection_id_seq_reused", ErrProto)
			}
			return nil
		}
	}
	if f.SeqNum < p.retirePriorTo || f.SeqNum == p.activeSeq {
		// Already retired: retire it at once (Section 19.15).
		if f.SeqNum != p.activeSeq {
			p.retire = append(p.retire, f.SeqNum)
		}
		return nil
	}
	e := peerCID{seq: f.SeqNum, token: f.StatelessResetToken}
	e.n = uint8(copy(e.cid[:], f.ConnID))
	p.ids = append(p.ids, e)
	if f.RetirePriorTo > p.retirePriorTo {
		p.retirePriorTo = f.RetirePriorTo
		j := 0
		for _, id := range p.ids {
			if id.seq < p.retirePriorTo {
				p.retire = append(p.retire, id.seq)
				continue
			}
			p.ids[j] = id
			j++
		}
		p.ids = p.ids[:j]
		if p.activeSeq < p.retirePriorTo {
			// Switch to an unretired ID (Section 5.1.2).
			c.switchPeerCID()
		}
	}
	// RFC 9000, Section 5.1.1: more than active_connection_id_limit IDs
	// is a CONNECTION_ID_LIMIT_ERROR (the active one counts too).
	if uint64(len(p.ids))+1 > c.local.ActiveConnectionIDLimit {
		return c.violation(ConnectionIDLimitError, ft, "new_connection_id_over_limit", ErrConnectionIDLimit)
	}
	if len(p.retire) > 64 {
		return c.violation(ProtocolViolation, ft, "retire_connection_id_flood", ErrProto)
	}
	return nil
}

// isStatelessReset reports whether an undecryptable datagram ends with a
// stateless reset token of the peer (RFC 9000, Section 10.3.1).
func (c *Conn) isStatelessReset(b []byte) bool {
	if len(b) < 21 || c.server && !c.handshakeCompleted {
		return false
	}
	tail := b[len(b)-16:]
	p := &c.peerCIDs
	if p.hasToken0 && subtle.ConstantTimeCompare(tail, p.token0[:]) == 1 {
		return true
	}
	for i := range p.ids {
		if subtle.ConstantTimeCompare(tail, p.ids[i].token[:]) == 1 {
			return true
		}
	}
	return false
}
