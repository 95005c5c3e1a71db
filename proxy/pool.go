package proxy

import (
	"context"
	"sync/atomic"

	"github.com/ngloop/ngloop/h2"
)

// backend is one upstream, shared by every loop: its health and its
// requests in flight are atomics, everything else is per loop
// (backendPool).
type backend struct {
	idx         int
	addr        string
	up          atomic.Bool
	outstanding atomic.Int64
	nextProbe   atomic.Int64 // loop.Now of the next health check; the loop that moves it runs the check
	m           backendMetrics
}

func (b *backend) setUp(ok bool) {
	if b.up.Load() != ok {
		b.up.Store(ok)
	}
}

// pool returns b's pool on w.
func (b *backend) pool(w *worker) *backendPool { return w.pools[b.idx] }

// backendPool is one loop's connections to one backend. A request goes
// to the open connection with the fewest streams below the backend's
// SETTINGS_MAX_CONCURRENT_STREAMS; when every one is full a new one is
// dialed (up to MaxConnsPerBackend) and the request waits in a bounded
// queue.
type backendPool struct {
	w       *worker
	be      *backend
	conns   []*backConn
	dialing int

	head, tail *pair
	queued     int
}

// pick returns the connection to put a new stream on, or nil.
func (bp *backendPool) pick() *backConn {
	var best *backConn
	for _, bc := range bp.conns {
		if !bc.usable() {
			continue
		}
		// RFC 9113, Section 5.1.2: "Endpoints MUST NOT exceed the limit
		// set by their peer."
		if uint32(len(bc.pairs)) >= bc.s.RemoteSetting(h2.SettingsMaxConcurrentStreams) {
			continue
		}
		if best == nil || len(bc.pairs) < len(best.pairs) {
			best = bc
		}
	}
	return best
}

// submit sends p to this backend, now or once a connection has room.
func (bp *backendPool) submit(p *pair) {
	for {
		bc := bp.pick()
		if bc == nil {
			break
		}
		if bc.request(p) {
			return
		}
	}
	if bp.queued >= bp.w.px.opt.MaxPending {
		bp.w.fail(p, 503)
		return
	}
	bp.enqueue(p)
	if bp.dialing == 0 && bp.usableConns() < bp.w.px.opt.MaxConnsPerBackend {
		bp.dial(false)
	}
}

func (bp *backendPool) usableConns() int {
	n := 0
	for _, bc := range bp.conns {
		if bc.usable() {
			n++
		}
	}
	return n
}

func (bp *backendPool) enqueue(p *pair) {
	p.flags |= pfQueued
	p.nextPending = nil
	if bp.tail == nil {
		bp.head = p
	} else {
		bp.tail.nextPending = p
	}
	bp.tail = p
	bp.queued++
}

func (bp *backendPool) pop() *pair {
	p := bp.head
	if p == nil {
		return nil
	}
	bp.head = p.nextPending
	if bp.head == nil {
		bp.tail = nil
	}
	p.nextPending = nil
	p.flags &^= pfQueued
	bp.queued--
	return p
}

// unqueue takes out a request whose client went away while it waited.
func (bp *backendPool) unqueue(p *pair) {
	var prev *pair
	for q := bp.head; q != nil; prev, q = q, q.nextPending {
		if q != p {
			continue
		}
		if prev == nil {
			bp.head = q.nextPending
		} else {
			prev.nextPending = q.nextPending
		}
		if bp.tail == q {
			bp.tail = prev
		}
		q.nextPending = nil
		q.flags &^= pfQueued
		bp.queued--
		return
	}
}

// drain moves queued requests onto connections with room, and dials when
// requests wait and no usable connection is open or coming.
func (bp *backendPool) drain() {
	for bp.head != nil {
		bc := bp.pick()
		if bc == nil {
			break
		}
		p := bp.pop()
		if !bc.request(p) {
			bp.enqueue(p) // bc is now out; try the next one
		}
	}
	if bp.head != nil && bp.dialing == 0 && bp.usableConns() < bp.w.px.opt.MaxConnsPerBackend {
		bp.dial(false)
	}
}

// dial opens a connection to the backend on this loop.
func (bp *backendPool) dial(probe bool) {
	bc := &backConn{pool: bp, pairs: make([]*pair, 0, 16), probe: probe}
	bc.w, bc.self = bp.w, bc
	bp.dialing++
	if err := bp.w.l.Dial(context.Background(), bp.be.addr, backHandler{}, bc); err != nil {
		bp.dialing--
		bp.dialFailed(err)
	}
}

// dialFailed takes the backend out of rotation and sends the requests
// that waited for it elsewhere (or answers 502 when none is left).
func (bp *backendPool) dialFailed(error) {
	if bp.dialing > 0 {
		bp.dialing--
	}
	bp.be.setUp(false)
	if bp.usableConns() > 0 {
		bp.drain()
		return
	}
	for p := bp.pop(); p != nil; p = bp.pop() {
		if p.retries == 0 && !bp.w.px.stopping.Load() {
			p.retries++
			p.excluded = bp.be.idx
			bp.w.dispatch(p)
			continue
		}
		bp.w.fail(p, 502)
		p.done()
	}
}

func (bp *backendPool) remove(bc *backConn) {
	for i, c := range bp.conns {
		if c == bc {
			last := len(bp.conns) - 1
			bp.conns[i] = bp.conns[last]
			bp.conns[last] = nil
			bp.conns = bp.conns[:last]
			return
		}
	}
}

// closeIdleBackends ends the backend connections of a stopping proxy
// once no client is left on the loop.
func (w *worker) closeIdleBackends() {
	for _, bp := range w.pools {
		for _, bc := range bp.conns {
			if len(bc.pairs) == 0 {
				bc.shutdown()
			}
		}
	}
	w.flushAll()
}

// dispatch picks a backend for p and hands it to that backend's pool on
// this loop.
func (w *worker) dispatch(p *pair) {
	be := w.px.pick(p.excluded)
	if be == nil {
		w.fail(p, 503)
		return
	}
	p.be = be
	be.pool(w).submit(p)
}
