package bench

import (
	"sync"
	"sync/atomic"
	"time"
)

// Failure says why a request failed without an HTTP-level answer.
type Failure uint8

const (
	// Errored: the connection failed, the stream was reset, or the
	// response was malformed (h2load's "errored").
	Errored Failure = iota
	// TimedOut: no complete response within Config.RequestTimeout.
	TimedOut
)

// maxStatus bounds the status-code table; HTTP status codes are three digits
// (RFC 9110, Section 15).
const maxStatus = 1000

// Recorder collects one worker's measurements. It belongs to one goroutine
// at a time (an event loop, or one client goroutine): nothing in it takes
// a lock or allocates per request. The counters are atomics only so the
// progress line can read them while the run goes on; only the owner writes.
// The run merges all recorders into the Report when the drivers return.
//
// Every method takes the request's start time: events of requests started
// before the measured window (warm-up) are dropped, as h2load does.
type Recorder struct {
	started, done, succeeded, failed, errored, timedOut atomic.Int64
	bytesIn, bytesOut, headerBytes, dataBytes           atomic.Int64
	connects, connectFails                              atomic.Int64

	status  [maxStatus]int64
	errs    map[string]int64
	clients []float64 // each finished client's req/s

	req, connect, ttfb *Histogram

	from  time.Time // start of the measured window
	until time.Time // its end in duration mode (zero: none)
	last  time.Time // when the last request ended (read once the run is over)
	tl    *timeline
	tick  tickState
}

func newRecorder(from time.Time, tl *timeline) *Recorder {
	return &Recorder{
		req: NewHistogram(), connect: NewHistogram(), ttfb: NewHistogram(),
		from: from, tl: tl,
		tick: tickState{sec: -1, lat: newHistogram(tickSigFigs)},
	}
}

func (r *Recorder) counts(start time.Time) bool { return !start.Before(r.from) }

// late reports an event after the measured window: responses that arrive
// while a duration run is being stopped are not counted, so the totals
// match Elapsed (those requests stay started, not done).
func (r *Recorder) late(now time.Time) bool { return !r.until.IsZero() && now.After(r.until) }

// ConnectDone records a connection that was established at now after
// dialing began at start. Connect times are kept during warm-up too: with
// a warm-up every connection is opened in it.
func (r *Recorder) ConnectDone(start, now time.Time) {
	r.connects.Add(1)
	r.connect.Record(now.Sub(start))
}

// ConnectFailed records a dial that failed or timed out.
func (r *Recorder) ConnectFailed() {
	r.connects.Add(1)
	r.connectFails.Add(1)
}

// Started records a request put on the wire (or handed to the session).
func (r *Recorder) Started(start time.Time) {
	if r.counts(start) {
		r.started.Add(1)
	}
}

// FirstByte records the first response byte of a request started at start.
func (r *Recorder) FirstByte(start, now time.Time) {
	if r.counts(start) && !r.late(now) {
		r.ttfb.Record(now.Sub(start))
	}
}

// Done records a complete response: its status was parsed (0 for protocols
// without a status, the echo modes) and all its body bytes arrived. 2xx and
// 3xx (and 0) are successes; other statuses are HTTP-level failures.
func (r *Recorder) Done(start, now time.Time, status int) {
	if !r.counts(start) || r.late(now) {
		return
	}
	lat := now.Sub(start)
	r.req.Record(lat)
	r.done.Add(1)
	ok := status == 0 || (status >= 200 && status < 400)
	if status > 0 && status < maxStatus {
		r.status[status]++
	}
	if ok {
		r.succeeded.Add(1)
	} else {
		r.failed.Add(1)
	}
	r.last = now
	r.tickAt(now)
	r.tick.done++
	if ok {
		r.tick.succeeded++
	} else {
		r.tick.failed++
	}
	r.tick.lat.Record(lat)
}

// Failed records a request that ended without a complete response.
func (r *Recorder) Failed(start, now time.Time, why Failure) {
	if !r.counts(start) || r.late(now) {
		return
	}
	r.done.Add(1)
	r.failed.Add(1)
	if why == TimedOut {
		r.timedOut.Add(1)
	} else {
		r.errored.Add(1)
	}
	r.last = now
	r.tickAt(now)
	r.tick.done++
	r.tick.failed++
}

