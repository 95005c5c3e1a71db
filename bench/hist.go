package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency histograms record microseconds. Every histogram of one kind is
// built with the same bounds, because two HDR histograms merge exactly only
// when their bucket layouts are identical: then a merged count lands in the
// very bucket the original sample did, and every percentile of the merge
// equals the percentile of one histogram fed all the samples.
const (
	histLowest = 1 // µs
	// histHighest is the largest latency kept as itself (about 100 s);
	// slower samples are recorded as histHighest and counted in Clamped.
	histHighest = 100_000_000 // µs
	histSigFigs = 3

	// Per-second timeline histograms only feed the plot and the CSV, so
	// two significant digits (1 % error) keep a long run's timeline small.
	tickSigFigs = 2
)

// ErrHistogramMismatch is returned when a histogram snapshot was recorded
// with bounds other than this package's; such histograms cannot merge exactly.
var ErrHistogramMismatch = errors.New("bench: histogram snapshot has different bounds")

// ErrBadSnapshot is returned when a histogram snapshot is malformed
// (negative counts, values out of range, count overflow).
var ErrBadSnapshot = errors.New("bench: malformed histogram snapshot")

// Histogram is a latency histogram in microseconds. Recording is not safe
// for concurrent use: each worker records into its own and the run merges
// them at the end.
type Histogram struct {
	h       *hdr.Histogram
	sigFigs int
	// Clamped counts samples above the trackable range, recorded as the
	// highest trackable value.
	Clamped int64
}

// NewHistogram returns an empty latency histogram with the package's bounds.
func NewHistogram() *Histogram { return newHistogram(histSigFigs) }

func newHistogram(sigFigs int) *Histogram {
	return &Histogram{h: hdr.New(histLowest, histHighest, sigFigs), sigFigs: sigFigs}
}

// Record adds one sample. It allocates nothing.
func (h *Histogram) Record(d time.Duration) {
	us := d.Microseconds()
	if us < histLowest {
		us = histLowest
	}
	if us > histHighest {
		us = histHighest
		h.Clamped++
	}
	// Cannot fail: us is inside the bounds the histogram was built with.
	_ = h.h.RecordValue(us)
}

// Merge adds every sample of o to h. Both must have the same bounds, which
// holds for histograms made by this package and for snapshots it decoded.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil {
		return
	}
	if o == h {
		// hdr's Merge iterates the source while recording into the
		// destination; on itself that iteration never ends.
		o = &Histogram{h: hdr.Import(h.h.Export()), sigFigs: h.sigFigs, Clamped: h.Clamped}
	}
	h.h.Merge(o.h)
	h.Clamped += o.Clamped
}

// Reset empties the histogram, keeping its memory.
func (h *Histogram) Reset() { h.h.Reset(); h.Clamped = 0 }

// Count is the number of samples.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Percentile returns the latency at or below which p percent of the samples
// fall (p in [0, 100]), or 0 when the histogram is empty.
func (h *Histogram) Percentile(p float64) time.Duration {
	return time.Duration(h.h.ValueAtPercentile(p)) * time.Microsecond
}

// Min, Max and Mean of the samples; 0 when empty.
func (h *Histogram) Min() time.Duration { return time.Duration(h.h.Min()) * time.Microsecond }
func (h *Histogram) Max() time.Duration { return time.Duration(h.h.Max()) * time.Microsecond }
func (h *Histogram) Mean() time.Duration {
	return time.Duration(h.h.Mean() * float64(time.Microsecond))
}

// StdDev is the standard deviation of the samples.
func (h *Histogram) StdDev() time.Duration {
	return time.Duration(h.h.StdDev() * float64(time.Microsecond))
}

