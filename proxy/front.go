package proxy

import (
	"net"
	"strconv"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// frontConn is one client connection: a server h2.Session on a loop.Conn.
type frontConn struct {
	sess
	pairs    []*pair // streams with a pair, in no order (pair.fidx)
	xff      []byte  // the client's address, for x-forwarded-for
	timer    loop.Timer
	lastRead int64
	shutdown shutdownStage
	shutAt   int64
}

type shutdownStage uint8

const (
	shutNone   shutdownStage = iota
	shutNotice               // GOAWAY notice and PING sent, waiting for the ACK
	shutFinal                // final GOAWAY submitted
)

// shutdownPing is the opaque data of the PING that times the round trip
// after the shutdown notice.
var shutdownPing = [8]byte{'n', 'g', 'l', 'o', 'o', 'p', 's', 'd'}

// frontHandler is the loop.Handler of client connections.
type frontHandler Proxy

// OnOpen implements loop.Handler.
func (h *frontHandler) OnOpen(c *loop.Conn) {
	px := (*Proxy)(h)
	w := px.workerFor(c.Loop())
	fc := &frontConn{pairs: make([]*pair, 0, 8)}
	fc.w, fc.c, fc.self = w, c, fc
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		fc.xff = a.AddrPort().Addr().Unmap().AppendTo(nil)
	}
	s, err := h2.NewServerSession(&px.frontCB, &px.opt.Front)
	if err != nil {
		_ = c.Abort(err)
		return
	}
	s.SetUserData(fc)
	fc.s = s
	c.SetContext(fc)
	w.fronts++
	px.m.conns.Inc()
	c.InitTimer(&fc.timer)
	fc.lastRead = loop.Now()
	_ = s.HandleExpiry(uint64(fc.lastRead))
	fc.mark()
	fc.armTimer()
	w.flushAll()
}

// OnData implements loop.Handler.
func (h *frontHandler) OnData(c *loop.Conn, in []byte) int {
	fc, _ := c.Context().(*frontConn)
	if fc == nil {
		return len(in)
	}
	if fc.blocked {
		// Our output to this client is backed up: stop reading it (the
		// loop pauses the socket until OnWritable), so a client that
		// does not read cannot make us queue answers without bound.
		return 0
	}
	fc.lastRead = loop.Now()
	_ = fc.s.HandleExpiry(uint64(fc.lastRead))
	n, err := fc.s.MemRecv(in)
	if h2.IsFatal(err) || n < len(in) && err != nil {
		n = len(in) // the session is over; the rest is dropped
	}
	fc.mark()
	fc.w.flushSoon()
	fc.armTimer()
	return n
}

// OnWritable implements loop.Handler.
func (h *frontHandler) OnWritable(c *loop.Conn) {
	fc := c.Context().(*frontConn)
	fc.blocked = false
	fc.mark()
	fc.w.flushAll()
}

// OnTimer implements loop.Handler: the SETTINGS timeout, the idle timeout
// and the shutdown PING deadline share one timer.
func (h *frontHandler) OnTimer(c *loop.Conn, _ *loop.Timer) {
	fc := c.Context().(*frontConn)
	now := loop.Now()
	_ = fc.s.HandleExpiry(uint64(now))
	if fc.shutdown == shutNotice && now >= fc.shutAt {
		fc.finalGoaway()
	}
	if idle := h.opt.IdleTimeout; idle > 0 && fc.s.NumActiveStreams() == 0 && now-fc.lastRead >= int64(idle) && fc.shutdown == shutNone {
		_ = fc.s.TerminateSession(h2.NoError)
	}
	fc.mark()
	fc.w.flushAll()
	fc.armTimer()
}

func (fc *frontConn) armTimer() {
	if fc.closed {
		return
	}
	next := int64(0)
	pick := func(t int64) {
		if t > 0 && (next == 0 || t < next) {
			next = t
		}
	}
	if idle := fc.w.px.opt.IdleTimeout; idle > 0 {
		pick(fc.lastRead + int64(idle))
	}
	pick(int64(fc.s.Expiry()))
	if fc.shutdown == shutNotice {
		pick(fc.shutAt)
	}
	if next != 0 && (!fc.timer.Armed() || next < fc.timer.Deadline()) {
		fc.timer.ResetAt(next)
	}
}