// Abandoned records n requests of a client's budget that will never be
// sent because its connection failed: failed and errored, as h2load counts them.
func (r *Recorder) Abandoned(now time.Time, n int64) {
	if n <= 0 || now.Before(r.from) || r.late(now) {
		return
	}
	r.done.Add(n)
	r.failed.Add(n)
	r.errored.Add(n)
	r.last = now
	r.tickAt(now)
	r.tick.done += n
	r.tick.failed += n
}

// BytesIn records n bytes read from the network at now.
func (r *Recorder) BytesIn(now time.Time, n int) {
	if now.Before(r.from) || r.late(now) {
		return
	}
	r.bytesIn.Add(int64(n))
	r.tickAt(now)
	r.tick.bytesIn += int64(n)
}

// BytesOut records n bytes written to the network at now.
func (r *Recorder) BytesOut(now time.Time, n int) {
	if !now.Before(r.from) && !r.late(now) {
		r.bytesOut.Add(int64(n))
	}
}

// ResponseBytes splits received bytes into header and data (body) bytes
// for the h2load "traffic" line; modes without headers count only data.
func (r *Recorder) ResponseBytes(start, now time.Time, header, data int) {
	if r.counts(start) && !r.late(now) {
		r.headerBytes.Add(int64(header))
		r.dataBytes.Add(int64(data))
	}
}

// tickState is the current second of the timeline, kept in the recorder and
// handed to the shared timeline (under its lock) once a second.
type tickState struct {
	sec                              int64
	done, succeeded, failed, bytesIn int64
	lat                              *Histogram
}

func (r *Recorder) tickAt(now time.Time) {
	sec := int64(now.Sub(r.from) / time.Second)
	if sec != r.tick.sec {
		r.flushTick()
		r.tick.sec = sec
	}
}

// flushTick hands the current second to the shared timeline: one lock per
// recorder per second, never per request.
func (r *Recorder) flushTick() {
	t := &r.tick
	if t.sec >= 0 && (t.done != 0 || t.bytesIn != 0) {
		r.tl.add(t)
	}
	t.done, t.succeeded, t.failed, t.bytesIn = 0, 0, 0, 0
	t.lat.Reset()
}

// timeline is the per-second record shared by a run's recorders.
type timeline struct {
	mu   sync.Mutex
	secs []*Second
	max  int // seconds kept; later seconds are dropped (bounded memory)
}

func (tl *timeline) add(t *tickState) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if t.sec >= int64(tl.max) {
		return
	}
	for int64(len(tl.secs)) <= t.sec {
		tl.secs = append(tl.secs, nil)
	}
	s := tl.secs[t.sec]
	if s == nil {
		s = &Second{Index: int(t.sec), Latency: newHistogram(tickSigFigs)}
		tl.secs[t.sec] = s
	}
	s.Done += t.done
	s.Succeeded += t.succeeded
	s.Failed += t.failed
	s.BytesIn += t.bytesIn
	s.Latency.Merge(t.lat)
}

// ClientFinished records one client's request rate for h2load's
// per-client req/s line: the requests it completed successfully in the
// measured window over the time from the window's start to its last
// response (the window's end in duration mode). Call it once per client
// when the run is over (it may allocate).
func (r *Recorder) ClientFinished(succeeded int64, last time.Time) {
	end := last
	if !r.until.IsZero() {
		end = r.until
	}
	var rps float64
	if d := end.Sub(r.from); succeeded > 0 && d > 0 {
		rps = float64(succeeded) / d.Seconds()
	}
	r.clients = append(r.clients, rps)
}

// maxErrorKinds bounds the distinct error messages a recorder keeps.
const maxErrorKinds = 16

// Error notes why a connection or request failed, for the report's error
// list. It is for the failure path only (it may allocate); at most
// maxErrorKinds distinct messages are kept, the rest count as "(other)".
func (r *Recorder) Error(err error) {
	if err == nil {
		return
	}
	if r.errs == nil {
		r.errs = map[string]int64{}
	}
	msg := err.Error()
	if _, ok := r.errs[msg]; !ok && len(r.errs) >= maxErrorKinds {
		msg = "(other)"
	}
	r.errs[msg]++
}
