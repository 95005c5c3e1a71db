package quicconn

import (
	"fmt"
	"time"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
)

// The send path. A connection is flushed once per loop turn in which
// something happened to it (a datagram, a timer, a handler call): queued
// stream output goes out with WriteStream, several streams sharing a
// datagram through WriteStreamFlagMore, then WritePkt sends ACKs,
// control frames, retransmissions and probes. Datagrams are written in
// place into the socket's send queue (NextBuf/Commit) and leave with
// sendmmsg when the turn ends. Then the timer is re-armed for Expiry.

// flush writes what the connection has to send and settles its state.
func (c *Conn) flush() {
	if c.gone {
		return
	}
	ts := tstamp(loop.Now())
	if c.closeReq != nil && c.q.CloseError() == nil {
		c.writeClose(c.closeReq, ts)
	}
	budget := c.ss.ep.cfg.MaxDatagramsPerFlush
	budget = c.writeDatagrams(ts, budget)
	for round := 0; round < 16 && !c.wantSock; round++ {
		budget = c.writeStreams(ts, budget)
		budget = c.writePkts(ts, budget)
		if budget <= 0 || !c.notifyWritable() {
			break
		}
	}
	if budget <= 0 {
		c.queueFlush(true) // more to send: reading and the other connections go first
	}
	c.settle()
}

// writeStreams sends queued stream output, starting with a different
// stream each time for fairness. It stops when the connection or the
// socket cannot take more, and leaves at least one datagram of budget
// for writePkts, which finishes a datagram left open.
func (c *Conn) writeStreams(ts quic.Tstamp, budget int) int {
	n := len(c.sendq)
	if n == 0 || c.Closed() {
		return budget
	}
	start := c.rr % n
	c.rr++
	for i := 0; i < n && budget > 1; i++ {
		s := c.sendq[(start+i)%n]
		if s.blocked || !s.hasWork() {
			continue
		}
		var stop bool
		if stop, budget = c.writeStream(s, ts, budget); stop {
			break
		}
	}
	j := 0
	for _, s := range c.sendq {
		if s.hasWork() {
			c.sendq[j] = s
			j++
		} else {
			s.inq = false
		}
	}
	clear(c.sendq[j:])
	c.sendq = c.sendq[:j]
	return budget
}

// writeStream sends one stream's queued output. stop reports that no
// stream can send more now (congestion or connection flow control, a
// full socket queue, or a closed connection).
func (c *Conn) writeStream(s *stream, ts quic.Tstamp, budget int) (stop bool, _ int) {
	for budget > 1 {
		var data []byte
		last := true
		if s.out != nil {
			a, b := s.out.Peek()
			data, last = a, len(b) == 0
		}
		fin := s.fin && last
		if len(data) == 0 && !fin {
			return false, budget
		}
		dest := c.ss.sock.NextBuf()
		if dest == nil {
			c.waitSocket()
			return true, budget
		}
		flags := quic.WriteStreamFlagMore
		if fin {
			flags |= quic.WriteStreamFlagFin
		}
		n, consumed, err := c.q.WriteStream(&c.path, &c.pi, dest, flags, s.id, data, ts)
		if consumed > 0 {
			s.out.Discard(consumed)
			c.queued -= consumed
			if s.out.Len() == 0 {
				c.releaseRing(s)
			}
		}
		if n > 0 {
			c.commit(n)
			budget--
		}
		switch err {
		case nil:
			// n == 0: nothing could be written at all (congestion window,
			// connection credit, amplification limit). A packet without
			// any of the data: the connection is out of credit.
			if n == 0 || consumed == 0 && len(data) > 0 {
				return true, budget
			}
		case quic.ErrWriteMore:
			// The datagram stays open in dest for the next stream. With
			// nothing consumed (a FIN the window holds back) move on.
			if consumed == 0 {
				return false, budget
			}
		case quic.ErrStreamDataBlocked:
			s.blocked = true // until ExtendMaxStreamData
			return false, budget
		case quic.ErrStreamShutWR, quic.ErrStreamNotFound:
			// The FIN went out in an earlier datagram, or the stream was
			// reset (STOP_SENDING) or forgotten.
			c.releaseRing(s)
			s.finDone = true
			return false, budget
		default:
			return true, budget
		}
	}
	return false, budget
}

// writePkts sends everything but new stream data. It always runs once,
// which finishes a datagram WriteStreamFlagMore left open.
func (c *Conn) writePkts(ts quic.Tstamp, budget int) int {
	for first := true; first || budget > 0; first = false {
		dest := c.ss.sock.NextBuf()
		if dest == nil {
			c.waitSocket()
			return budget
		}
		n, err := c.q.WritePkt(&c.path, &c.pi, dest, ts)
		if n > 0 {
			c.commit(n)
			budget--
		}
		if err != nil || n == 0 {
			return budget
		}
	}
	return budget
}

