package quic

import "github.com/ngloop/ngloop/quic/internal/wire"

// Unreliable datagrams (RFC 9221). Received DATAGRAM frames go to
// Callbacks.RecvDatagram; WriteDatagram sends one.

// WriteDatagram writes a datagram carrying data in a DATAGRAM frame,
// together with any pending ACK and control frames. The frame is never
// retransmitted. accepted reports whether data went into the datagram.
//
// Returns the datagram length (0 when congestion control does not allow
// sending now), or the errors of WritePkt and: ErrInvalidState — the
// peer did not enable DATAGRAM frames (max_datagram_frame_size) or the
// handshake has not produced 1-RTT keys; ErrInvalidArgument — the frame
// would exceed the peer's max_datagram_frame_size; ErrNoBuf — the frame
// does not fit into dest.
func (c *Conn) WriteDatagram(path *Path, pi *PktInfo, dest []byte, data []byte, ts Tstamp) (n int, accepted bool, err error) {
	if c.state < stateClosing {
		if !c.havePeer || c.peer.MaxDatagramFrameSize == 0 || !c.spaces[spaceApp].hasSend {
			return 0, false, ErrInvalidState
		}
		if uint64(1+wire.VarintLen(uint64(len(data)))+len(data)) > c.peer.MaxDatagramFrameSize {
			return 0, false, ErrInvalidArgument
		}
	}
	c.datagram, c.hasDatagram, c.datagramSent = data, true, false
	n, _, err = c.write(path, pi, dest, WriteStreamFlagNone, -1, nil, ts)
	accepted = c.datagramSent
	c.datagram, c.hasDatagram = nil, false
	if err == nil && !accepted && n == 0 && c.cwndAvailable(spaceApp) {
		return 0, false, ErrNoBuf
	}
	return n, accepted, err
}

// writeDatagramFrame appends the pending DATAGRAM frame if it fits.
func (c *Conn) writeDatagramFrame(d *dgram) {
	if !c.hasDatagram || c.datagramSent || !c.cwndAvailable(spaceApp) {
		return
	}
	need := 1 + wire.VarintLen(uint64(len(c.datagram))) + len(c.datagram)
	if need > d.room() {
		return
	}
	d.buf = wire.AppendDatagram(d.buf, c.datagram, true)
	c.record(d, frameRec{kind: fkDatagram})
	c.datagramSent = true
}

// PeerMaxDatagramFrameSize is the peer's max_datagram_frame_size (RFC
// 9221, Section 3), 0 when it does not accept DATAGRAM frames or its
// transport parameters have not arrived.
func (c *Conn) PeerMaxDatagramFrameSize() uint64 {
	if !c.havePeer {
		return 0
	}
	return c.peer.MaxDatagramFrameSize
}
