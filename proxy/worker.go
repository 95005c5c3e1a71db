package proxy

import (
	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// worker is the proxy's state on one loop: the backend pools of that loop
// (client connections are relayed only to backend connections of their
// own loop, so no request ever crosses goroutines and nothing needs a
// lock), the free pairs, and the sessions that have output to send when
// the current event ends.
type worker struct {
	px    *Proxy
	l     *loop.Loop
	pools []*backendPool // by backend index

	dirty  []flusher
	free   []*pair
	nva    []h2.NV
	fronts int // open client connections
	status [600][]byte

	reqProvider  h2.DataProvider
	respProvider h2.DataProvider

	health loop.Timer
	log    accessLog

	posted  bool   // runFlush is posted to the loop
	flushFn func() // runFlush, bound once
}

// flusher is a session with output to send: a client or a backend
// connection.
type flusher interface{ flush() }

func newWorker(px *Proxy, l *loop.Loop) *worker {
	w := &worker{px: px, l: l, nva: make([]h2.NV, 0, 32), dirty: make([]flusher, 0, 16)}
	w.flushFn = w.runFlush
	w.reqProvider.Read = readRequestBody
	w.respProvider.Read = readResponseBody
	w.pools = make([]*backendPool, len(px.backends))
	for i, b := range px.backends {
		w.pools[i] = &backendPool{w: w, be: b}
	}
	if px.opt.HealthInterval > 0 {
		w.health.Init(l, w.onHealthTimer)
		w.health.Reset(px.opt.HealthInterval)
	}
	w.log.init(w, px.opt.AccessLog)
	return w
}

// flushAll sends what every touched session has queued. Sending on one
// session can credit or resume the other side of a pair, which marks that
// session in turn; the loop runs until nothing is left.
func (w *worker) flushAll() {
	for i := 0; i < len(w.dirty); i++ {
		f := w.dirty[i]
		w.dirty[i] = nil
		f.flush()
	}
	w.dirty = w.dirty[:0]
}

// flushSoon sends what was queued once the loop has handled every event
// of the current poll batch: the requests of many clients read in one
// batch go to a backend in one writev, not one each.
func (w *worker) flushSoon() {
	if w.posted || len(w.dirty) == 0 {
		return
	}
	w.posted = true
	if w.l.Execute(w.flushFn) != nil {
		w.posted = false
		w.flushAll()
	}
}

func (w *worker) runFlush() {
	w.posted = false
	w.flushAll()
}

// sess is what client and backend connections share.
type sess struct {
	w       *worker
	self    flusher // the frontConn or backConn embedding this
	c       *loop.Conn
	s       *h2.Session
	blocked bool // Send hit loop.ErrWouldBlock; OnWritable resumes
	dirty   bool
	closed  bool
}

// sendTo is the h2 Send callback of both kinds of session: frames go into
// the connection's output ring; at its high-water mark the session is
// told to wait (loop.ErrWouldBlock → h2.ErrWouldBlock) until OnWritable.
func (x *sess) sendTo(b []byte) (int, error) {
	n, err := x.c.Write(b)
	switch err {
	case nil:
		return n, nil
	case loop.ErrWouldBlock:
		x.blocked = true
		if n > 0 {
			return n, nil
		}
		return 0, h2.ErrWouldBlock
	}
	return 0, err
}

// send runs the session's Send unless the socket is backed up, and
// reports whether the session still has work.
func (x *sess) send() bool {
	if x.s == nil || x.closed || x.c.Closed() {
		return false
	}
	if !x.blocked {
		if err := x.s.Send(); err != nil {
			_ = x.c.Abort(err)
			return false
		}
	}
	if !x.s.WantRead() && !x.s.WantWrite() {
		_ = x.c.Close()
		return false
	}
	return true
}

// mark queues the session to send when the current event's work is done.
func (x *sess) mark() {
	if x.dirty || x.closed {
		return
	}
	x.dirty = true
	x.w.dirty = append(x.w.dirty, x.self)
}
