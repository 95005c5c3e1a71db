package bench

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ngloop/ngloop/loop"
)

// clientSet is what the engine drivers' workers share between their
// clients: one client engine with one loop (as each h2load thread runs one
// event loop, so the worker's Recorder is written from that loop only),
// the count of clients still running, pending redials, and the recorder
// for dial failures.
type clientSet struct {
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
	redials  map[any]*time.Timer
}

// startClientSet makes and starts the worker's client engine; setup, when
// not nil, runs before Start (listeners and UDP endpoints are bound then).
func startClientSet(ctx context.Context, w *Worker, setup func(*loop.Engine) error) (*clientSet, error) {
	eng, err := loop.NewEngine(loop.Options{Loops: 1, DialTimeout: w.Config.ConnectTimeout})
	if err != nil {
		return nil, err
	}
	if setup != nil {
		if err := setup(eng); err != nil {
			return nil, err
		}
	}
	if err := eng.Start(); err != nil {
		return nil, err
	}
	s := &clientSet{eng: eng, ctx: ctx, rec: w.NewRecorder(), failRec: w.NewRecorder(),
		done: make(chan struct{}), redials: map[any]*time.Timer{}}
	s.left.Store(int64(len(w.Budgets)))
	if len(w.Budgets) == 0 {
		close(s.done)
	}
	return s, nil
}

// over reports that the run ended: closes and errors are no longer
// failures. It reads one atomic (it runs once per response); wait sets
// stopping as soon as ctx is done, before any connection is closed by us.
func (s *clientSet) over() bool { return s.stopping.Load() }

// finish marks one client done.
func (s *clientSet) finish() {
	if s.left.Add(-1) == 0 {
		close(s.done)
	}
}

// dial runs dialFn unless the run is over; a client whose dial cannot
// start (the engine stopped) is finished.
func (s *clientSet) dial(dialFn func() error) {
	if s.over() || s.ctx.Err() != nil {
		s.finish()
		return
	}
	if err := dialFn(); err != nil {
		s.finish()
	}
}

// redial dials again after pause (duration mode, after a lost connection).
func (s *clientSet) redial(key any, pause time.Duration, dialFn func() error) {
	s.timersMu.Lock()
	defer s.timersMu.Unlock()
	if s.stopping.Load() {
		s.finish()
		return
	}
	s.redials[key] = time.AfterFunc(pause, func() {
		s.timersMu.Lock()
		delete(s.redials, key)
		s.timersMu.Unlock()
		s.dial(dialFn)
	})
}

// dialFailed records a failed dial; it runs on the dialing goroutine.
// fail records what the client loses (its abandoned budget).
func (s *clientSet) dialFailed(err error, fail func(r *Recorder)) {
	if s.over() || s.ctx.Err() != nil { // a dial cancelled by the run's end
		return
	}
	s.failMu.Lock()
	defer s.failMu.Unlock()
	s.failRec.ConnectFailed()
	s.failRec.Error(err)
	fail(s.failRec)
}

// wait blocks until every client finished or ctx is done, then marks the
// run over and cancels pending redials.
func (s *clientSet) wait() {
	select {
	case <-s.done:
	case <-s.ctx.Done():
	}
	s.stopping.Store(true)
	s.timersMu.Lock()
	for _, t := range s.redials {
		t.Stop()
	}
	s.timersMu.Unlock()
}

// stop stops the engine: open connections get OnShutdown, and once Stop
// returns no callback runs, so the recorders are quiet. Connections that
// outlive the bound are closed by the engine (not an error here).
func (s *clientSet) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.eng.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// armTimer keeps t armed at or before the earlier of due and paceAt (zero
// times are absent). A timer already set sooner is left alone: the oldest
// request's deadline only moves later, so a timer that fires early re-arms
// once per RequestTimeout instead of being reset on every response.
func armTimer(t *loop.Timer, now, due, paceAt time.Time) {
	if !paceAt.IsZero() && (due.IsZero() || paceAt.Before(due)) {
		due = paceAt
	}
	if due.IsZero() {
		return
	}
	at := loop.Now() + int64(due.Sub(now))
	if t.Armed() && t.Deadline() <= at {
		return
	}
	t.ResetAt(at)
}
