package bench

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
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

// echoWorker is one worker's engine and shared state.
type echoWorker struct {
	d   *loopEcho
	w   *Worker
	eng *loop.Engine
	ctx context.Context
	rec *Recorder // written on the loop goroutine only

	// Dial failures are reported on the dialing goroutine, not the loop,
	// so they go to their own recorder under a lock (failure path only).
	failMu  sync.Mutex
	failRec *Recorder

	stopping atomic.Bool   // the run is over: closes are not failures
	left     atomic.Int64  // clients not finished
	done     chan struct{} // closed when left reaches 0
	timersMu sync.Mutex
	redials  map[*echoConn]*time.Timer
}

func (d *loopEcho) RunWorker(ctx context.Context, w *Worker) error {
	eng, err := loop.NewEngine(loop.Options{
		Loops:         1,
		LoadBalancing: loop.LeastConnections,
		DialTimeout:   d.cfg.ConnectTimeout,
	})
	if err != nil {
		return err
	}
	if err := eng.Start(); err != nil {
		return err
	}
	ew := &echoWorker{
		d: d, w: w, eng: eng, ctx: ctx,
		rec: w.NewRecorder(), failRec: w.NewRecorder(),
		done: make(chan struct{}), redials: map[*echoConn]*time.Timer{},
	}
	ew.left.Store(int64(len(w.Budgets)))
	if len(w.Budgets) == 0 {
		close(ew.done)
	}
	clients := make([]*echoConn, len(w.Budgets))
	for i, b := range w.Budgets {
		c := &echoConn{ew: ew, pacer: w.Pacer(), pause: 50 * time.Millisecond}
		c.ec = newEchoClient(ew.rec, d.cfg.Body, d.cfg.StreamsPerClient, b)
		clients[i] = c
		ew.dial(c)
	}
	select {
	case <-ew.done:
	case <-ctx.Done():
	}
	ew.stopping.Store(true)
	ew.timersMu.Lock()
	for _, t := range ew.redials {
		t.Stop()
	}
	ew.timersMu.Unlock()
	// Stop gives every open connection OnShutdown (which aborts it) and
	// returns once the loop is gone; after that nothing touches ew.rec.
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = eng.Stop(sctx)
	for _, c := range clients {
		ew.rec.ClientFinished(c.ec.ok)
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

func (ew *echoWorker) finish() {
	if ew.left.Add(-1) == 0 {
		close(ew.done)
	}
}

func (ew *echoWorker) dial(c *echoConn) {
	if ew.stopping.Load() || ew.ctx.Err() != nil {
		ew.finish()
		return
	}
	c.dialStart = time.Now()
	if err := ew.eng.Dial(ew.ctx, ew.d.addr, c, nil); err != nil {
		ew.finish() // the engine stopped
	}
}

// echoConn is one client: its echo bookkeeping and the connection it is on.
// Its methods run on the worker's loop, except OnClose after a failed dial.
type echoConn struct {
	loop.BaseHandler
	ew        *echoWorker
	ec        *echoClient
	pacer     Pacer
	timer     loop.Timer
	timerOn   bool
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
	over := ew.stopping.Load() || ew.ctx.Err() != nil
	switch {
	case over:
		// The run ended: requests in flight stay started, not done.
	case conn.Loop() == nil:
		// The dial failed; this runs on the dialing goroutine.
		ew.failMu.Lock()
		c.ec.rec = ew.failRec
		ew.failRec.ConnectFailed()
		ew.failRec.Error(err)
		c.ec.fail(now, Errored, abandon)
		c.ec.rec = ew.rec
		ew.failMu.Unlock()
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
	ew.timersMu.Lock()
	defer ew.timersMu.Unlock()
	if ew.stopping.Load() {
		ew.finish()
		return
	}
	ew.redials[c] = time.AfterFunc(p, func() {
		ew.timersMu.Lock()
		delete(ew.redials, c)
		ew.timersMu.Unlock()
		ew.dial(c)
	})
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

// arm keeps the timer at or before the next deadline. The oldest request's
// deadline only moves later, so a timer that fires early re-arms itself
// once per RequestTimeout instead of on every response.
func (c *echoConn) arm(now, paceAt time.Time) {
	var due time.Time
	if start, ok := c.ec.oldest(); ok {
		due = start.Add(c.ew.d.cfg.RequestTimeout)
	}
	if !paceAt.IsZero() && (due.IsZero() || paceAt.Before(due)) {
		due = paceAt
	}
	if due.IsZero() {
		return
	}
	at := loop.Now() + int64(due.Sub(now))
	if c.timer.Armed() && c.timer.Deadline() <= at {
		return
	}
	c.timer.ResetAt(at)
}