func (c *Conn) commit(n int) {
	c.ss.sock.Commit(n, c.path.Remote, c.pi.ECN)
}

// waitSocket: the socket's send queue is full; flush again on OnWritable.
func (c *Conn) waitSocket() {
	c.wantSock = true
	c.ss.sockFull = true
}

// writeClose sends CONNECTION_CLOSE with e (Close, shutdown).
func (c *Conn) writeClose(e *quic.CCErr, ts quic.Tstamp) {
	dest := c.ss.sock.NextBuf()
	if dest == nil {
		c.waitSocket()
		return
	}
	n, err := c.q.WriteConnectionClose(&c.path, &c.pi, dest, e, ts)
	if err == nil && n > 0 {
		c.commit(n)
	}
}

// settle reports a close to the handler, removes a finished connection
// and arms the timer for the connection's next deadline.
func (c *Conn) settle() {
	if c.gone {
		return
	}
	if ce := c.q.CloseError(); ce != nil {
		c.notifyClose(ce)
	}
	if c.q.IsClosed() {
		c.remove()
		return
	}
	exp := c.q.Expiry()
	if exp == quic.TstampMax {
		c.timer.Stop()
		return
	}
	dl := int64(exp) - tsOffset
	// A deadline already past (a delayed ACK that only WritePkt clears)
	// waits for the next turn, not the current timer run, so a
	// connection that cannot send (full socket queue) does not spin here.
	if now := loop.Now(); dl <= now {
		dl = now
		if c.wantSock {
			dl += int64(time.Millisecond)
		}
	}
	if !c.timer.Armed() || c.timer.Deadline() != dl {
		c.timer.ResetAt(dl)
	}
}

// onTimer runs the connection's timers (loss detection, PTO, delayed
// ACK, idle and handshake timeouts, end of closing or draining) and
// sends what they produced.
func (c *Conn) onTimer(*loop.Timer) {
	if c.gone {
		return
	}
	ts := tstamp(loop.Now())
	if c.q.Expiry() <= ts {
		_ = c.q.HandleExpiry(ts) // errors show in CloseError and IsClosed
	}
	c.flush()
}

// notifyClose tells the handler (once) that the connection is over.
func (c *Conn) notifyClose(ce *quic.CCErr) {
	if c.notified {
		return
	}
	c.notified = true
	for _, s := range c.streams {
		c.dropOutput(s)
	}
	if c.dial != nil {
		c.dial <- fmt.Errorf("%w: %v", ErrHandshake, ce)
		c.dial = nil
	}
	if c.handshook {
		c.h.OnClose(c, ce)
	}
}

// closeNow sends CONNECTION_CLOSE with e, tells the handler and removes
// the connection at once, without waiting out the closing period (the
// socket is shutting down).
func (c *Conn) closeNow(e *quic.CCErr) {
	if c.gone {
		return
	}
	if c.q.CloseError() == nil {
		c.writeClose(e, tstamp(loop.Now()))
	}
	ce := c.q.CloseError()
	if ce == nil {
		ce = e
	}
	c.notifyClose(ce)
	c.remove()
}

// discard forgets a connection without a word to the peer or handler.
func (c *Conn) discard() {
	c.notified = true
	c.remove()
}

// remove takes the connection out of its socket's tables and releases
// the quic.Conn (its TLS stack's goroutine and buffers).
func (c *Conn) remove() {
	if c.gone {
		return
	}
	c.gone = true
	c.timer.Stop()
	ss := c.ss
	for _, k := range c.keys {
		if k != "" && ss.conns[k] == c {
			delete(ss.conns, k)
		}
	}
	for _, k := range c.cids {
		if ss.conns[k] == c {
			delete(ss.conns, k)
		}
	}
	c.cids = nil
	ss.unlink(c)
	for _, s := range c.streams {
		c.dropOutput(s)
	}
	c.q.Del()
	ep := ss.ep
	ep.conns.Add(-1)
	if !c.handshook {
		ep.handshakes.Add(-1)
	}
	ep.closed.Add(1)
	if c.dial != nil {
		c.dial <- fmt.Errorf("%w: connection removed", ErrHandshake)
		c.dial = nil
	}
}

// Close closes the connection with an application error code and reason
// (CONNECTION_CLOSE type 0x1d, RFC 9000, Section 10.2). It is sent when
// the loop's turn ends; OnClose follows then.
//
// Returns nil, or ErrConnClosed — the connection is already closing.
func (c *Conn) Close(code uint64, reason string) error {
	if c.Closed() {
		return ErrConnClosed
	}
	c.closeReq = &quic.CCErr{Type: quic.CCErrTypeApplication, ErrorCode: code, Reason: []byte(reason)}
	c.markDirty()
	return nil
}
