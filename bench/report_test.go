package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.(interface{ String() string }).String()
}

// syntheticReport records n log-normal-ish latencies into a report the way
// a run would, and returns the raw samples too.
func syntheticReport(t *testing.T, seed uint64, n int) (*Report, []time.Duration) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	from := time.Unix(1700000000, 0)
	tl := &timeline{max: DefaultTimelineSeconds}
	rec := newRecorder(from, tl)
	var samples []time.Duration
	for i := range n {
		// Mostly ~200 µs, a tail to tens of ms, some beyond the tracked range.
		d := time.Duration(50+rng.ExpFloat64()*300) * time.Microsecond
		if rng.IntN(100) == 0 {
			d *= time.Duration(50 + rng.IntN(200))
		}
		start := from.Add(time.Duration(i) * time.Millisecond)
		rec.Started(start)
		rec.FirstByte(start, start.Add(d/2))
		rec.Done(start, start.Add(d), 200)
		samples = append(samples, d)
	}
	rec.ConnectDone(from, from.Add(time.Duration(100+seed)*time.Microsecond))
	r := &run{recs: []*Recorder{rec}, tl: tl}
	cfg := Config{Target: "127.0.0.1:1", Mode: ModeTCPEcho, Clients: 1, StreamsPerClient: 1, Threads: 1, Requests: int64(n)}
	rep := r.report(&cfg, from, from.Add(time.Duration(n)*time.Millisecond+time.Second))
	return rep, samples
}

