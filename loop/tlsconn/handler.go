package tlsconn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/ngloop/ngloop/loop"
)

// Handler is a loop.Handler that runs TLS on its connections and presents
// the plaintext to an inner loop.Handler. The inner handler's OnOpen runs
// once the handshake succeeded; its writes (Conn.Write) are encrypted by
// the connection's loop.Layer. Use one Handler per listener, or for many
// dialed connections.
type Handler struct {
	inner  loop.Handler
	cfg    *tls.Config
	opt    Options
	client bool
	pool   *pool
	cpu    chan struct{} // compute tokens, Options.HandshakeCPU
	stats  Stats
}

// Stats are a Handler's counters.
type Stats struct {
	Handshakes atomic.Int64 // handshakes completed and verified
	Failed     atomic.Int64 // handshakes that failed (alert, bad input, closed)
	Timeouts   atomic.Int64 // handshakes past Options.HandshakeTimeout
	Refused    atomic.Int64 // connections refused: not TLS, too large, pool full
	Rejected   atomic.Int64 // handshakes Options.Verify refused
}

// NewServer returns a Handler that accepts TLS with cfg and serves the
// plaintext with inner. cfg needs certificates (Certificates or
// GetCertificate); ServerConfig builds one for HTTP/2.
//
// Returns the handler, or ErrNoConfig — inner or cfg is nil.
func NewServer(inner loop.Handler, cfg *tls.Config, opt *Options) (*Handler, error) {
	return newHandler(inner, cfg, opt, false)
}

// NewClient returns a Handler for dialed connections (loop.Engine.Dial):
// it runs the client handshake with cfg (set ServerName or
// InsecureSkipVerify) and then gives the connection to inner.
//
// Returns the handler, or ErrNoConfig — inner or cfg is nil.
func NewClient(inner loop.Handler, cfg *tls.Config, opt *Options) (*Handler, error) {
	return newHandler(inner, cfg, opt, true)
}

func newHandler(inner loop.Handler, cfg *tls.Config, opt *Options, client bool) (*Handler, error) {
	if inner == nil || cfg == nil {
		return nil, ErrNoConfig
	}
	var o Options
	if opt != nil {
		o = *opt
	}
	o = o.withDefaults()
	return &Handler{inner: inner, cfg: cfg, opt: o, client: client,
		pool: newPool(o.MaxHandshakes, o.MaxPending), cpu: make(chan struct{}, o.HandshakeCPU)}, nil
}

// Stats returns the handler's counters.
func (h *Handler) Stats() *Stats { return &h.stats }

// Pending returns the number of handshakes waiting for a worker.
func (h *Handler) Pending() int { return h.pool.pending() }

// connection states, on the loop.
type connState uint8

const (
	stHello     connState = iota // server: waiting for a complete ClientHello
	stHandshake                  // a worker runs (or will run) the handshake
	stOpen                       // records flow; the inner handler is open
	stDone                       // failed or closing; input is dropped
)

// conn is one connection's TLS state; it is the connection's loop.Layer.
type conn struct {
	h     *Handler
	c     *loop.Conn
	p     *pipe
	tc    *tls.Conn
	state connState
	timer loop.Timer
	err   error // set by the worker before it posts handshakeDone
	hsErr error // err, copied on the loop by handshakeDone

	plain  []byte // decrypted, not yet consumed by the inner handler
	stage  []byte // written by the inner handler, not yet sealed (layer.go)
	plainN int
	broken bool // a record error: no close_notify
	opened bool // the inner handler got OnOpen
	paused bool // reading paused at MaxHandshakeBytes
	drain  bool // read until crypto/tls would block (after the handshake)
	secure bool // the handshake succeeded: close_notify is owed
}

// State returns the TLS connection state of c, a connection served by a
// Handler, once its handshake is done (inside the inner handler).
func State(c *loop.Conn) (tls.ConnectionState, bool) {
	cs, ok := c.Layer().(*conn)
	if !ok || cs.tc == nil || cs.state != stOpen {
		return tls.ConnectionState{}, false
	}
	return cs.tc.ConnectionState(), true
}

