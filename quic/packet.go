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
