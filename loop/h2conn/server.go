package h2conn

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// Server serves HTTP/2 over cleartext TCP (h2c) on a loop.Engine: it is
// the loop.Handler of the listeners it is given, and runs one h2.Session
// per connection.
type Server struct {
	opt ServerOptions
	h   Handler
	cb  h2.Callbacks

	stats ServerStats
}

// ServerStats are counters a Server keeps; read them with Stats.
type ServerStats struct {
	Conns     atomic.Int64 // connections accepted
	Requests  atomic.Int64 // requests delivered to the handler
	Upgrades  atomic.Int64 // HTTP/1.1 upgrades to h2c
	ConnErrs  atomic.Int64 // connections ended by a protocol error of the peer
	Refused   atomic.Int64 // HTTP/1.1 requests refused (no upgrade, too large)
	IdleClose atomic.Int64 // connections ended by IdleTimeout or PrefaceTimeout
}

// NewServer returns a server that gives requests to h, with opt (nil
// means all defaults).
//
// Returns the server, or one of: h2.ErrInvalidArgument — h is nil or a
// session option is out of range.
func NewServer(h Handler, opt *ServerOptions) (*Server, error) {
	if h == nil {
		return nil, h2.ErrInvalidArgument
	}
	var o ServerOptions
	if opt != nil {
		o = *opt
	}
	srv := &Server{opt: o.withDefaults(), h: h}
	srv.cb = h2.Callbacks{
		Send:            serverSend,
		OnBeginHeaders:  serverBeginHeaders,
		OnHeader:        serverHeader,
		OnFrameRecv:     serverFrameRecv,
		OnDataChunkRecv: serverDataChunk,
		OnStreamClose:   serverStreamClose,
	}
	// Check the session options once, here, rather than on every accept.
	if _, err := h2.NewServerSession(&srv.cb, &srv.opt.Session); err != nil {
		return nil, err
	}
	return srv, nil
}

// Listen adds a listener for addr on e served by srv (call before
// e.Start). It returns e.Listen's results.
func (srv *Server) Listen(e *loop.Engine, addr string) (*loop.Listener, error) {
	return e.Listen(addr, srv)
}

// Stats returns the server's counters.
func (srv *Server) Stats() *ServerStats { return &srv.stats }

// Options returns the server's options with defaults filled in.
func (srv *Server) Options() ServerOptions { return srv.opt }

// ServerConn is one server connection: a loop.Conn and its h2.Session.
type ServerConn struct {
	srv *Server
	c   *loop.Conn
	s   *h2.Session

	provider  h2.DataProvider
	timer     loop.Timer
	lastRead  int64
	openedAt  int64
	depth     int  // nesting of session calls; Send waits until 0
	blocked   bool // Callbacks.Send hit loop.ErrWouldBlock
	finishing bool // the session is over: FIN sent, input dropped
	pending   bool // something was submitted outside a session call
	shutdown  shutdownStage
	shutAt    int64

	upgraded    *Stream // stream 1 of an upgrade, until the client's SETTINGS
	upgradeBody []byte

	nva      []h2.NV
	num      []byte
	free     []*Stream
	cur      *Stream   // the stream of the request header block being received
	active   []*Stream // streams handed out, in no order (Stream.idx)
	writable []streamRef
	// ringBytes is the capacity of the streamed-response buffers the
	// connection's streams hold (ServerOptions.MaxConnBuffer); ringWait
	// lists the streams whose Write found none left.
	ringBytes int
	ringWait  []streamRef
}

type streamRef struct {
	st  *Stream
	gen uint32
}

type shutdownStage uint8

const (
	shutNone   shutdownStage = iota
	shutNotice               // GOAWAY notice and PING sent, waiting for the ACK
	shutFinal                // final GOAWAY submitted
)

// shutdownPing is the opaque data of the PING that measures the round
// trip after the shutdown notice.
var shutdownPing = [8]byte{'s', 'h', 'u', 't', 'd', 'o', 'w', 'n'}

// Session returns the connection's h2 session (nil before the preface).
func (sc *ServerConn) Session() *h2.Session { return sc.s }

