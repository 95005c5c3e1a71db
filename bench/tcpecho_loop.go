package bench

import (
	"context"
	"errors"
	"time"

	"github.com/ngloop/ngloop/loop"
)

// loopEcho is the tcp-echo driver on the ngloop engine. Each worker runs
// its own client engine with one event loop, as each h2load thread runs
// its own event loop: every connection callback of a worker runs on that
// loop's goroutine, so the worker's one Recorder is written without locks.
// A request is a message written with Conn.Write; when the output ring is
// at its high-water mark (loop.ErrWouldBlock) the client stops issuing
// and finishes the message on OnWritable.
type loopEcho struct {
	cfg  *Config
	addr string
}

func newLoopEcho(cfg *Config, t Target) (Driver, error) {
	return &loopEcho{cfg: cfg, addr: t.Addr}, nil
}

// echoWorker is one worker's engine and clients.
type echoWorker struct {
	*clientSet
	d *loopEcho
}

func (d *loopEcho) RunWorker(ctx context.Context, w *Worker) error {
	cs, err := startClientSet(ctx, w, nil)
	if err != nil {
		return err
	}
	ew := &echoWorker{clientSet: cs, d: d}
	clients := make([]*echoConn, len(w.Budgets))
	for i, b := range w.Budgets {
		c := &echoConn{ew: ew, pacer: w.Pacer(), pause: 50 * time.Millisecond}
		c.ec = newEchoClient(ew.rec, d.cfg.Body, d.cfg.StreamsPerClient, b)
		clients[i] = c
		ew.dial(c.dialFn)
	}
	ew.wait()
	// OnShutdown aborts what is open; requests in flight stay started.
	err = ew.stop()
	for _, c := range clients {
		ew.rec.ClientFinished(c.ec.ok, c.ec.last)
	}
	return err
}

func (c *echoConn) dialFn() error {
	c.dialStart = time.Now()
	return c.ew.eng.Dial(c.ew.ctx, c.ew.d.addr, c, nil)
}

// echoConn is one client: its echo bookkeeping and the connection it is on.
// Its methods run on the worker's loop, except OnClose after a failed dial.
type echoConn struct {
	loop.BaseHandler
	ew        *echoWorker
	ec        *echoClient
	pacer     Pacer
	timer     loop.Timer
	dialStart time.Time
	pending   []byte // unwritten tail of the last message issued
	blocked   bool   // waiting for OnWritable
	failed    bool   // in-flight requests already failed
	pause     time.Duration
}

func (c *echoConn) OnOpen(conn *loop.Conn) {
	now := time.Now()
	c.ew.rec.ConnectDone(c.dialStart, now)
	c.pending, c.blocked, c.failed = nil, false, false
	conn.InitTimer(&c.timer) // a timer is bound to one connection; rebind on each
	c.pump(conn, now)
}

func (c *echoConn) OnData(conn *loop.Conn, in []byte) int {
	now := time.Now()
	if err := c.ec.recv(now, in); err != nil {
		c.abort(conn, now, Errored, err)
		return len(in)
	}
	c.pump(conn, now)
	return len(in)
}

func (c *echoConn) OnWritable(conn *loop.Conn) {
	c.blocked = false
	c.pump(conn, time.Now())
}

func (c *echoConn) OnTimer(conn *loop.Conn, _ *loop.Timer) {
	now := time.Now()
	if start, ok := c.ec.oldest(); ok && now.Sub(start) >= c.ew.d.cfg.RequestTimeout {
		c.abort(conn, now, TimedOut, ErrRequestTimeout)
		return
	}
	c.pump(conn, now)
}

// OnShutdown: the run is over. Requests in flight stay started, not done.
func (c *echoConn) OnShutdown(conn *loop.Conn) { _ = conn.Abort(nil) }

// ErrRequestTimeout is noted in a report's errors when a request had no
// complete response within Config.RequestTimeout.
var ErrRequestTimeout = errors.New("bench: request timed out")

// errPeerClosed is noted when the target closes a connection cleanly
// while requests are in flight or due.
var errPeerClosed = errors.New("bench: connection closed by peer")

func (c *echoConn) OnClose(conn *loop.Conn, err error) {
	ew := c.ew
	now := time.Now()
	abandon := c.ec.budget >= 0 // -n mode: a lost connection ends the client
	over := ew.over()
	switch {
	case over:
		// The run ended: requests in flight stay started, not done.
	case conn.Loop() == nil:
		// The dial failed; this runs on the dialing goroutine.
		ew.dialFailed(err, func(r *Recorder) {
			c.ec.rec = r
			c.ec.fail(now, Errored, abandon)
			c.ec.rec = ew.rec
		})
	case c.failed, c.ec.finished():
		// Already counted by abort, or closed by us after the last response.
	default:
		if err == nil {
			err = errPeerClosed
		}
		ew.rec.Error(err)
		c.ec.fail(now, Errored, abandon)
	}
	if over || abandon || c.ec.finished() {
		ew.finish()
		return
	}
	// Duration mode: dial again after a pause that doubles up to a second.
	p := c.pause
	c.pause = min(2*c.pause, time.Second)
	ew.redial(c, p, c.dialFn)
}

// abort fails what is in flight (and, in -n mode, the rest of the budget)
// and drops the connection.
func (c *echoConn) abort(conn *loop.Conn, now time.Time, why Failure, err error) {
	c.ew.rec.Error(err)
	c.ec.fail(now, why, c.ec.budget >= 0)
	c.failed = true
	_ = conn.Abort(err)
}

// pump writes the rest of a blocked message, issues requests while the
// window, the budget and the pacer allow, closes a client that is done,
// and arms the timer for the next deadline (request timeout or pacing).
func (c *echoConn) pump(conn *loop.Conn, now time.Time) {
	msg := c.ec.msg
	if len(c.pending) > 0 && !c.blocked {
		if !c.write(conn, now, c.pending) {
			return
		}
	}
	var paceAt time.Time
	for !c.blocked && c.ec.canIssue() {
		if wait := c.pacer.Wait(now); wait > 0 {
			paceAt = now.Add(wait)
			break
		}
		c.ec.issue(now)
		if !c.write(conn, now, msg) {
			return
		}
	}
	if c.ec.finished() {
		_ = conn.Close()
		return
	}
	c.arm(now, paceAt)
}

// write puts p (a message, or the unwritten tail of one) on the
// connection and keeps what did not fit in c.pending. It returns false
// when the connection is blocked or gone.
func (c *echoConn) write(conn *loop.Conn, now time.Time, p []byte) bool {
	n, err := conn.Write(p)
	c.ew.rec.BytesOut(now, n)
	c.pending = p[n:]
	switch {
	case err == nil:
		return true
	case errors.Is(err, loop.ErrWouldBlock):
		c.blocked = true
		c.arm(now, time.Time{})
		return false
	default:
		return false
	}
}

// arm keeps the timer at or before the oldest request's deadline or the
// next pacing slot.
func (c *echoConn) arm(now, paceAt time.Time) {
	var due time.Time
	if start, ok := c.ec.oldest(); ok {
		due = start.Add(c.ew.d.cfg.RequestTimeout)
	}
	armTimer(&c.timer, now, due, paceAt)
}
