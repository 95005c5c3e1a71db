package bench

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Requests are the request counts, named and defined as h2load's.
type Requests struct {
	Total     int64 `json:"total"`     // requests the run was told to make (-n); 0 in duration mode
	Started   int64 `json:"started"`   // requests put on the wire
	Done      int64 `json:"done"`      // succeeded + failed
	Succeeded int64 `json:"succeeded"` // complete responses with status 2xx/3xx (or an echo)
	Failed    int64 `json:"failed"`    // everything done that did not succeed, HTTP failures included
	Errored   int64 `json:"errored"`   // failed without an HTTP answer: reset, connection lost, malformed
	TimedOut  int64 `json:"timeout"`   // failed by Config.RequestTimeout
}

// Traffic counts bytes on the wire. Header and Data split the response
// bytes of HTTP modes; in echo modes all of it is Data.
type Traffic struct {
	In     int64 `json:"in"`
	Out    int64 `json:"out"`
	Header int64 `json:"header"`
	Data   int64 `json:"data"`
}

// Connections counts dials.
type Connections struct {
	Attempted int64 `json:"attempted"`
	Failed    int64 `json:"failed"`
}

// Second is one second of the measured window, counted from its start.
type Second struct {
	Index     int        `json:"second"`
	Done      int64      `json:"done"`
	Succeeded int64      `json:"succeeded"`
	Failed    int64      `json:"failed"`
	BytesIn   int64      `json:"bytes_in"`
	Latency   *Histogram `json:"latency"` // request time of the responses completed in this second
}