// Conn returns the underlying loop connection.
func (sc *ServerConn) Conn() *loop.Conn { return sc.c }

// Execute runs fn on the connection's loop, from any goroutine, and sends
// whatever fn submitted when it returns. It returns loop.Conn.Execute's
// error.
func (sc *ServerConn) Execute(fn func(sc *ServerConn)) error {
	return sc.c.Execute(func(*loop.Conn) {
		sc.depth++
		fn(sc)
		sc.depth--
		sc.send()
	})
}

// OnOpen implements loop.Handler.
func (srv *Server) OnOpen(c *loop.Conn) {
	srv.stats.Conns.Add(1)
	sc := &ServerConn{srv: srv, c: c, nva: make([]h2.NV, 0, 16), num: make([]byte, 0, 20),
		free: make([]*Stream, 0, 16), active: make([]*Stream, 0, 16)}
	sc.provider.Read = readBody
	c.SetContext(sc)
	c.InitTimer(&sc.timer)
	sc.openedAt = loop.Now()
	sc.lastRead = sc.openedAt
	sc.timer.Reset(srv.opt.PrefaceTimeout)
}

// startSession creates the h2 session once the connection is known to
// speak HTTP/2.
func (sc *ServerConn) startSession() error {
	s, err := h2.NewServerSession(&sc.srv.cb, &sc.srv.opt.Session)
	if err != nil {
		return err
	}
	s.SetUserData(sc)
	sc.s = s
	_ = s.HandleExpiry(uint64(loop.Now())) // starts the SETTINGS timeout clock
	return nil
}

// OnData implements loop.Handler.
func (srv *Server) OnData(c *loop.Conn, in []byte) int {
	sc := c.Context().(*ServerConn)
	if sc.finishing {
		return len(in)
	}
	if sc.blocked {
		// Output is backed up: stop reading (the loop pauses the socket
		// until OnWritable), so a peer that does not read cannot make
		// us queue answers without bound.
		return 0
	}
	sc.lastRead = loop.Now()
	consumed := 0
	if sc.s == nil {
		n, done := sc.sniff(in)
		if !done {
			return n
		}
		consumed, in = n, in[n:]
		if sc.s == nil {
			return consumed + len(in)
		}
	}
	return consumed + sc.recv(in)
}

// recv feeds in to the session and sends the answers.
func (sc *ServerConn) recv(in []byte) int {
	s := sc.s
	if err := s.HandleExpiry(uint64(sc.lastRead)); err != nil {
		sc.srv.stats.ConnErrs.Add(1)
	}
	sc.depth++
	n, err := s.MemRecv(in)
	sc.depth--
	if h2.IsFatal(err) {
		var ce *h2.ConnError
		if errors.As(err, &ce) {
			sc.srv.stats.ConnErrs.Add(1)
		}
		if n < len(in) {
			n = len(in) // the session is over; the rest is dropped
		}
	}
	sc.send()
	sc.armTimer()
	return n
}

// send writes what the session has queued, unless a session call is in
// progress (it sends when it unwinds) or the socket is backed up
// (OnWritable resumes). It closes the connection when the session is done.
func (sc *ServerConn) send() {
	if sc.depth > 0 {
		sc.pending = true
		return
	}
	s := sc.s
	if s == nil || sc.c.Closed() {
		return
	}
	for {
		sc.pending = false
		if !sc.blocked {
			sc.depth++
			err := s.Send()
			sc.depth--
			if err != nil {
				_ = sc.c.Abort(err)
				return
			}
		}
		if len(sc.writable) > 0 {
			sc.runWritable()
		}
		if !sc.pending || sc.blocked {
			break
		}
	}
	if !s.WantRead() && !s.WantWrite() {
		sc.finish()
	}
}

// closeDrain is how long a finished connection keeps reading (and
// dropping) input after its FIN before it closes.
const closeDrain = 500 * time.Millisecond

// finish ends a connection whose session is over. Closing at once with
// unread input makes the kernel send a TCP RST, which can destroy the
// GOAWAY in the peer's receive buffer before the peer reads it; so the
// write side is shut after the flush (FIN follows the GOAWAY) and input
// is read and dropped until the peer closes or closeDrain passes.
func (sc *ServerConn) finish() {
	if sc.finishing {
		return
	}
	sc.finishing = true
	_ = sc.c.CloseWrite()
	sc.timer.Reset(closeDrain)
}

