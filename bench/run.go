package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// run is the state one Run shares with its workers.
type run struct {
	mu   sync.Mutex
	recs []*Recorder
	tl   *timeline
}

// Run generates the load cfg describes and returns its report. It returns
// when every client has spent its budget, when the duration is over, or
// when ctx is done (Ctrl-C): then the report holds what was measured so far
// and has Interrupted set, and the error is nil, because a partial report
// is a result. Run returns a nil report and one of Config.Validate's errors
// for a bad Config, or the driver's error (ErrNotAvailable for a mode whose
// transport is not built yet).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	t, _ := ParseTarget(c.Target) // Validate parsed it
	newDriver, _ := lookupDriver(c.Mode)
	drv, err := newDriver(&c, t)
	if err != nil {
		return nil, err
	}

	start := time.Now()
	from := start.Add(c.WarmUp)
	rctx, cancel := context.WithCancel(ctx)
	if c.Duration > 0 {
		rctx, cancel = context.WithDeadline(ctx, from.Add(c.Duration))
	}
	defer cancel()

	r := &run{tl: &timeline{max: c.TimelineSeconds}}
	workers := makeWorkers(&c, t, start, from, r)

	stopProgress := startProgress(&c, r, from)
	var wg sync.WaitGroup
	errs := make([]error, len(workers))
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = drv.RunWorker(rctx, w)
		}()
	}
	wg.Wait()
	end := time.Now()
	stopProgress()

	rep := r.report(&c, from, end)
	rep.Interrupted = ctx.Err() != nil
	if err := errors.Join(errs...); err != nil {
		return rep, err
	}
	return rep, nil
}

func makeWorkers(c *Config, t Target, start, from time.Time, r *run) []*Worker {
	budgets := splitBudgets(c.Requests, c.Clients)
	ws := make([]*Worker, c.Threads)
	for i := range ws {
		ws[i] = &Worker{ID: i, Config: c, Target: t, Start: start, From: from, run: r}
		if c.Duration > 0 {
			ws[i].Until = from.Add(c.Duration)
		}
	}
	// Clients go round-robin over the workers, as h2load spreads them over threads.
	for i, b := range budgets {
		w := ws[i%len(ws)]
		w.Budgets = append(w.Budgets, b)
	}
	return ws
}

// report merges the quiescent recorders into the Report.
func (r *run) report(c *Config, from, end time.Time) *Report {
	rep := newReport()
	rep.Mode, rep.Target = c.Mode, c.Target
	rep.Clients, rep.Streams, rep.Threads, rep.Runs = c.Clients, c.StreamsPerClient, c.Threads, 1
	rep.Requests.Total = c.Requests
	rep.Start = from
	if c.Duration == 0 {
		// -n mode: the run is over when the last request ended, as in
		// h2load, not when the engines finished stopping.
		var last time.Time
		for _, rec := range r.recs {
			if rec.last.After(last) {
				last = rec.last
			}
		}
		if !last.IsZero() && last.Before(end) {
			end = last
		}
	}
	rep.Elapsed = max(end.Sub(from), 0)
	if c.Duration > 0 && rep.Elapsed > c.Duration {
		rep.Elapsed = c.Duration // drivers take a moment to notice the deadline
	}
	for _, rec := range r.recs {
		rec.flushTick()
		rep.addRecorder(rec)
		for msg, n := range rec.errs {
			if rep.Errors == nil {
				rep.Errors = map[string]int64{}
			}
			rep.Errors[msg] += n
		}
	}
	for _, s := range r.tl.secs {
		if s != nil {
			rep.Timeline = append(rep.Timeline, *s)
		}
	}
	return rep
}

// progress totals the recorders' counters; safe while the run goes on.
func (r *run) progress() (started, done, ok, failed, bytesIn int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.recs {
		started += rec.started.Load()
		done += rec.done.Load()
		ok += rec.succeeded.Load()
		failed += rec.failed.Load()
		bytesIn += rec.bytesIn.Load()
	}
	return
}

// startProgress writes the live progress line until the returned func is
// called; that func clears the line.
func startProgress(c *Config, r *run, from time.Time) (stop func()) {
	if c.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(c.ProgressInterval)
		defer tk.Stop()
		var lastOK int64
		last := time.Now()
		for {
			select {
			case <-done:
				fmt.Fprint(c.Progress, "\r\033[K")
				return
			case now := <-tk.C:
				started, fin, ok, failed, in := r.progress()
				rate := float64(ok-lastOK) / now.Sub(last).Seconds()
				lastOK, last = ok, now
				el := now.Sub(from)
				phase := ""
				if el < 0 {
					phase, el = " warm-up", -el
				}
				pct := ""
				if c.Requests > 0 {
					pct = fmt.Sprintf(" %3.0f%%", 100*float64(fin)/float64(c.Requests))
				}
				fmt.Fprintf(c.Progress, "\r\033[K[%6.1fs%s]%s started %d, done %d (%d ok, %d failed), %.0f req/s, %s in",
					el.Seconds(), phase, pct, started, fin, ok, failed, rate, FormatBytes(float64(in)))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
