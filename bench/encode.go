package bench

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrBadReport is returned by DecodeReport for a report that is too large
// or inconsistent (negative counts, no runs).
var ErrBadReport = errors.New("bench: malformed report")

// WriteJSON writes the report, histograms included, as indented JSON.
// DecodeReport reads it back exactly.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// DecodeReport reads one JSON report of at most maxBytes bytes
// (DefaultMaxReportBytes when maxBytes <= 0). It returns the report, or
// one of: ErrBadReport — the input is larger than maxBytes, or a count is
// negative; ErrHistogramMismatch, ErrBadSnapshot — a histogram cannot be
// restored; a json error for malformed JSON.
func DecodeReport(rd io.Reader, maxBytes int64) (*Report, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxReportBytes
	}
	lr := &io.LimitedReader{R: rd, N: maxBytes + 1}
	var r Report
	// The timeline is decoded second by second after its length is
	// checked: each second costs a fixed-size histogram, far more memory
	// than its JSON, so its count is bounded (maxTimelineDecode).
	type alias Report
	wire := struct {
		*alias
		Timeline []json.RawMessage `json:"timeline"`
	}{alias: (*alias)(&r)}
	err := json.NewDecoder(lr).Decode(&wire)
	if lr.N <= 0 {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadReport, maxBytes)
	}
	if err != nil {
		return nil, err
	}
	if len(wire.Timeline) > maxTimelineDecode {
		return nil, fmt.Errorf("%w: timeline of %d seconds, at most %d", ErrBadReport, len(wire.Timeline), maxTimelineDecode)
	}
	for _, raw := range wire.Timeline {
		s, err := decodeSecond(raw)
		if err != nil {
			return nil, err
		}
		r.Timeline = append(r.Timeline, s)
	}
	for _, h := range []*Histogram{r.RequestTime, r.ConnectTime, r.FirstByte} {
		if h != nil && h.sigFigs != histSigFigs {
			return nil, fmt.Errorf("%w: %d significant digits", ErrHistogramMismatch, h.sigFigs)
		}
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	if r.Status == nil {
		r.Status = map[int]int64{}
	}
	if r.Timeline == nil {
		r.Timeline = []Second{}
	}
	for _, h := range []**Histogram{&r.RequestTime, &r.ConnectTime, &r.FirstByte} {
		if *h == nil {
			*h = NewHistogram()
		}
	}
	for i := range r.Timeline {
		if r.Timeline[i].Latency == nil {
			r.Timeline[i].Latency = newHistogram(tickSigFigs)
		}
	}
	return &r, nil
}

// maxTimelineDecode bounds the seconds DecodeReport accepts, as many as a
// run keeps by default: every second costs a 20 KiB histogram.
const maxTimelineDecode = DefaultTimelineSeconds

func decodeSecond(raw json.RawMessage) (Second, error) {
	var w struct {
		Second
		Latency json.RawMessage `json:"latency"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return Second{}, err
	}
	s := w.Second
	s.Latency = newHistogram(tickSigFigs)
	if len(w.Latency) == 0 || string(w.Latency) == "null" {
		return s, nil
	}
	var peek struct {
		SigFigs int `json:"sigfigs"`
	}
	if err := json.Unmarshal(w.Latency, &peek); err != nil {
		return Second{}, err
	}
	if peek.SigFigs != tickSigFigs {
		return Second{}, fmt.Errorf("%w: timeline histogram with %d digits", ErrHistogramMismatch, peek.SigFigs)
	}
	if err := s.Latency.UnmarshalJSON(w.Latency); err != nil {
		return Second{}, err
	}
	return s, nil
}

func (r *Report) check() error {
	q := r.Requests
	for _, v := range []int64{q.Total, q.Started, q.Done, q.Succeeded, q.Failed, q.Errored, q.TimedOut,
		r.Traffic.In, r.Traffic.Out, r.Traffic.Header, r.Traffic.Data,
		r.Connections.Attempted, r.Connections.Failed, int64(r.Elapsed),
		int64(r.Clients), int64(r.Streams), int64(r.Threads)} {
		if v < 0 {
			return fmt.Errorf("%w: negative count", ErrBadReport)
		}
	}
	if r.Runs < 1 {
		return fmt.Errorf("%w: runs = %d", ErrBadReport, r.Runs)
	}
	for code, n := range r.Status {
		if code < 0 || code >= maxStatus || n < 0 {
			return fmt.Errorf("%w: status %d count %d", ErrBadReport, code, n)
		}
	}
	for _, v := range r.ClientRates {
		if v < 0 {
			return fmt.Errorf("%w: negative client rate", ErrBadReport)
		}
	}
	for _, s := range r.Timeline {
		if s.Index < 0 || s.Done < 0 || s.Succeeded < 0 || s.Failed < 0 || s.BytesIn < 0 {
			return fmt.Errorf("%w: timeline second %d", ErrBadReport, s.Index)
		}
	}
	return nil
}

// WriteCSV writes the per-second timeline: one row per second of the
// measured window with counts, throughput and request-time percentiles in
// microseconds (from 2-significant-digit histograms).
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"second", "done", "succeeded", "failed", "bytes_in",
		"p50_us", "p90_us", "p99_us", "p99_9_us", "max_us"})
	it := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, s := range r.Timeline {
		h := s.Latency
		if h == nil {
			h = newHistogram(tickSigFigs)
		}
		_ = cw.Write([]string{strconv.Itoa(s.Index), it(s.Done), it(s.Succeeded), it(s.Failed), it(s.BytesIn),
			it(h.Percentile(50).Microseconds()), it(h.Percentile(90).Microseconds()),
			it(h.Percentile(99).Microseconds()), it(h.Percentile(99.9).Microseconds()),
			it(h.Max().Microseconds())})
	}
	cw.Flush()
	return cw.Error()
}