// wantSend notes that a Stream method queued something.
func (sc *ServerConn) wantSend() {
	if sc.depth > 0 {
		sc.pending = true
		return
	}
	sc.send()
}

func (sc *ServerConn) queueWritable(st *Stream) {
	st.flags &^= sfWantWrite
	sc.writable = append(sc.writable, streamRef{st, st.gen})
}

// runWritable delivers OnWritable outside the session's Send.
func (sc *ServerConn) runWritable() {
	sc.depth++
	for i := 0; i < len(sc.writable); i++ {
		r := sc.writable[i]
		if r.st.gen == r.gen && r.st.flags&sfClosed == 0 {
			sc.srv.h.OnWritable(r.st)
		}
		sc.writable[i] = streamRef{}
	}
	sc.writable = sc.writable[:0]
	sc.depth--
}

// OnWritable implements loop.Handler: the socket drained, Send resumes.
func (srv *Server) OnWritable(c *loop.Conn) {
	sc := c.Context().(*ServerConn)
	sc.blocked = false
	sc.send()
}

// OnTimer implements loop.Handler: preface, SETTINGS, idle and shutdown
// deadlines share one timer.
func (srv *Server) OnTimer(c *loop.Conn, _ *loop.Timer) {
	sc := c.Context().(*ServerConn)
	if sc.finishing {
		_ = c.Close()
		return
	}
	now := loop.Now()
	if sc.s == nil {
		// The preface deadline counts from the accept, so a peer
		// trickling its first bytes cannot hold the connection open.
		if now-sc.openedAt >= int64(srv.opt.PrefaceTimeout) {
			srv.stats.IdleClose.Add(1)
			_ = c.Close()
			return
		}
		sc.timer.ResetAt(sc.openedAt + int64(srv.opt.PrefaceTimeout))
		return
	}
	s := sc.s
	if err := s.HandleExpiry(uint64(now)); err != nil {
		srv.stats.ConnErrs.Add(1) // SETTINGS timeout: GOAWAY is queued
	}
	if sc.shutdown == shutNotice && now >= sc.shutAt {
		sc.finalGoaway()
	}
	if idle := srv.opt.IdleTimeout; idle > 0 && now-sc.lastRead >= int64(idle) && sc.shutdown == shutNone {
		srv.stats.IdleClose.Add(1)
		_ = s.TerminateSession(h2.NoError)
	}
	sc.send()
	sc.armTimer()
}

// armTimer sets the timer for the earliest of the deadlines. A deadline
// already passed (an idle connection with streams still open) is pushed
// into the future: re-arming a timer in the past from its own callback
// would fire it again in the same timer run.
func (sc *ServerConn) armTimer() {
	if sc.c.Closed() || sc.finishing {
		return
	}
	now := loop.Now()
	next := int64(0)
	pick := func(t, retry int64) {
		if t <= 0 {
			return
		}
		if t <= now {
			t = now + retry
		}
		if next == 0 || t < next {
			next = t
		}
	}
	if idle := int64(sc.srv.opt.IdleTimeout); idle > 0 {
		pick(sc.lastRead+idle, idle)
	}
	pick(int64(sc.s.Expiry()), int64(time.Millisecond))
	if sc.shutdown == shutNotice {
		pick(sc.shutAt, int64(time.Millisecond))
	}
	if next != 0 && (!sc.timer.Armed() || next < sc.timer.Deadline()) {
		sc.timer.ResetAt(next)
	}
}