// OnShutdown implements loop.Handler: graceful shutdown in two steps,
// RFC 9113, Section 6.8: "A server that is attempting to gracefully shut
// down a connection SHOULD send an initial GOAWAY frame with the last
// stream identifier set to 2^31-1 and a NO_ERROR code. ... After allowing
// time for any in-flight stream creation (at least one round-trip time),
// the server MAY send another GOAWAY frame with an updated last stream
// identifier." A PING measures the round trip.
func (h *frontHandler) OnShutdown(c *loop.Conn) {
	fc := c.Context().(*frontConn)
	h.stopping.Store(true)
	if fc.shutdown != shutNone {
		return
	}
	fc.shutdown = shutNotice
	fc.shutAt = loop.Now() + int64(h.opt.ShutdownPingTimeout)
	if fc.s.SubmitShutdownNotice() != nil || fc.s.SubmitPing(h2.FlagNone, &shutdownPing) != nil {
		fc.finalGoaway()
	}
	fc.mark()
	fc.w.flushAll()
	fc.armTimer()
}

func (fc *frontConn) finalGoaway() {
	if fc.shutdown == shutFinal {
		return
	}
	fc.shutdown = shutFinal
	if err := fc.s.SubmitGoaway(h2.FlagNone, fc.s.LastProcStreamID(), h2.NoError, nil); err != nil {
		_ = fc.s.TerminateSession(h2.NoError)
	}
	fc.mark()
}

// OnClose implements loop.Handler: the client's streams end; their
// backend streams are cancelled.
func (h *frontHandler) OnClose(c *loop.Conn, _ error) {
	fc, _ := c.Context().(*frontConn)
	if fc == nil {
		return
	}
	fc.closed = true
	for len(fc.pairs) > 0 {
		fc.w.frontStreamClosed(fc.pairs[len(fc.pairs)-1], h2.Cancel)
	}
	fc.w.fronts--
	h.m.conns.Dec()
	fc.w.flushAll()
	if fc.w.fronts == 0 && fc.w.px.stopping.Load() {
		fc.w.closeIdleBackends()
	}
}

func (fc *frontConn) flush() {
	fc.dirty = false
	fc.send()
}

func (fc *frontConn) addPair(p *pair) {
	p.fidx = len(fc.pairs)
	fc.pairs = append(fc.pairs, p)
}

func (fc *frontConn) removePair(p *pair) {
	last := len(fc.pairs) - 1
	fc.pairs[p.fidx] = fc.pairs[last]
	fc.pairs[p.fidx].fidx = p.fidx
	fc.pairs[last] = nil
	fc.pairs = fc.pairs[:last]
}

// The h2.Callbacks of client sessions; the frontConn is the session's
// user data, the pair each stream's.

func frontOf(s *h2.Session) *frontConn { return s.UserData().(*frontConn) }

func frontSend(s *h2.Session, b []byte) (int, error) { return frontOf(s).sendTo(b) }

func frontBeginHeaders(s *h2.Session, f *h2.Frame) error {
	if f.Cat != h2.HCatRequest {
		return nil
	}
	fc := frontOf(s)
	p := fc.w.newPair()
	p.front, p.fid = fc, f.StreamID()
	p.flags |= pfBackClosed // until a backend stream opens
	fc.addPair(p)
	return s.SetStreamUserData(p.fid, p)
}

func frontHeader(s *h2.Session, f *h2.Frame, name, value []byte, _ h2.NVFlag) error {
	p, _ := s.GetStreamUserData(f.StreamID()).(*pair)
	if p == nil || !forwardable(name, value) {
		return nil
	}
	if f.Cat == h2.HCatRequest {
		p.hdr.add(name, value)
	} else {
		p.reqTr.add(name, value)
	}
	return nil
}

var (
	nameVia = []byte("via")
	nameXFF = []byte("x-forwarded-for")
)

func frontFrameRecv(s *h2.Session, f *h2.Frame) error {
	switch f.Type() {
	case h2.FrameHeaders:
		p, _ := s.GetStreamUserData(f.StreamID()).(*pair)
		if p == nil || p.flags&pfFrontClosed != 0 {
			return nil
		}
		end := f.Flags().Has(h2.FlagEndStream)
		if f.Cat == h2.HCatRequest {
			// RFC 9110, Section 7.6.3: "A proxy MUST send an appropriate
			// Via header field ... in each message that it forwards."
			// A second field line is the same as a list member appended.
			p.hdr.add(nameVia, p.w.px.via)
			p.hdr.add(nameXFF, p.front.xff)
			if end {
				p.flags |= pfReqEnd | pfNoBody
			}
			p.start = loop.Now()
			p.w.dispatch(p)
			return nil
		}
		if end { // trailers
			p.flags |= pfReqEnd
			p.resumeBack()
		}
	case h2.FrameData:
		if !f.Flags().Has(h2.FlagEndStream) {
			return nil
		}
		if p, _ := s.GetStreamUserData(f.StreamID()).(*pair); p != nil && p.flags&pfFrontClosed == 0 {
			p.flags |= pfReqEnd
			p.resumeBack()
		}
	case h2.FramePing:
		fc := frontOf(s)
		if f.Flags().Has(h2.FlagAck) && f.OpaqueData == shutdownPing && fc.shutdown == shutNotice {
			fc.finalGoaway()
		}
	}
	return nil
}

