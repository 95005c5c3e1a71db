package h2conn

import (
	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// ClientStream is one request on a ClientConn and its response. It is
// pooled: do not use it after ResponseHandler.OnClose returns.
type ClientStream struct {
	cc     *ClientConn
	h      ResponseHandler
	id     int32
	idx    int
	value  any
	status int
	f      fieldSet
	final  bool // the final (non-1xx) response header section arrived
	closed bool

	body     []byte
	bodyOff  int
	bodyRecv int64
	held     int64 // received octets not yet consumed (ClientOptions.ManualFlow)
	trailers []h2.NV
	trArena  []byte
}

// ID returns the stream identifier (0 until SubmitRequest assigned it).
func (cs *ClientStream) ID() int32 { return cs.id }

// Conn returns the connection.
func (cs *ClientStream) Conn() *ClientConn { return cs.cc }

// Value returns the value given to Request.
func (cs *ClientStream) Value() any { return cs.value }

// Status returns the response status (0 before OnResponse).
func (cs *ClientStream) Status() int { return cs.status }

// Header returns the first response header field named name, or nil.
func (cs *ClientStream) Header(name string) []byte { return cs.f.header(name) }

// Trailer returns the first response trailer field named name, or nil.
func (cs *ClientStream) Trailer(name string) []byte { return cs.f.trailer(name) }

// BodyReceived returns the response body octets received.
func (cs *ClientStream) BodyReceived() int64 { return cs.bodyRecv }

// Consume credits n received body octets back to the server
// (ClientOptions.ManualFlow). Returns nil or an h2 error from
// Session.Consume.
func (cs *ClientStream) Consume(n int) error {
	if n <= 0 || cs.held == 0 {
		return nil
	}
	n = int(min(int64(n), cs.held))
	cs.held -= int64(n)
	err := cs.cc.s.Consume(cs.id, n)
	cs.cc.send()
	return err
}

// Cancel resets the stream with RST_STREAM CANCEL. Returns nil or an h2
// error from SubmitRstStream.
func (cs *ClientStream) Cancel() error {
	if cs.closed || cs.id == 0 {
		return ErrStreamClosed
	}
	err := cs.cc.s.SubmitRstStream(h2.FlagNone, cs.id, h2.Cancel)
	cs.cc.send()
	return err
}

func (cs *ClientStream) setTrailers(nv []h2.NV) {
	cs.trailers, cs.trArena = copyFields(cs.trailers, cs.trArena, nv)
}

func (cs *ClientStream) reset() {
	*cs = ClientStream{cc: cs.cc, f: cs.f, trailers: cs.trailers[:0], trArena: cs.trArena[:0]}
	cs.f.reset()
}

func clientConnOf(s *h2.Session) *ClientConn { return s.UserData().(*ClientConn) }

func clientStreamOf(s *h2.Session, id int32) *ClientStream {
	cs, _ := s.GetStreamUserData(id).(*ClientStream)
	return cs
}

func clientSend(s *h2.Session, b []byte) (int, error) {
	cc := clientConnOf(s)
	return writeFrame(cc.c, &cc.blocked, b)
}

func clientBeginHeaders(s *h2.Session, f *h2.Frame) error {
	if cs := clientStreamOf(s, f.StreamID()); cs != nil && !cs.final {
		// A new response header section (after a 1xx) starts afresh.
		cs.f.reset()
		cs.status = 0
	}
	return nil
}

func clientHeader(s *h2.Session, f *h2.Frame, name, value []byte, _ h2.NVFlag) error {
	cs := clientStreamOf(s, f.StreamID())
	if cs == nil {
		return nil
	}
	if string(name) == ":status" {
		cs.status = atoi3(value)
		return nil
	}
	if len(name) > 0 && name[0] == ':' {
		return nil
	}
	cs.f.add(name, value, cs.final)
	return nil
}

// atoi3 parses a 3-digit status code (the session checked its form).
func atoi3(v []byte) int {
	if len(v) != 3 {
		return 0
	}
	return int(v[0]-'0')*100 + int(v[1]-'0')*10 + int(v[2]-'0')
}

func clientFrameRecv(s *h2.Session, f *h2.Frame) error {
	if f.Type() != h2.FrameHeaders {
		return nil
	}
	cs := clientStreamOf(s, f.StreamID())
	if cs == nil || cs.final || cs.status < 200 {
		return nil
	}
	cs.final = true
	cs.cc.depth++
	cs.h.OnResponse(cs)
	cs.cc.depth--
	return nil
}

func clientDataChunk(s *h2.Session, _ h2.FrameFlags, id int32, data []byte) error {
	cs := clientStreamOf(s, id)
	if cs == nil || cs.closed {
		return nil
	}
	cs.bodyRecv += int64(len(data))
	if cs.cc.cl.opt.ManualFlow {
		cs.held += int64(len(data))
	}
	cs.cc.depth++
	cs.h.OnData(cs, data)
	cs.cc.depth--
	return nil
}

func clientStreamClose(s *h2.Session, id int32, code h2.ErrorCode) error {
	if cs := clientStreamOf(s, id); cs != nil {
		cs.cc.closeStream(cs, code)
	}
	return nil
}

// clientFrameNotSend ends requests whose HEADERS never went out (the
// peer's GOAWAY came first): they were not processed and may be retried.
func clientFrameNotSend(s *h2.Session, f *h2.Frame, _ h2.Error) error {
	if f.Type() != h2.FrameHeaders {
		return nil
	}
	cc := clientConnOf(s)
	for _, cs := range cc.active {
		if cs.id == f.StreamID() {
			cc.closeStream(cs, h2.RefusedStream)
			break
		}
	}
	return nil
}

// clientReadBody is the DataProvider of request bodies.
func clientReadBody(s *h2.Session, id int32, buf []byte, flags *h2.DataFlags) (int, error) {
	cs := clientStreamOf(s, id)
	if cs == nil {
		*flags |= h2.DataFlagEOF
		return 0, nil
	}
	n := copy(buf, cs.body[cs.bodyOff:])
	cs.bodyOff += n
	if cs.bodyOff == len(cs.body) {
		*flags |= h2.DataFlagEOF
		if len(cs.trailers) > 0 {
			*flags |= h2.DataFlagNoEndStream
			if err := s.SubmitTrailer(id, cs.trailers); err != nil {
				return 0, h2.ErrTemporalCallbackFailure
			}
		}
	}
	return n, nil
}

// clientLoopHandler is the loop.Handler of client connections.
type clientLoopHandler ClientConn

func (h *clientLoopHandler) OnOpen(c *loop.Conn) {
	cc := (*ClientConn)(h)
	cc.c = c
	cc.provider.Read = clientReadBody
	cc.nva = make([]h2.NV, 0, 16)
	s, err := h2.NewClientSession(&cc.cl.cb, &cc.cl.opt.Session)
	if err != nil {
		_ = c.Abort(err)
		return
	}
	s.SetUserData(cc)
	cc.s = s
	cc.depth++
	cc.h.OnConnect(cc)
	cc.depth--
	cc.send()
}

func (h *clientLoopHandler) OnData(c *loop.Conn, in []byte) int {
	cc := (*ClientConn)(h)
	if cc.blocked {
		return 0
	}
	cc.depth++
	n, err := cc.s.MemRecv(in)
	cc.depth--
	if h2.IsFatal(err) && n < len(in) {
		n = len(in)
	}
	cc.send()
	return n
}

func (h *clientLoopHandler) OnWritable(c *loop.Conn) {
	cc := (*ClientConn)(h)
	cc.blocked = false
	cc.send()
}

func (h *clientLoopHandler) OnTimer(*loop.Conn, *loop.Timer) {}

func (h *clientLoopHandler) OnShutdown(c *loop.Conn) {
	cc := (*ClientConn)(h)
	if cc.s == nil {
		_ = c.Close()
		return
	}
	cc.Shutdown()
}

func (h *clientLoopHandler) OnClose(c *loop.Conn, err error) {
	cc := (*ClientConn)(h)
	cc.closing = true
	for len(cc.active) > 0 {
		cc.closeStream(cc.active[len(cc.active)-1], h2.Cancel)
	}
	cc.h.OnDisconnect(cc, err)
}