// OnShutdown implements loop.Handler: graceful shutdown, RFC 9113,
// Section 6.8: "A server that is attempting to gracefully shut down a
// connection SHOULD send an initial GOAWAY frame with the last stream
// identifier set to 2^31-1 and a NO_ERROR code. ... After allowing time
// for any in-flight stream creation (at least one round-trip time), the
// server MAY send another GOAWAY frame with an updated last stream
// identifier." The round trip is measured with a PING.
func (srv *Server) OnShutdown(c *loop.Conn) {
	sc := c.Context().(*ServerConn)
	if sc.s == nil {
		_ = c.Close()
		return
	}
	if sc.shutdown != shutNone {
		return
	}
	sc.shutdown = shutNotice
	sc.shutAt = loop.Now() + int64(srv.opt.ShutdownPingTimeout)
	if sc.s.SubmitShutdownNotice() != nil || sc.s.SubmitPing(h2.FlagNone, &shutdownPing) != nil {
		sc.finalGoaway()
	}
	sc.send()
	sc.armTimer()
}

func (sc *ServerConn) finalGoaway() {
	if sc.shutdown == shutFinal {
		return
	}
	sc.shutdown = shutFinal
	if err := sc.s.SubmitGoaway(h2.FlagNone, sc.s.LastProcStreamID(), h2.NoError, nil); err != nil {
		_ = sc.s.TerminateSession(h2.NoError)
	}
	sc.wantSend()
}

// OnClose implements loop.Handler: streams still open are closed for the
// handler with h2.Cancel.
func (srv *Server) OnClose(c *loop.Conn, err error) {
	sc, _ := c.Context().(*ServerConn)
	if sc == nil || sc.s == nil {
		return
	}
	for len(sc.active) > 0 {
		sc.closeStream(sc.active[len(sc.active)-1], h2.Cancel)
	}
}

func (sc *ServerConn) newStream(id int32) *Stream {
	var st *Stream
	if n := len(sc.free); n > 0 {
		st = sc.free[n-1]
		sc.free[n-1] = nil
		sc.free = sc.free[:n-1]
	} else {
		// Room for a typical request's fields, so a new stream does not
		// grow its slices field by field.
		st = &Stream{sc: sc, f: newFieldSet()}
	}
	st.id = id
	st.idx = len(sc.active)
	sc.active = append(sc.active, st)
	return st
}

// closeStream ends a stream for the handler and recycles it.
func (sc *ServerConn) closeStream(st *Stream, code h2.ErrorCode) {
	if st.flags&sfClosed != 0 {
		return
	}
	st.flags |= sfClosed
	last := len(sc.active) - 1
	sc.active[st.idx] = sc.active[last]
	sc.active[st.idx].idx = st.idx
	sc.active[last] = nil
	sc.active = sc.active[:last]
	if st.flags&sfDelivered != 0 {
		sc.depth++
		sc.srv.h.OnClose(st, code)
		sc.depth--
	}
	if st.held > 0 && sc.s != nil {
		// Octets never echoed still count for the connection window.
		_ = sc.s.ConsumeConnection(int(st.held))
	}
	sc.giveRing(st)
	st.reset()
	sc.free = append(sc.free, st)
}

// takeRing gives st a streamed-response buffer if the connection's
// budget allows. A stream that echoes what it received
// (ConsumeAsWritten) always gets one: the peer paid for that data, one
// window per stream, and the echo relies on its chunk fitting.
func (sc *ServerConn) takeRing(st *Stream) bool {
	size := sc.srv.opt.StreamBufferSize
	if sc.ringBytes+size > sc.srv.opt.MaxConnBuffer && st.flags&(sfHold|sfManual) != sfHold {
		sc.ringWait = append(sc.ringWait, streamRef{st, st.gen})
		return false
	}
	st.out = sc.c.Loop().Pool().GetRing(size)
	sc.ringBytes += st.out.Cap()
	return true
}

// giveRing returns st's buffer to the pool and wakes the streams that
// wait for one (OnWritable; a stream that still finds none waits again).
func (sc *ServerConn) giveRing(st *Stream) {
	if st.out == nil {
		return
	}
	sc.ringBytes -= st.out.Cap()
	st.out.Reset()
	sc.c.Loop().Pool().PutRing(st.out)
	st.out = nil
	for i, r := range sc.ringWait {
		if r.st.gen == r.gen && r.st.flags&(sfClosed|sfWantWrite) == sfWantWrite && r.st.out == nil {
			sc.queueWritable(r.st)
		}
		sc.ringWait[i] = streamRef{}
	}
	sc.ringWait = sc.ringWait[:0]
	sc.pending = true
}