func TestMergedJSONReportsMatchOneHistogramOfAllSamples(t *testing.T) {
	a, sa := syntheticReport(t, 1, 20000)
	b, sb := syntheticReport(t, 2, 13000)

	// Two harness processes write JSON; a third reads both and merges.
	var ja, jb bytes.Buffer
	if err := a.WriteJSON(&ja); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteJSON(&jb); err != nil {
		t.Fatal(err)
	}
	ra, err := DecodeReport(&ja, 0)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := DecodeReport(&jb, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := ra.Merge(rb); err != nil {
		t.Fatal(err)
	}

	all := NewHistogram()
	for _, d := range append(sa, sb...) {
		all.Record(d)
	}
	if !ra.RequestTime.Equal(all) {
		t.Fatal("the merged histogram has exactly the buckets of one histogram over all samples")
	}
	for _, p := range []float64{0, 50, 90, 99, 99.9, 99.99, 100} {
		if got, want := ra.RequestTime.Percentile(p), all.Percentile(p); got != want {
			t.Errorf("p%v: merged %v, single histogram %v", p, got, want)
		}
	}
	if ra.RequestTime.Max() != all.Max() || ra.RequestTime.Mean() != all.Mean() {
		t.Errorf("max and mean agree: %v/%v vs %v/%v", ra.RequestTime.Max(), ra.RequestTime.Mean(), all.Max(), all.Mean())
	}
	if ra.Requests.Succeeded != 33000 || ra.Requests.Total != 33000 || ra.Runs != 2 || ra.Status[200] != 33000 {
		t.Errorf("counts add up: %+v runs=%d status=%v", ra.Requests, ra.Runs, ra.Status)
	}
	if ra.ConnectTime.Count() != 2 || ra.FirstByte.Count() != 33000 {
		t.Errorf("connect and TTFB histograms merge too: %d, %d", ra.ConnectTime.Count(), ra.FirstByte.Count())
	}
	var tl int64
	for _, s := range ra.Timeline {
		tl += s.Succeeded
	}
	if tl != 33000 {
		t.Errorf("timelines add second by second: %d", tl)
	}
}

func TestMergeRejectsOtherMode(t *testing.T) {
	a, _ := syntheticReport(t, 1, 10)
	b, _ := syntheticReport(t, 2, 10)
	b.Mode = ModeH2C
	if err := a.Merge(b); !errors.Is(err, ErrMergeMode) {
		t.Errorf("merging tcp-echo with h2c fails with ErrMergeMode, got %v", err)
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	addr := startServer(t, echoHandler)
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Requests: 300, Clients: 3, StreamsPerClient: 2,
	})
	rep.Errors = map[string]int64{"boom": 2}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeReport(bytes.NewReader(buf.Bytes()), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Requests != rep.Requests || got.Traffic != rep.Traffic || got.Connections != rep.Connections ||
		got.Elapsed != rep.Elapsed || !got.Start.Equal(rep.Start) || got.Mode != rep.Mode || got.Errors["boom"] != 2 {
		t.Errorf("scalars survive the round trip:\n got %+v\nwant %+v", got, rep)
	}
	for name, pair := range map[string][2]*Histogram{
		"request": {got.RequestTime, rep.RequestTime}, "connect": {got.ConnectTime, rep.ConnectTime},
		"ttfb": {got.FirstByte, rep.FirstByte},
	} {
		if !pair[0].Equal(pair[1]) {
			t.Errorf("%s histogram survives the round trip", name)
		}
	}
	if len(got.Timeline) != len(rep.Timeline) {
		t.Fatalf("timeline length %d, want %d", len(got.Timeline), len(rep.Timeline))
	}
	for i := range got.Timeline {
		g, w := got.Timeline[i], rep.Timeline[i]
		if g.Index != w.Index || g.Done != w.Done || g.Succeeded != w.Succeeded || !g.Latency.Equal(w.Latency) {
			t.Errorf("timeline second %d differs", i)
		}
	}
	var again bytes.Buffer
	if err := got.WriteJSON(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Error("encoding a decoded report gives the same bytes")
	}
}

func TestDecodeReportRejectsBadInput(t *testing.T) {
	good, _ := syntheticReport(t, 3, 100)
	var buf bytes.Buffer
	good.WriteJSON(&buf)
	valid := buf.String()
	tests := []struct {
		name string
		in   string
		max  int64
		want error
	}{
		{"too large", valid, 100, ErrBadReport},
		{"negative count", strings.Replace(valid, `"succeeded": 100`, `"succeeded": -1`, 1), 0, ErrBadReport},
		{"no runs", strings.Replace(valid, `"runs": 1`, `"runs": 0`, 1), 0, ErrBadReport},
		{"other bounds", strings.Replace(valid, `"highest": 100000000`, `"highest": 5000`, 1), 0, ErrHistogramMismatch},
		{"bucket out of range", strings.Replace(valid, `"buckets": [`, `"buckets": [[999999999999, 1], `, 1), 0, ErrBadSnapshot},
		{"negative bucket", strings.Replace(valid, `"buckets": [`, `"buckets": [[5, -1], `, 1), 0, ErrBadSnapshot},
		{"timeline with fine histograms", strings.Replace(valid, `"sigfigs": 2`, `"sigfigs": 3`, 1), 0, ErrHistogramMismatch},
		{"status out of range", strings.Replace(valid, `"200": 100`, `"7000": 100`, 1), 0, ErrBadReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in == valid && tt.max == 0 {
				t.Fatal("test input was not changed")
			}
			_, err := DecodeReport(strings.NewReader(tt.in), tt.max)
			if !errors.Is(err, tt.want) {
				t.Errorf("DecodeReport = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRecorderDropsWarmUpAndLateEvents(t *testing.T) {
	from := time.Unix(1000, 0)
	rec := newRecorder(from, &timeline{max: DefaultTimelineSeconds})
	rec.until = from.Add(time.Second)
	warm := from.Add(-time.Millisecond)
	rec.Started(warm)
	rec.Done(warm, from.Add(time.Millisecond), 200) // started in warm-up
	in := from.Add(10 * time.Millisecond)
	rec.Started(in)
	rec.Done(in, from.Add(20*time.Millisecond), 200) // inside the window
	rec.Started(in)
	rec.Done(in, from.Add(2*time.Second), 200) // answered after the window
	if rec.started.Load() != 2 || rec.done.Load() != 1 || rec.req.Count() != 1 {
		t.Errorf("one request counted: started %d done %d samples %d", rec.started.Load(), rec.done.Load(), rec.req.Count())
	}
}

func TestHistogramClampsOutOfRange(t *testing.T) {
	h := NewHistogram()
	h.Record(-time.Second)
	h.Record(time.Hour)
	if h.Count() != 2 || h.Clamped != 1 || h.Min() != time.Microsecond {
		t.Errorf("out-of-range samples are kept at the bounds and counted: count %d clamped %d min %v", h.Count(), h.Clamped, h.Min())
	}
}

func TestWriteTextShape(t *testing.T) {
	rep, _ := syntheticReport(t, 4, 1000)
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"finished in ", " req/s, ", "requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored, 0 timeout",
		"status codes: 1000 2xx, 0 3xx, 0 4xx, 0 5xx", "traffic: ", "time for request:", "time for connect:",
		"time to 1st byte:", "+/- sd", "p99.9",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteCSVOneRowPerSecond(t *testing.T) {
	rep, _ := syntheticReport(t, 5, 3000) // 3 s of samples at 1 ms spacing
	var b strings.Builder
	if err := rep.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 1+len(rep.Timeline) || len(rep.Timeline) < 3 {
		t.Fatalf("a header and one row per second: %d lines for %d seconds", len(lines), len(rep.Timeline))
	}
	if !strings.HasPrefix(lines[0], "second,done,succeeded,failed,bytes_in,p50_us") || !strings.HasPrefix(lines[1], "0,1000,1000,0,") {
		t.Errorf("CSV shape: %q / %q", lines[0], lines[1])
	}
}

func TestWritePlotIsSVG(t *testing.T) {
	rep, _ := syntheticReport(t, 6, 3000)
	var b bytes.Buffer
	if err := rep.WritePlot(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte("<svg")) || !bytes.Contains(b.Bytes(), []byte("p99")) {
		t.Errorf("an SVG with a p99 legend, got %d bytes starting %q", b.Len(), b.Bytes()[:min(80, b.Len())])
	}
	if err := (&Report{}).WritePlot(io.Discard); !errors.Is(err, ErrNoTimeline) {
		t.Errorf("an empty report has nothing to plot: %v", err)
	}
}

func TestRecorderAllocatesNothingPerRequest(t *testing.T) {
	from := time.Now()
	rec := newRecorder(from, &timeline{max: DefaultTimelineSeconds})
	start := from.Add(time.Millisecond)
	now := start.Add(300 * time.Microsecond)
	allocs := testing.AllocsPerRun(1000, func() {
		rec.Started(start)
		rec.FirstByte(start, now)
		rec.BytesOut(now, 64)
		rec.BytesIn(now, 64)
		rec.ResponseBytes(start, now, 10, 54)
		rec.Done(start, now, 200)
	})
	if allocs != 0 {
		t.Errorf("recording a request allocates %v times, want 0", allocs)
	}
}

func BenchmarkRecorderRequest(b *testing.B) {
	from := time.Now()
	rec := newRecorder(from, &timeline{max: DefaultTimelineSeconds})
	start := from.Add(time.Millisecond)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := start.Add(time.Duration(i%5000) * time.Microsecond)
		rec.Started(start)
		rec.FirstByte(start, now)
		rec.BytesIn(now, 64)
		rec.Done(start, now, 200)
	}
}

func FuzzDecodeReport(f *testing.F) {
	rep, _ := syntheticReport(&testing.T{}, 7, 50)
	var buf bytes.Buffer
	rep.WriteJSON(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(`{"runs":1,"request_time":{"unit":"us","lowest":1,"highest":100000000,"sigfigs":3,"buckets":[[1,1]]}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := DecodeReport(bytes.NewReader(in), 1<<20)
		if err != nil {
			return
		}
		// Whatever decodes must print, encode and merge without panicking.
		r.WriteText(io.Discard)
		r.WriteCSV(io.Discard)
		var out bytes.Buffer
		if err := r.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeReport(&out, 0); err != nil {
			t.Fatalf("a decoded report re-encodes to valid JSON: %v", err)
		}
		if err := r.Merge(r); err != nil && !errors.Is(err, ErrMergeMode) {
			t.Fatal(err)
		}
		_ = json.Valid(out.Bytes())
	})
}