// WithinStdDev is the share of samples (0..1) within one standard
// deviation of the mean: h2load's "+/- sd" column.
func (h *Histogram) WithinStdDev() float64 {
	n := h.h.TotalCount()
	if n == 0 {
		return 0
	}
	mean, sd := h.h.Mean(), h.h.StdDev()
	var in int64
	for _, b := range h.h.Distribution() {
		mid := float64(b.From+b.To) / 2
		if mid >= mean-sd && mid <= mean+sd {
			in += b.Count
		}
	}
	return float64(in) / float64(n)
}

// Equal reports whether both histograms hold the same counts in the same buckets.
func (h *Histogram) Equal(o *Histogram) bool {
	return h.sigFigs == o.sigFigs && h.Clamped == o.Clamped && h.h.Equals(o.h)
}

// histJSON is a histogram snapshot: the bounds and the non-empty buckets as
// [lowest value in bucket, count] pairs. Re-recording each pair into a
// histogram with the same bounds restores the exact bucket counts. The
// summary fields are for people and scripts; decoding ignores them.
type histJSON struct {
	Unit    string     `json:"unit"`
	Lowest  int64      `json:"lowest"`
	Highest int64      `json:"highest"`
	SigFigs int        `json:"sigfigs"`
	Count   int64      `json:"count"`
	Clamped int64      `json:"clamped,omitempty"`
	Min     int64      `json:"min"`
	Mean    float64    `json:"mean"`
	P50     int64      `json:"p50"`
	P90     int64      `json:"p90"`
	P99     int64      `json:"p99"`
	P999    int64      `json:"p99_9"`
	Max     int64      `json:"max"`
	Buckets [][2]int64 `json:"buckets"`
}

// MarshalJSON encodes the histogram as a snapshot that UnmarshalJSON restores exactly.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	s := histJSON{
		Unit: "us", Lowest: histLowest, Highest: histHighest, SigFigs: h.sigFigs,
		Count: h.h.TotalCount(), Clamped: h.Clamped,
		Min: h.h.Min(), Mean: h.h.Mean(), Max: h.h.Max(),
		P50: h.h.ValueAtPercentile(50), P90: h.h.ValueAtPercentile(90),
		P99: h.h.ValueAtPercentile(99), P999: h.h.ValueAtPercentile(99.9),
		Buckets: [][2]int64{},
	}
	if math.IsNaN(s.Mean) {
		s.Mean = 0
	}
	for _, b := range h.h.Distribution() {
		if b.Count != 0 {
			s.Buckets = append(s.Buckets, [2]int64{b.From, b.Count})
		}
	}
	return json.Marshal(&s)
}

// UnmarshalJSON restores a snapshot written by MarshalJSON. It returns nil
// on success, or one of: ErrHistogramMismatch — the snapshot's bounds
// differ from this package's; ErrBadSnapshot — a count is negative, a
// value lies outside the bounds, or the total overflows.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var s histJSON
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s.Unit != "us" || s.Lowest != histLowest || s.Highest != histHighest ||
		(s.SigFigs != histSigFigs && s.SigFigs != tickSigFigs) {
		return fmt.Errorf("%w: unit %q, range [%d, %d], %d digits",
			ErrHistogramMismatch, s.Unit, s.Lowest, s.Highest, s.SigFigs)
	}
	if s.Clamped < 0 {
		return fmt.Errorf("%w: negative clamped count", ErrBadSnapshot)
	}
	n := newHistogram(s.SigFigs)
	var total int64
	for _, bc := range s.Buckets {
		v, c := bc[0], bc[1]
		if v < histLowest || v > histHighest || c < 0 {
			return fmt.Errorf("%w: bucket [%d, %d]", ErrBadSnapshot, v, c)
		}
		if total > math.MaxInt64-c {
			return fmt.Errorf("%w: total count overflows", ErrBadSnapshot)
		}
		total += c
		if err := n.h.RecordValues(v, c); err != nil {
			return fmt.Errorf("%w: %v", ErrBadSnapshot, err)
		}
	}
	n.Clamped = s.Clamped
	*h = *n
	return nil
}