func frontDataChunk(s *h2.Session, _ h2.FrameFlags, id int32, data []byte) error {
	p, _ := s.GetStreamUserData(id).(*pair)
	if p == nil || p.flags&pfFrontClosed != 0 || p.flags&pfLocal != 0 {
		// Nobody forwards it: credit it back at once.
		return s.Consume(id, len(data))
	}
	if !p.requestData(data) {
		_ = s.Consume(id, len(data))
		_ = s.SubmitRstStream(h2.FlagNone, id, h2.FlowControlError)
	}
	return nil
}

func frontStreamClose(s *h2.Session, id int32, code h2.ErrorCode) error {
	if p, _ := s.GetStreamUserData(id).(*pair); p != nil {
		p.w.frontStreamClosed(p, code)
	}
	return nil
}

// frontStreamClosed ends the client side of p: a backend stream still
// open is cancelled, octets held for either side are credited back to
// the connections.
func (w *worker) frontStreamClosed(p *pair, code h2.ErrorCode) {
	if p.flags&pfFrontClosed != 0 {
		return
	}
	p.flags |= pfFrontClosed
	p.front.removePair(p)
	if p.req != nil {
		p.creditFront(p.req.Len())
		w.l.Pool().PutRing(p.req)
		p.req = nil
	}
	if p.resp != nil {
		p.creditBack(p.resp.Len())
		w.l.Pool().PutRing(p.resp)
		p.resp = nil
	}
	if p.flags&pfBackClosed == 0 && p.back != nil && !p.back.closed {
		_ = p.back.s.SubmitRstStream(h2.FlagNone, p.bid, h2.Cancel)
		p.back.mark()
	}
	if p.flags&pfQueued != 0 {
		p.be.pool(w).unqueue(p)
	}
	w.px.account(p, code)
	p.done()
}

// respond submits the response headers the backend sent, or a response of
// the proxy's own (502, 503) when status is given and no backend answered.
func (w *worker) respond(p *pair, status int, endStream bool) {
	fc := p.front
	if fc == nil || fc.closed || p.flags&(pfFrontClosed|pfRespSent) != 0 {
		return
	}
	p.flags |= pfRespSent
	p.status = status
	nva := append(w.nva[:0], h2.NV{Name: nameStatus, Value: w.statusText(status), Flags: h2.NVFlagNoCopyName | h2.NVFlagNoCopyValue})
	if p.flags&pfLocal == 0 {
		nva = p.resHdr.appendNV(nva)
	} else {
		nva = append(nva, h2.NV{Name: nameContentLength, Value: zero, Flags: h2.NVFlagNoCopyName | h2.NVFlagNoCopyValue})
	}
	nva = append(nva, h2.NV{Name: nameVia, Value: w.px.via, Flags: h2.NVFlagNoCopyName | h2.NVFlagNoCopyValue})
	var dp *h2.DataProvider
	if !endStream {
		dp = &w.respProvider
	}
	if err := fc.s.SubmitResponse(p.fid, nva, dp); err != nil {
		_ = fc.s.SubmitRstStream(h2.FlagNone, p.fid, h2.InternalError)
	}
	fc.mark()
}

// fail answers p with the proxy's own status (no backend could), or
// resets the client stream if the response had begun.
func (w *worker) fail(p *pair, status int) {
	if p.flags&pfFrontClosed != 0 || p.front == nil {
		return
	}
	if p.flags&pfRespSent != 0 {
		_ = p.front.s.SubmitRstStream(h2.FlagNone, p.fid, h2.InternalError)
		p.front.mark()
		return
	}
	p.flags |= pfLocal
	// Request DATA still coming is credited back at once (pfLocal).
	if p.req != nil {
		p.creditFront(p.req.Len())
		w.l.Pool().PutRing(p.req)
		p.req = nil
	}
	w.respond(p, status, true)
}

var (
	nameStatus        = []byte(":status")
	nameContentLength = []byte("content-length")
	zero              = []byte("0")
)

func (w *worker) statusText(code int) []byte {
	if code < 100 || code > 599 {
		code = 502
	}
	if w.status[code] == nil {
		w.status[code] = strconv.AppendInt(nil, int64(code), 10)
	}
	return w.status[code]
}
