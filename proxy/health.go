package proxy

import (
	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// Active health checks run on loop timers. Every loop's worker wakes each
// HealthInterval; for each backend, the loop that advances the backend's
// shared nextProbe deadline runs the check, so a backend is checked once
// per interval however many loops there are.
//
// A check is, by what is at hand: a PING on an open connection (answered
// within HealthTimeout), a new connection when none is open (up once TCP
// connects and the session starts), or with HealthPath a GET on a
// connection that must answer below 500.
func (w *worker) onHealthTimer(*loop.Timer) {
	px := w.px
	now := loop.Now()
	timeout := int64(px.opt.HealthTimeout)
	for _, b := range px.backends {
		bp := b.pool(w)
		for _, bc := range bp.conns {
			if bc.probeAt != 0 && now-bc.probeAt > timeout {
				// No answer: the backend hangs. Out of rotation, and the
				// connection goes (its requests get 502).
				b.setUp(false)
				bc.probeAt = 0
				bc.goaway = true
				_ = bc.c.Abort(errHealthTimeout)
			}
		}
		next := b.nextProbe.Load()
		if now < next || !b.nextProbe.CompareAndSwap(next, now+int64(px.opt.HealthInterval)) {
			continue
		}
		w.check(bp)
	}
	w.flushAll()
	w.health.Reset(px.opt.HealthInterval)
}

type healthError struct{}

func (healthError) Error() string { return "proxy: health check timed out" }

var errHealthTimeout error = healthError{}

func (w *worker) check(bp *backendPool) {
	var bc *backConn
	for _, c := range bp.conns {
		if c.usable() && c.probeAt == 0 {
			bc = c
			break
		}
	}
	if bc == nil {
		if bp.dialing == 0 {
			bp.dial(true) // OnOpen marks it up, dialFailed down
		}
		return
	}
	if w.px.opt.HealthPath != "" {
		w.probeRequest(bc)
		return
	}
	if bc.s.SubmitPing(h2.FlagNone, &healthPing) == nil {
		bc.probeAt = loop.Now()
		bc.mark()
	}
}

var (
	nameMethod    = []byte(":method")
	nameScheme    = []byte(":scheme")
	nameAuthority = []byte(":authority")
	namePath      = []byte(":path")
	valueGET      = []byte("GET")
	valueHTTP     = []byte("http")
)

// probeRequest sends the HealthPath request on bc.
func (w *worker) probeRequest(bc *backConn) {
	p := w.newPair()
	p.flags |= pfProbe | pfNoBody | pfReqEnd | pfFrontClosed | pfBackClosed
	p.be = bc.pool.be
	p.hdr.add(nameMethod, valueGET)
	p.hdr.add(nameScheme, valueHTTP)
	p.hdr.add(nameAuthority, []byte(p.be.addr))
	p.hdr.add(namePath, []byte(w.px.opt.HealthPath))
	p.hdr.add(nameVia, w.px.via)
	if !bc.request(p) {
		w.freePair(p)
		return
	}
	bc.probeAt = loop.Now()
}
