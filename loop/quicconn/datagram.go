package quicconn

import (
	"errors"

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

// maxQueuedDatagrams bounds the DATAGRAM payloads queued per connection
// between flushes; more are refused (they are unreliable anyway).
const maxQueuedDatagrams = 64

// SendDatagram queues data for a DATAGRAM frame (RFC 9221); it goes out
// when the loop's turn ends, in a datagram of its own with any pending
// ACK and control frames, and is never retransmitted. data is copied.
// Call it on the connection's loop (a handler method is fine).
//
// Returns nil when queued, or one of: ErrConnClosed — the connection is
// closing or gone; ErrDatagramDropped — 64 datagrams already wait;
// quic.ErrInvalidArgument — data is larger than the peer accepts or
// the peer did not enable DATAGRAM frames. Datagrams that congestion
// control does not let out at flush time are dropped.
func (c *Conn) SendDatagram(data []byte) error {
	if c.Closed() {
		return ErrConnClosed
	}
	if max := c.q.PeerMaxDatagramFrameSize(); c.handshook && uint64(len(data))+9 > max {
		return quic.ErrInvalidArgument
	}
	if len(c.dgrams) >= maxQueuedDatagrams {
		return ErrDatagramDropped
	}
	c.dgrams = append(c.dgrams, append([]byte(nil), data...))
	c.markDirty()
	return nil
}

// writeDatagrams sends the queued DATAGRAM payloads.
func (c *Conn) writeDatagrams(ts quic.Tstamp, budget int) int {
	for len(c.dgrams) > 0 && budget > 0 && !c.Closed() {
		dest := c.ss.sock.NextBuf()
		if dest == nil {
			c.waitSocket()
			return budget
		}
		n, _, err := c.q.WriteDatagram(&c.path, &c.pi, dest, c.dgrams[0], ts)
		if n > 0 {
			c.commit(n)
			budget--
		}
		if n == 0 && err == nil {
			break // congestion or pacing: try again at the next flush
		}
		c.dgrams[0] = nil
		c.dgrams = c.dgrams[1:]
	}
	if len(c.dgrams) == 0 {
		c.dgrams = nil
	}
	// Datagrams held back by congestion control wait for the flush that
	// the next ACK's arrival brings.
	return budget
}
