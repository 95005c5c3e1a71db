package quicconn

import (
	"errors"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// ErrDatagramDropped is returned by SendDatagram when the datagram could
// not go out now (congestion control, or the socket's queue is full).
// DATAGRAM frames are unreliable (RFC 9221, Section 5): the application
// decides whether to try again.
var ErrDatagramDropped = errors.New("quicconn: datagram not sent")

// DatagramHandler is implemented by a Handler that wants DATAGRAM frames
// (RFC 9221); enable them with Config.Params.MaxDatagramFrameSize.
type DatagramHandler interface {
	// OnDatagram gets a DATAGRAM frame's payload, valid during the call.
	OnDatagram(c *Conn, data []byte)
}

// SendDatagram sends data in a DATAGRAM frame (RFC 9221) at once, in a
// datagram of its own with any pending ACK and control frames. It is
// never retransmitted. Call it on the connection's loop.
//
// Returns nil on success, or one of: ErrConnClosed — the connection is
// closing or gone; ErrDatagramDropped — not sent now (congestion window,
// socket queue); quic.ErrInvalidState — the peer did not enable DATAGRAM
// frames or the handshake is not far enough; quic.ErrInvalidArgument —
// data is larger than the peer accepts.
func (c *Conn) SendDatagram(data []byte) error {
	if c.Closed() {
		return ErrConnClosed
	}
	dest := c.ss.sock.NextBuf()
	if dest == nil {
		c.waitSocket()
		return ErrDatagramDropped
	}
	n, accepted, err := c.q.WriteDatagram(&c.path, &c.pi, dest, data, tstamp(loop.Now()))
	if n > 0 {
		c.commit(n)
	}
	c.markDirty()
	switch {
	case err == quic.ErrNoBuf:
		return quic.ErrInvalidArgument
	case err != nil:
		return err
	case !accepted:
		return ErrDatagramDropped
	}
	return nil
}
