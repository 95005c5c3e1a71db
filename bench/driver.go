package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// A Driver generates one mode's load. Run sets up the run's shared state
// (a driver is made once per run); RunWorker then drives one worker's
// clients.
//
// The contract every driver keeps, and the tests check:
//   - each client keeps up to Config.StreamsPerClient requests in flight
//     and issues no more than its budget;
//   - a response is counted (Recorder.Done) only when its status was
//     parsed and all its body bytes arrived;
//   - a request without a complete response within RequestTimeout is
//     recorded as TimedOut; a failed connection fails its in-flight
//     requests (Errored) and, in -n mode, abandons the rest of the
//     client's budget (Recorder.Abandoned) as h2load does; in duration
//     mode the client dials again after a pause;
//   - when ctx is done RunWorker returns promptly (within a connect or
//     request timeout at most); requests still in flight stay
//     started-but-not-done;
//   - a recorder is used by one goroutine at a time.
type Driver interface {
	RunWorker(ctx context.Context, w *Worker) error
}

// NewDriverFunc makes the driver of one run. cfg has its defaults applied.
type NewDriverFunc func(cfg *Config, t Target) (Driver, error)

var registry = struct {
	sync.Mutex
	m   map[Mode]NewDriverFunc
	why map[Mode]string // modes registered as not available yet
}{m: map[Mode]NewDriverFunc{}, why: map[Mode]string{}}

// Register makes a mode available to Run. Adding a mode is one call to
// Register from an init function in the file that implements it.
func Register(m Mode, f NewDriverFunc) {
	registry.Lock()
	defer registry.Unlock()
	registry.m[m] = f
	delete(registry.why, m)
}

// Available returns nil if mode m can run, or one of: ErrUnknownMode;
// ErrNotAvailable — the mode is registered but its transport is not built
// yet (the error says what it waits for).
func Available(m Mode) error {
	registry.Lock()
	defer registry.Unlock()
	if why, ok := registry.why[m]; ok {
		return fmt.Errorf("%w: %s: %s", ErrNotAvailable, m, why)
	}
	if _, ok := registry.m[m]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownMode, m)
	}
	return nil
}

func lookupDriver(m Mode) (NewDriverFunc, bool) {
	registry.Lock()
	defer registry.Unlock()
	f, ok := registry.m[m]
	return f, ok
}

// Modes lists the registered modes, sorted.
func Modes() []Mode {
	registry.Lock()
	defer registry.Unlock()
	ms := make([]Mode, 0, len(registry.m))
	for m := range registry.m {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i] < ms[j] })
	return ms
}

// unavailable registers a mode whose transport is not built yet, so
// asking for it names the reason instead of "unknown mode".
func unavailable(m Mode, why string) {
	Register(m, func(*Config, Target) (Driver, error) { return nil, Available(m) })
	registry.Lock()
	registry.why[m] = why
	registry.Unlock()
}

// Worker is one thread's share of a run (h2load -t): a set of clients and
// the recorders they write into.
type Worker struct {
	ID     int
	Config *Config // defaults applied; read-only
	Target Target
	// Budgets holds each client's request budget; -1 means unlimited
	// (duration mode). len(Budgets) is the number of clients.
	Budgets []int64
	// Start is when the run began; From when the measured window begins
	// (after the warm-up); Until when it ends in duration mode (else zero).
	Start, From, Until time.Time

	run *run
}

// NewRecorder returns a recorder for one goroutine (an event loop, or a
// client goroutine). The run merges it into the report at the end.
func (w *Worker) NewRecorder() *Recorder {
	rec := newRecorder(w.From, w.run.tl)
	rec.until = w.Until
	w.run.mu.Lock()
	w.run.recs = append(w.run.recs, rec)
	w.run.mu.Unlock()
	return rec
}

// Pacer returns the rate limiter of one client: Config.Rate shared evenly
// over all clients. A zero Pacer never waits.
func (w *Worker) Pacer() Pacer {
	if w.Config.Rate <= 0 {
		return Pacer{}
	}
	per := w.Config.Rate / float64(w.Config.Clients)
	return Pacer{interval: time.Duration(float64(time.Second) / per)}
}

// Pacer spaces one client's requests to a fixed interval. A client that
// fell behind (a late timer, a busy machine) catches up at most
// maxCatchUp of schedule, so a long stall is not followed by a burst.
type Pacer struct {
	interval time.Duration
	next     time.Time
}

// Wait returns 0 and takes a slot when a request may start at now, or how
// long to wait before asking again.
func (p *Pacer) Wait(now time.Time) time.Duration {
	if p.interval == 0 {
		return 0
	}
	if p.next.IsZero() {
		p.next = now
	}
	if floor := now.Add(-max(p.interval, maxCatchUp)); p.next.Before(floor) {
		p.next = floor
	}
	if now.Before(p.next) {
		return p.next.Sub(now)
	}
	p.next = p.next.Add(p.interval)
	return 0
}

// maxCatchUp bounds how much of its schedule a late Pacer makes up.
const maxCatchUp = 100 * time.Millisecond

// splitBudgets gives each of c clients its share of n requests, the first
// n%c clients one more, as h2load does; n == 0 means unlimited.
func splitBudgets(n int64, c int) []int64 {
	b := make([]int64, c)
	for i := range b {
		if n == 0 {
			b[i] = -1
			continue
		}
		b[i] = n / int64(c)
		if int64(i) < n%int64(c) {
			b[i]++
		}
	}
	return b
}
