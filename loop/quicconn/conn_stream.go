package quicconn

// Stream calls. They queue; the connection takes queued output when the
// loop's turn ends (Conn.flush), as fast as flow and congestion control
// allow.

// OpenStream opens a bidirectional stream and returns its ID.
//
// Returns the ID, or one of: ErrConnClosed; quic.ErrStreamIDBlocked — the
// peer's MAX_STREAMS allows no more now (a StreamCreditHandler hears when
// it does).
func (c *Conn) OpenStream() (int64, error) {
	if c.Closed() {
		return -1, ErrConnClosed
	}
	return c.q.OpenBidiStream(nil)
}

// OpenUniStream opens a unidirectional stream; see OpenStream.
func (c *Conn) OpenUniStream() (int64, error) {
	if c.Closed() {
		return -1, ErrConnClosed
	}
	return c.q.OpenUniStream(nil)
}

// StreamCreditHandler is an optional Handler extension: OnStreamCredit
// runs when the peer raised the number of streams this side may open
// (MAX_STREAMS), bidi or not, to max.
type StreamCreditHandler interface {
	OnStreamCredit(c *Conn, bidi bool, max uint64)
}

// Write queues p on stream id, and with fin the end of the stream after
// it. At most Config.StreamHighWater bytes wait per stream and
// Config.ConnHighWater per connection; Write takes what fits, and fin
// only counts if all of p was taken.
//
// Returns the bytes taken and nil, or one of: ErrWouldBlock — the queue
// is full, n bytes were taken; OnStreamWritable follows; ErrConnClosed;
// ErrStreamClosed — the stream does not exist, cannot send, already has
// its FIN, or was reset.
func (c *Conn) Write(id int64, p []byte, fin bool) (int, error) {
	if c.Closed() {
		return 0, ErrConnClosed
	}
	s := c.streams[id]
	if s == nil {
		if !c.canSend(id) {
			return 0, ErrStreamClosed
		}
		s = &stream{id: id}
		c.streams[id] = s
	}
	if s.fin || s.dead {
		return 0, ErrStreamClosed
	}
	cfg := &c.ss.ep.cfg
	hw := cfg.StreamHighWater
	n := min(len(p), max(0, cfg.ConnHighWater-c.queued))
	if s.out != nil {
		n = min(n, hw-s.out.Len())
	} else {
		n = min(n, hw)
	}
	if n > 0 {
		c.reserve(s, n, hw)
		s.out.Write(p[:n])
		c.queued += n
	}
	if n < len(p) {
		if !s.want {
			s.want = true
			c.wantq = append(c.wantq, s)
		}
		c.queue(s)
		return n, ErrWouldBlock
	}
	s.fin = fin
	if n > 0 || fin {
		c.queue(s)
	}
	return n, nil
}

// reserve makes room for n more bytes in s.out, which is sized to what
// is queued (a size class of the pool), not to StreamHighWater: the loop's
// pool keeps only a few large rings, and a stream writing a small message
// must not take (and, when many streams write in one turn, allocate) a
// ring of the full high-water mark. A ring that is too small is swapped
// for a larger one, at most hw.
func (c *Conn) reserve(s *stream, n, hw int) {
	pool := c.ss.l.Pool()
	if s.out == nil {
		s.out = pool.GetRing(min(n, hw))
		return
	}
	if s.out.Free() >= n {
		return
	}
	r := pool.GetRing(min(s.out.Len()+n, hw))
	a, b := s.out.Peek()
	r.Write(a)
	r.Write(b)
	pool.PutRing(s.out)
	s.out = r
}

// CloseStream ends stream id's send side (FIN) after its queued output.
// It is Write(id, nil, true).
func (c *Conn) CloseStream(id int64) error {
	_, err := c.Write(id, nil, true)
	return err
}

// ResetStream abandons both directions of stream id with code: queued
// output is dropped, RESET_STREAM and STOP_SENDING are sent (RFC 9000,
// Sections 3.1 and 3.5).
//
// Returns nil on success, or one of: ErrConnClosed; quic.ErrStreamNotFound.
func (c *Conn) ResetStream(id int64, code uint64) error {
	if c.Closed() {
		return ErrConnClosed
	}
	if s := c.streams[id]; s != nil {
		c.dropOutput(s)
	}
	if err := c.q.ShutdownStream(id, code); err != nil {
		return err
	}
	c.markDirty()
	return nil
}

// Buffered returns the bytes queued on stream id and not yet taken by
// the connection.
func (c *Conn) Buffered(id int64) int {
	if s := c.streams[id]; s != nil && s.out != nil {
		return s.out.Len()
	}
	return 0
}

// Consume gives n bytes of receive credit back on stream id and on the
// connection, with Config.Settings.ManualFlowControl (without it the
// credit is given back automatically and Consume only widens windows).
// Call it once the data OnStreamData delivered is processed; until then
// the peer cannot send more than the windows allow.
func (c *Conn) Consume(id int64, n int) {
	if n <= 0 || c.Closed() {
		return
	}
	_ = c.q.ExtendMaxStreamOffset(id, uint64(n)) // the stream may be gone; the connection credit still counts
	c.q.ExtendMaxOffset(uint64(n))
	c.markDirty()
}

// canSend reports whether stream id exists and has a send side.
func (c *Conn) canSend(id int64) bool {
	uni := id&2 != 0
	local := (id&1 != 0) == c.q.IsServer()
	if uni && !local {
		return false
	}
	_, _, err := c.q.StreamWindows(id)
	return err == nil
}

func (s *stream) hasWork() bool {
	return !s.dead && (s.out != nil && s.out.Len() > 0 || s.fin && !s.finDone)
}

func (c *Conn) queue(s *stream) {
	if !s.inq {
		s.inq = true
		c.sendq = append(c.sendq, s)
	}
	c.markDirty()
}

// dropOutput throws away what a stream still had to send.
func (c *Conn) dropOutput(s *stream) {
	c.releaseRing(s)
	s.fin, s.finDone = true, true
}

// releaseRing hands a stream's queue back to the loop's pool.
func (c *Conn) releaseRing(s *stream) {
	if s.out != nil {
		c.queued -= s.out.Len()
		c.ss.l.Pool().PutRing(s.out)
		s.out = nil
	}
}

// forget drops the glue's state of a stream the connection closed.
func (c *Conn) forget(s *stream) {
	c.dropOutput(s)
	s.dead = true
	delete(c.streams, s.id)
}

// notifyWritable calls OnStreamWritable for streams whose Write returned
// ErrWouldBlock once their queue drained to half of StreamHighWater and
// the connection's to half of ConnHighWater. It reports whether it called
// any.
func (c *Conn) notifyWritable() bool {
	if len(c.wantq) == 0 {
		return false
	}
	half := c.ss.ep.cfg.StreamHighWater / 2
	if c.queued > c.ss.ep.cfg.ConnHighWater/2 {
		return false
	}
	list := c.wantq
	c.wantq = c.wantSpare[:0]
	called := false
	for i, s := range list {
		list[i] = nil
		switch {
		case s.dead:
			s.want = false
		case s.out != nil && s.out.Len() > half:
			c.wantq = append(c.wantq, s)
		default:
			s.want = false
			called = true
			if !c.Closed() {
				c.h.OnStreamWritable(c, s.id)
			}
		}
	}
	c.wantSpare = list[:0]
	return called
}

func (c *Conn) streamCredit(bidi bool, max uint64) {
	if h, ok := c.h.(StreamCreditHandler); ok {
		h.OnStreamCredit(c, bidi, max)
	}
}