// OnOpen implements loop.Handler: the handshake starts.
func (h *Handler) OnOpen(c *loop.Conn) {
	cs := &conn{h: h, c: c, p: newPipe(c, h.opt.MaxHandshakeBytes, h.cpu)}
	c.SetLayer(cs)
	c.InitTimer(&cs.timer)
	cs.timer.Reset(h.opt.HandshakeTimeout)
	if !h.client {
		cs.tc = tls.Server(cs.p, h.cfg)
		return // wait for the ClientHello
	}
	cs.tc = tls.Client(cs.p, h.cfg)
	cs.state = stHandshake
	if !h.pool.submit(cs) {
		cs.refuse(ErrBusy)
	}
}

func (cs *conn) refuse(err error) {
	cs.h.stats.Refused.Add(1)
	cs.state = stDone
	_ = cs.c.Abort(err)
}

// OnData implements loop.Handler.
func (h *Handler) OnData(c *loop.Conn, in []byte) int {
	cs := c.Layer().(*conn)
	switch cs.state {
	case stHello:
		switch scanHello(in, h.opt.MaxHelloSize) {
		case helloPartial:
			return 0 // the loop keeps it (bounded by MaxInputBuffered)
		case helloNotTLS, helloTooLarge:
			cs.refuse(ErrNotTLS)
			return len(in)
		}
		if cs.p.feed(in) < len(in) { // MaxHandshakeBytes >= MaxHelloSize + headers
			cs.refuse(ErrNotTLS)
			return len(in)
		}
		cs.state = stHandshake
		if !h.pool.submit(cs) {
			cs.refuse(ErrBusy)
		}
		return len(in)
	case stHandshake:
		n := cs.p.feed(in)
		if n < len(in) {
			// A client sends application data right behind its
			// Finished, before the worker is done: it waits in the
			// loop's input with reading paused, and comes back
			// through OnData after handshakeDone resumes reading. A
			// handshake that truly needs more stalls into the timeout.
			cs.paused = true
			c.PauseRead()
		}
		return n
	case stOpen:
		return cs.recv(in)
	}
	return len(in)
}

// handshake runs on a worker goroutine.
func (cs *conn) handshake() {
	if cs.p.isClosed() {
		return // closed while queued (timeout, shutdown): skip the work
	}
	cs.p.acquire()
	cs.err = cs.tc.Handshake()
	cs.p.release()
	if cs.err != nil {
		// Counted here: the peer's close after our alert can end the
		// connection before handshakeDone runs.
		cs.h.stats.Failed.Add(1)
	}
	// The closure is made once per handshake; Execute drops it if the
	// connection closed meanwhile (OnClose woke us through the pipe).
	_ = cs.c.Execute(func(*loop.Conn) { cs.handshakeDone() })
}

// handshakeDone runs on the loop: the worker is finished with the
// tls.Conn, records are processed here from now on.
func (cs *conn) handshakeDone() {
	if cs.state != stHandshake {
		return
	}
	cs.timer.Stop()
	cs.p.toRecords()
	if cs.paused {
		cs.paused = false
		c := cs.c
		defer c.ResumeRead() // after the state is settled
	}
	h, c := cs.h, cs.c
	if cs.err != nil {
		cs.hsErr = cs.err
		cs.state = stDone
		_ = c.Close() // the alert crypto/tls queued goes out first
		return
	}
	cs.state = stOpen
	cs.secure = true
	if h.opt.Verify != nil {
		st := cs.tc.ConnectionState()
		if err := h.opt.Verify(c, &st); err != nil {
			h.stats.Rejected.Add(1)
			_ = c.Close()
			cs.state = stDone
			return
		}
	}
	h.stats.Handshakes.Add(1)
	cs.opened = true
	h.inner.OnOpen(c)
	if !c.Closed() {
		cs.drain = true
		cs.recv(nil) // records that came with the client's Finished
	}
}