// Report is the outcome of a run, or of several merged.
type Report struct {
	Mode    Mode   `json:"mode"`
	Target  string `json:"target"`
	Clients int    `json:"clients"`
	Streams int    `json:"streams_per_client"`
	Threads int    `json:"threads"`
	// Runs is how many reports were merged into this one (1 for a run).
	Runs int `json:"runs"`
	// Start is when the measured window began; Elapsed its length. For a
	// merged report Start is the earliest and Elapsed the longest window,
	// since split loads run side by side.
	Start   time.Time     `json:"start"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// Interrupted is set when the run was cancelled (Ctrl-C) before its end:
	// the counts are partial, and Started - Done requests were in flight.
	Interrupted bool `json:"interrupted,omitempty"`

	Requests    Requests      `json:"requests"`
	Status      map[int]int64 `json:"status_codes"`
	Traffic     Traffic       `json:"traffic"`
	Connections Connections   `json:"connections"`
	// RequestTime runs from a request's start to its complete response;
	// ConnectTime from dial to established; FirstByte from a request's
	// start to the first byte of its response (per request, where h2load
	// measures it once per connection).
	RequestTime *Histogram `json:"request_time"`
	ConnectTime *Histogram `json:"connect_time"`
	FirstByte   *Histogram `json:"time_to_first_byte"`
	Timeline    []Second   `json:"timeline"`
	// ClientRates holds each client's succeeded requests per second
	// (h2load's per-client "req/s" line).
	ClientRates []float64        `json:"client_rps"`
	Errors      map[string]int64 `json:"errors,omitempty"` // first errors seen, by message
}

func newReport() *Report {
	return &Report{
		Status:      map[int]int64{},
		RequestTime: NewHistogram(),
		ConnectTime: NewHistogram(),
		FirstByte:   NewHistogram(),
		Timeline:    []Second{},
	}
}

// RequestsPerSecond is succeeded requests per second of the measured window.
func (r *Report) RequestsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests.Succeeded) / r.Elapsed.Seconds()
}

// BytesPerSecond is received bytes per second of the measured window.
func (r *Report) BytesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Traffic.In) / r.Elapsed.Seconds()
}

// addRecorder folds one recorder in; the recorder must be quiescent.
func (r *Report) addRecorder(rec *Recorder) {
	q := &r.Requests
	q.Started += rec.started.Load()
	q.Done += rec.done.Load()
	q.Succeeded += rec.succeeded.Load()
	q.Failed += rec.failed.Load()
	q.Errored += rec.errored.Load()
	q.TimedOut += rec.timedOut.Load()
	r.Traffic.In += rec.bytesIn.Load()
	r.Traffic.Out += rec.bytesOut.Load()
	r.Traffic.Header += rec.headerBytes.Load()
	r.Traffic.Data += rec.dataBytes.Load()
	r.Connections.Attempted += rec.connects.Load()
	r.Connections.Failed += rec.connectFails.Load()
	for code, n := range rec.status {
		if n != 0 {
			r.Status[code] += n
		}
	}
	r.ClientRates = append(r.ClientRates, rec.clients...)
	r.RequestTime.Merge(rec.req)
	r.ConnectTime.Merge(rec.connect)
	r.FirstByte.Merge(rec.ttfb)
}

// ErrMergeMode is returned by Merge for reports of different modes.
var ErrMergeMode = errors.New("bench: cannot merge reports of different modes")

// Merge adds o into r, as if one run had made both loads side by side:
// counts and bytes add up, histograms merge bucket by bucket (so the merged
// percentiles are those of all samples), timelines add second by second,
// and the window is the longest of the two. It returns nil on success, or
// ErrMergeMode — the reports measured different modes.
func (r *Report) Merge(o *Report) error {
	if r.Mode != o.Mode {
		return fmt.Errorf("%w: %q and %q", ErrMergeMode, r.Mode, o.Mode)
	}
	if r.Target != o.Target {
		r.Target = "(merged)"
	}
	if r.Status == nil {
		r.Status = map[int]int64{}
	}
	r.Clients += o.Clients
	r.Threads += o.Threads
	if o.Streams > r.Streams {
		r.Streams = o.Streams
	}
	r.Runs += o.Runs
	if r.Start.IsZero() || (!o.Start.IsZero() && o.Start.Before(r.Start)) {
		r.Start = o.Start
	}
	r.Elapsed = max(r.Elapsed, o.Elapsed)
	r.Interrupted = r.Interrupted || o.Interrupted

	a, b := &r.Requests, &o.Requests
	a.Total += b.Total
	a.Started += b.Started
	a.Done += b.Done
	a.Succeeded += b.Succeeded
	a.Failed += b.Failed
	a.Errored += b.Errored
	a.TimedOut += b.TimedOut
	for code, n := range o.Status {
		r.Status[code] += n
	}
	r.Traffic.In += o.Traffic.In
	r.Traffic.Out += o.Traffic.Out
	r.Traffic.Header += o.Traffic.Header
	r.Traffic.Data += o.Traffic.Data
	r.Connections.Attempted += o.Connections.Attempted
	r.Connections.Failed += o.Connections.Failed
	for _, h := range []struct {
		dst **Histogram
		src *Histogram
	}{
		{&r.RequestTime, o.RequestTime}, {&r.ConnectTime, o.ConnectTime}, {&r.FirstByte, o.FirstByte},
	} {
		if *h.dst == nil {
			*h.dst = NewHistogram()
		}
		(*h.dst).Merge(h.src)
	}
	r.Timeline = mergeTimelines(r.Timeline, o.Timeline)
	r.ClientRates = append(r.ClientRates, o.ClientRates...)
	for msg, n := range o.Errors {
		if r.Errors == nil {
			r.Errors = map[string]int64{}
		}
		r.Errors[msg] += n
	}
	return nil
}

func mergeTimelines(a, b []Second) []Second {
	pos := make(map[int]int, len(a))
	for i := range a {
		pos[a[i].Index] = i
	}
	for _, s := range b {
		i, ok := pos[s.Index]
		if !ok {
			a = append(a, Second{Index: s.Index})
			i = len(a) - 1
			pos[s.Index] = i
		}
		d := &a[i]
		d.Done += s.Done
		d.Succeeded += s.Succeeded
		d.Failed += s.Failed
		d.BytesIn += s.BytesIn
		if d.Latency == nil {
			d.Latency = newHistogram(tickSigFigs)
		}
		d.Latency.Merge(s.Latency)
	}
	sort.Slice(a, func(i, j int) bool { return a[i].Index < a[j].Index })
	return a
}
