package proxy

import (
	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// backConn is one connection to a backend: a client h2.Session on a
// loop.Conn of the same loop as the clients it serves.
type backConn struct {
	sess
	pool      *backendPool
	pairs     []*pair // streams in flight (pair.bidx)
	connected bool
	goaway    bool  // the backend's GOAWAY arrived, or we are draining it: no new streams
	probeAt   int64 // a health PING or request is outstanding since (loop.Now), 0 if none
	probe     bool  // dialed by a health check
}

// healthPing is the opaque data of health-check PINGs.
var healthPing = [8]byte{'n', 'g', 'l', 'o', 'o', 'p', 'h', 'c'}

func (bc *backConn) flush() {
	bc.dirty = false
	if !bc.send() {
		return
	}
	if bc.goaway && len(bc.pairs) == 0 && !bc.s.WantWrite() {
		// Drained after the backend's GOAWAY: nothing more will come.
		_ = bc.c.Close()
	}
}

// usable reports whether new requests may go to bc.
func (bc *backConn) usable() bool { return bc.connected && !bc.goaway && !bc.closed }

func (bc *backConn) addPair(p *pair) {
	p.bidx = len(bc.pairs)
	bc.pairs = append(bc.pairs, p)
}

func (bc *backConn) removePair(p *pair) {
	last := len(bc.pairs) - 1
	bc.pairs[p.bidx] = bc.pairs[last]
	bc.pairs[p.bidx].bidx = p.bidx
	bc.pairs[last] = nil
	bc.pairs = bc.pairs[:last]
}

// request submits p's request on bc. It returns false when the session
// takes no new streams (after GOAWAY), and bc is then left out.
func (bc *backConn) request(p *pair) bool {
	w := bc.w
	nva := p.hdr.appendNV(w.nva[:0])
	var dp *h2.DataProvider
	if p.flags&pfNoBody == 0 {
		dp = &w.reqProvider
	}
	id, err := bc.s.SubmitRequest(nva, dp, p)
	if err != nil {
		bc.goaway = true
		return false
	}
	p.back, p.bid = bc, id
	p.flags &^= pfBackClosed | pfReqDeferred
	p.upstreamAt = loop.Now()
	bc.addPair(p)
	p.be.outstanding.Add(1)
	bc.mark()
	return true
}

// shutdown ends an idle connection with GOAWAY.
func (bc *backConn) shutdown() {
	if bc.s == nil || bc.closed {
		return
	}
	bc.goaway = true
	_ = bc.s.TerminateSession(h2.NoError)
	bc.mark()
}

// backHandler is the loop.Handler of backend connections; the backConn is
// the connection's context.
type backHandler struct{}

// OnOpen implements loop.Handler.
func (backHandler) OnOpen(c *loop.Conn) {
	bc := c.Context().(*backConn)
	bp := bc.pool
	bc.c = c
	s, err := h2.NewClientSession(&bp.w.px.backCB, &bp.w.px.opt.Back)
	if err != nil {
		_ = c.Abort(err)
		return
	}
	s.SetUserData(bc)
	bc.s = s
	bp.conns = append(bp.conns, bc)
	bc.mark()
	bp.w.flushAll()
}

// onSettings runs when the backend's first SETTINGS arrived: only now is
// its SETTINGS_MAX_CONCURRENT_STREAMS known (RFC 9113, Section 6.5.2;
// until then a peer may assume 100, more than many backends allow), so
// only now does the connection take requests.
func (bc *backConn) onSettings() {
	bp := bc.pool
	if !bc.connected {
		bc.connected = true
		bp.dialing--
		bp.be.setUp(true)
		if bc.probe && bp.w.px.opt.HealthPath != "" {
			bp.w.probeRequest(bc)
		}
	}
	bp.drain()
}

// OnData implements loop.Handler. Backend input is always read: what a
// backend may send is bounded by the windows the proxy gives it.
func (backHandler) OnData(c *loop.Conn, in []byte) int {
	bc := c.Context().(*backConn)
	n, err := bc.s.MemRecv(in)
	if h2.IsFatal(err) || n < len(in) && err != nil {
		n = len(in)
	}
	bc.mark()
	bc.w.flushSoon()
	return n
}

// OnWritable implements loop.Handler.
func (backHandler) OnWritable(c *loop.Conn) {
	bc := c.Context().(*backConn)
	bc.blocked = false
	bc.mark()
	bc.w.flushAll()
}

// OnTimer implements loop.Handler.
func (backHandler) OnTimer(*loop.Conn, *loop.Timer) {}

// OnShutdown implements loop.Handler: a backend connection serves the
// clients' streams to their end; it closes once no client is left.
func (backHandler) OnShutdown(c *loop.Conn) {
	bc := c.Context().(*backConn)
	bc.w.px.stopping.Store(true)
	if bc.w.fronts == 0 && len(bc.pairs) == 0 {
		bc.shutdown()
		bc.w.flushAll()
	}
}

// OnClose implements loop.Handler. After a failed dial it runs on the
// dialing goroutine, so the work moves to the loop.
func (backHandler) OnClose(c *loop.Conn, err error) {
	bc := c.Context().(*backConn)
	if c.Loop() == nil {
		_ = bc.w.l.Execute(func() {
			bc.closed = true
			bc.pool.dialFailed(err)
			bc.w.flushAll()
		})
		return
	}
	bc.closed = true
	bp := bc.pool
	bp.remove(bc)
	if !bc.connected {
		// Connected but never started HTTP/2: as bad as a failed dial.
		bp.dialFailed(err)
		bc.w.flushAll()
		return
	}
	lost := len(bc.pairs) > 0
	if lost || err != nil && !bc.goaway {
		// A backend that drops a connection with requests in flight,
		// or without GOAWAY, is out of rotation until a health check
		// brings it back.
		bp.be.setUp(false)
	}
	for len(bc.pairs) > 0 {
		bc.w.backStreamClosed(bc.pairs[len(bc.pairs)-1], h2.Cancel)
	}
	bp.drain()
	bc.w.flushAll()
}

// The h2.Callbacks of backend sessions.

func backOf(s *h2.Session) *backConn { return s.UserData().(*backConn) }

func backSend(s *h2.Session, b []byte) (int, error) { return backOf(s).sendTo(b) }

func backBeginHeaders(s *h2.Session, f *h2.Frame) error {
	if p, _ := s.GetStreamUserData(f.StreamID()).(*pair); p != nil && p.flags&pfRespFinal == 0 {
		// A final response after a 1xx starts afresh.
		p.resHdr.reset()
		p.status = 0
	}
	return nil
}

func backHeader(s *h2.Session, f *h2.Frame, name, value []byte, _ h2.NVFlag) error {
	p, _ := s.GetStreamUserData(f.StreamID()).(*pair)
	if p == nil {
		return nil
	}
	if p.flags&pfRespFinal == 0 {
		if len(name) > 0 && name[0] == ':' {
			if string(name) == ":status" && len(value) == 3 {
				p.status = int(value[0]-'0')*100 + int(value[1]-'0')*10 + int(value[2]-'0')
			}
			return nil
		}
		if forwardable(name, value) {
			p.resHdr.add(name, value)
		}
		return nil
	}
	if forwardable(name, value) {
		p.resTr.add(name, value)
	}
	return nil
}

func backFrameRecv(s *h2.Session, f *h2.Frame) error {
	switch f.Type() {
	case h2.FrameHeaders:
		p, _ := s.GetStreamUserData(f.StreamID()).(*pair)
		if p == nil {
			return nil
		}
		end := f.Flags().Has(h2.FlagEndStream)
		if p.flags&pfRespFinal == 0 {
			if p.status < 200 {
				return nil // 1xx: not forwarded
			}
			p.flags |= pfRespFinal
			if end {
				p.flags |= pfRespEnd
			}
			p.upstreamDur = loop.Now() - p.upstreamAt
			p.be.m.latency.Observe(float64(p.upstreamDur) / 1e9)
			if p.flags&pfProbe == 0 {
				p.w.respond(p, p.status, end)
			}
			return nil
		}
		if end {
			p.flags |= pfRespEnd
			p.resumeFront()
		}
	case h2.FrameData:
		if !f.Flags().Has(h2.FlagEndStream) {
			return nil
		}
		if p, _ := s.GetStreamUserData(f.StreamID()).(*pair); p != nil {
			p.flags |= pfRespEnd
			p.resumeFront()
		}
	case h2.FrameGoaway:
		// RFC 9113, Section 6.8: "Receivers of a GOAWAY frame MUST NOT
		// open additional streams on the connection". Streams above
		// LastStreamID are refused by the session and retried elsewhere.
		bc := backOf(s)
		bc.goaway = true
		bc.pool.drain()
	case h2.FrameSettings:
		// The first one opens the connection to requests; a larger
		// SETTINGS_MAX_CONCURRENT_STREAMS may let queued ones go.
		if !f.Flags().Has(h2.FlagAck) {
			backOf(s).onSettings()
		}
	case h2.FramePing:
		bc := backOf(s)
		if f.Flags().Has(h2.FlagAck) && f.OpaqueData == healthPing && bc.probeAt != 0 {
			bc.probeAt = 0
			bc.pool.be.setUp(true)
		}
	}
	return nil
}

func backDataChunk(s *h2.Session, _ h2.FrameFlags, id int32, data []byte) error {
	p, _ := s.GetStreamUserData(id).(*pair)
	if p == nil || p.flags&(pfFrontClosed|pfProbe) != 0 {
		return s.Consume(id, len(data))
	}
	if !p.responseData(data) {
		_ = s.Consume(id, len(data))
		return s.SubmitRstStream(h2.FlagNone, id, h2.FlowControlError)
	}
	return nil
}

func backStreamClose(s *h2.Session, id int32, code h2.ErrorCode) error {
	if p, _ := s.GetStreamUserData(id).(*pair); p != nil {
		p.w.backStreamClosed(p, code)
	}
	return nil
}

// backFrameNotSend ends requests whose HEADERS never went out (the
// backend's GOAWAY came first): the backend never saw them, so they are
// retried (RFC 9113, Section 8.7).
func backFrameNotSend(s *h2.Session, f *h2.Frame, _ h2.Error) error {
	if f.Type() != h2.FrameHeaders {
		return nil
	}
	bc := backOf(s)
	for _, p := range bc.pairs {
		if p.bid == f.StreamID() {
			bc.w.backStreamClosed(p, h2.RefusedStream)
			break
		}
	}
	return nil
}

// backStreamClosed ends the backend side of p. A request the backend did
// not process is retried once on another backend; one it failed before
// answering becomes 502; a response cut short resets the client stream.
func (w *worker) backStreamClosed(p *pair, code h2.ErrorCode) {
	if p.flags&pfBackClosed != 0 {
		return
	}
	p.flags |= pfBackClosed
	bc := p.back
	bc.removePair(p)
	p.be.outstanding.Add(-1)
	defer bc.pool.drain()
	if len(bc.pairs) == 0 && w.fronts == 0 && w.px.stopping.Load() {
		bc.shutdown() // the last stream of a stopping proxy's loop
	}
	if p.flags&pfProbe != 0 {
		ok := code == h2.NoError && p.status >= 200 && p.status < 500
		bc.probeAt = 0
		p.be.setUp(ok)
		p.flags |= pfFrontClosed
		p.done()
		return
	}
	if p.flags&pfFrontClosed == 0 {
		switch {
		case p.flags&pfRespFinal == 0:
			// RFC 9113, Section 8.7: REFUSED_STREAM (and streams above a
			// GOAWAY's last stream ID) "can be safely retried".
			if code == h2.RefusedStream && p.flags&pfPulled == 0 && p.retries == 0 {
				p.retries++
				p.excluded = p.be.idx
				p.back, p.bid = nil, 0
				w.dispatch(p)
				return
			}
			w.fail(p, 502)
		case code != h2.NoError || p.flags&pfRespEnd == 0:
			// The response began: all the client can learn is that the
			// stream broke.
			_ = p.front.s.SubmitRstStream(h2.FlagNone, p.fid, h2.InternalError)
			p.front.mark()
		}
	}
	p.done()
}