// recv decrypts what fits into the plaintext buffer, hands it to the
// inner handler, and returns how much of in crypto/tls took.
func (cs *conn) recv(in []byte) int {
	c := cs.c
	cs.p.present(in)
	var rerr error
	for !c.Closed() && rerr == nil {
		if cs.plain == nil {
			cs.plain = c.Loop().Pool().Get(cs.h.opt.PlainBufferSize)
		}
		got := false
		// Read only with room for a whole record's plaintext, so
		// crypto/tls keeps none back, and only when there is input for
		// it (pipe.readRecords); after the handshake, drain once
		// whatever crypto/tls read ahead.
		for cs.plainN+maxPlaintext <= len(cs.plain) && (cs.drain || cs.p.hasInput()) {
			n, err := cs.tc.Read(cs.plain[cs.plainN:])
			cs.plainN += n
			got = got || n > 0
			if err != nil {
				cs.drain = false
				if err != errWouldBlock {
					rerr = err
				}
				break
			}
		}
		fed := false
		if cs.plainN > 0 {
			k := cs.h.inner.OnData(c, cs.plain[:cs.plainN])
			if k > 0 {
				k = min(k, cs.plainN)
				copy(cs.plain, cs.plain[k:cs.plainN])
				cs.plainN -= k
				fed = true
			}
		}
		if !got && !fed {
			break
		}
	}
	if cs.plainN == 0 && cs.plain != nil {
		c.Loop().Pool().Put(cs.plain)
		cs.plain = nil
	}
	taken := cs.p.taken
	cs.p.present(nil)
	if rerr != nil {
		cs.readFailed(rerr)
		return len(in)
	}
	return taken
}

// readFailed ends the connection after a record error or close_notify.
func (cs *conn) readFailed(err error) {
	cs.state = stDone
	if !errors.Is(err, io.EOF) {
		// crypto/tls queued an alert (bad_record_mac, unexpected_message
		// for a renegotiation attempt, ...): send it, then close. RFC
		// 9113, Section 9.2.1: renegotiation is a connection error.
		cs.broken = true
	}
	_ = cs.c.Close()
}

// OnWritable implements loop.Handler.
func (h *Handler) OnWritable(c *loop.Conn) {
	cs := c.Layer().(*conn)
	if cs.state != stOpen {
		return
	}
	h.inner.OnWritable(c)
	if cs.plainN > 0 && !c.Closed() {
		cs.recv(nil) // plaintext the inner handler left while blocked
	}
}

// OnTimer implements loop.Handler: the handshake deadline, or the inner
// handler's timers.
func (h *Handler) OnTimer(c *loop.Conn, t *loop.Timer) {
	cs := c.Layer().(*conn)
	if t == &cs.timer {
		if cs.state == stHello || cs.state == stHandshake {
			h.stats.Timeouts.Add(1)
			cs.state = stDone
			_ = c.Abort(ErrHandshakeTimeout)
		}
		return
	}
	if cs.state == stOpen {
		h.inner.OnTimer(c, t)
	}
}

// OnShutdown implements loop.Handler: connections still in the handshake
// close; open ones are the inner handler's to finish.
func (h *Handler) OnShutdown(c *loop.Conn) {
	cs := c.Layer().(*conn)
	if cs.state == stOpen {
		h.inner.OnShutdown(c)
		return
	}
	_ = c.Close()
}

// OnClose implements loop.Handler.
func (h *Handler) OnClose(c *loop.Conn, err error) {
	cs, _ := c.Layer().(*conn)
	if cs == nil { // a failed dial never opened
		if h.client {
			h.inner.OnClose(c, err)
		}
		return
	}
	cs.p.close() // a worker blocked in Read gives up
	cs.releaseStage(c)
	if cs.plain != nil {
		c.Loop().Pool().Put(cs.plain)
		cs.plain, cs.plainN = nil, 0
	}
	switch {
	case cs.opened:
		h.inner.OnClose(c, err)
	case h.client:
		// A client's inner handler hears of a failed handshake as of a
		// failed dial: OnClose without OnOpen. The error matches
		// ErrHandshakeFailed and wraps the cause: crypto/tls's error if
		// the worker finished first, else the connection's (the peer's
		// alert and close can overtake the worker's report).
		cause := cs.hsErr
		if cause == nil {
			cause = err
		}
		if cause == nil {
			err = ErrHandshakeFailed
		} else {
			err = fmt.Errorf("%w: %w", ErrHandshakeFailed, cause)
		}
		h.inner.OnClose(c, err)
	}
}
