package bench

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func runOrFatal(t *testing.T, ctx context.Context, cfg Config) *Report {
	t.Helper()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func TestRunTCPEchoCountsEveryResponse(t *testing.T) {
	addr := startServer(t, echoHandler)
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Requests: 1000, Clients: 4, StreamsPerClient: 8, Threads: 2,
	})
	q := rep.Requests
	if q.Total != 1000 || q.Started != 1000 || q.Done != 1000 || q.Succeeded != 1000 || q.Failed != 0 {
		t.Fatalf("an echo server answers every request: got %+v", q)
	}
	if want := int64(1000 * DefaultEchoSize); rep.Traffic.In != want || rep.Traffic.Out != want || rep.Traffic.Data != want {
		t.Errorf("every echoed byte counted once: traffic %+v, want %d in, out and data", rep.Traffic, want)
	}
	if rep.RequestTime.Count() != 1000 || rep.FirstByte.Count() != 1000 {
		t.Errorf("one request-time and one TTFB sample per response: %d, %d", rep.RequestTime.Count(), rep.FirstByte.Count())
	}
	if rep.ConnectTime.Count() != 4 || rep.Connections.Attempted != 4 || rep.Connections.Failed != 0 {
		t.Errorf("one connect per client: %d samples, %+v", rep.ConnectTime.Count(), rep.Connections)
	}
	var tl int64
	for _, s := range rep.Timeline {
		tl += s.Succeeded
	}
	if tl != 1000 {
		t.Errorf("the timeline adds up to the total: %d", tl)
	}
	if rep.Interrupted {
		t.Error("a run that finished is not interrupted")
	}
}

func TestRunRefusedTargetFailsEveryRequest(t *testing.T) {
	addr := refusedAddr(t)
	start := time.Now()
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Requests: 100, Clients: 5, StreamsPerClient: 4,
		ConnectTimeout: 2 * time.Second,
	})
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("a refusing target ends the run quickly, took %v", el)
	}
	q := rep.Requests
	if q.Succeeded != 0 || q.Started != 0 || q.Failed != 100 || q.Errored != 100 || q.Done != 100 {
		t.Errorf("refused connections fail the whole budget as errored: %+v", q)
	}
	if rep.Connections.Attempted != 5 || rep.Connections.Failed != 5 {
		t.Errorf("each client dials once and fails: %+v", rep.Connections)
	}
	if len(rep.Errors) == 0 {
		t.Error("the report names the connect error")
	}
}

func TestRunResettingTargetCountsErrored(t *testing.T) {
	addr := startServer(t, resetHandler)
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Requests: 40, Clients: 4, StreamsPerClient: 2,
		RequestTimeout: 5 * time.Second,
	})
	q := rep.Requests
	if q.Succeeded != 0 || q.Done != 40 || q.Errored != 40 || q.TimedOut != 0 {
		t.Errorf("a reset fails in-flight requests and abandons the rest, all errored: %+v", q)
	}
	if q.Started != 8 {
		t.Errorf("each client started its window of 2 before the reset: %d started", q.Started)
	}
}

func TestRunStallingTargetTimesOut(t *testing.T) {
	addr := startServer(t, stallHandler)
	start := time.Now()
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Requests: 30, Clients: 3, StreamsPerClient: 5,
		RequestTimeout: 200 * time.Millisecond,
	})
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("a stalled target ends after about one request timeout, took %v", el)
	}
	q := rep.Requests
	if q.Succeeded != 0 || q.TimedOut != 15 || q.Errored != 15 || q.Done != 30 || q.Started != 15 {
		t.Errorf("in-flight requests time out, the rest is abandoned: %+v", q)
	}
}

func TestRunStallingTargetDurationModeNeverHangs(t *testing.T) {
	addr := startServer(t, stallHandler)
	start := time.Now()
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Duration: 1500 * time.Millisecond, Clients: 2, StreamsPerClient: 3,
		RequestTimeout: 100 * time.Millisecond,
	})
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("a duration run ends at its deadline, took %v", el)
	}
	if rep.Requests.Succeeded != 0 || rep.Requests.TimedOut == 0 {
		t.Errorf("timeouts counted, nothing succeeded: %+v", rep.Requests)
	}
	if rep.Connections.Attempted < 3 {
		t.Errorf("clients dial again after a timeout in duration mode: %+v", rep.Connections)
	}
}

func TestRunCorruptEchoIsErrored(t *testing.T) {
	addr := startServer(t, corruptHandler)
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Requests: 10, Clients: 1,
	})
	if rep.Requests.Succeeded != 0 || rep.Requests.Errored != 10 {
		t.Errorf("bytes that are not the echo never count as a response: %+v", rep.Requests)
	}
	if rep.Errors[ErrEchoMismatch.Error()] == 0 {
		t.Errorf("the report names the mismatch: %v", rep.Errors)
	}
}

func TestRunCancelReturnsPartialReport(t *testing.T) {
	addr := startServer(t, echoHandler)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	rep := runOrFatal(t, ctx, Config{
		Target: addr, Mode: ModeTCPEcho, Duration: time.Hour, Clients: 2, StreamsPerClient: 4,
	})
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("cancel stops the run promptly, took %v", el)
	}
	if !rep.Interrupted {
		t.Error("a cancelled run says it was interrupted")
	}
	q := rep.Requests
	if q.Succeeded == 0 || q.Done > q.Started || q.Started-q.Done > 8 {
		t.Errorf("the partial report holds the work done, at most the window in flight: %+v", q)
	}
}

func TestRunWarmUpIsNotCounted(t *testing.T) {
	addr := startServer(t, echoHandler)
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Duration: 400 * time.Millisecond, WarmUp: 300 * time.Millisecond,
		Clients: 1, Rate: 200,
	})
	// 200 req/s for 0.4 s measured: at most about 80 (fewer on a busy
	// machine), never the 140 of warm-up and window together.
	if s := rep.Requests.Succeeded; s == 0 || s > 100 {
		t.Errorf("only the measured window counts (at most about 80 at 200 req/s), got %d", s)
	}
	if rep.Elapsed != 400*time.Millisecond {
		t.Errorf("elapsed is the measured window: %v", rep.Elapsed)
	}
	for _, s := range rep.Timeline {
		if s.Index != 0 {
			t.Errorf("responses after the 0.4 s window are not counted, timeline has second %d", s.Index)
		}
	}
}

func TestRunRateLimit(t *testing.T) {
	addr := startServer(t, echoHandler)
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Requests: 20, Clients: 2, StreamsPerClient: 4, Rate: 50,
	})
	// 20 requests at 50/s take at least 0.36 s (each client's first goes at once).
	if rep.Elapsed < 300*time.Millisecond || rep.Requests.Succeeded != 20 {
		t.Errorf("a rate cap spaces requests: %d in %v", rep.Requests.Succeeded, rep.Elapsed)
	}
}

func TestRunProgressLine(t *testing.T) {
	addr := startServer(t, echoHandler)
	var out strings.Builder
	w := &lockedWriter{w: &out}
	runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Duration: 250 * time.Millisecond, Clients: 1,
		Progress: w, ProgressInterval: 50 * time.Millisecond,
	})
	if s := w.String(); !strings.Contains(s, "req/s") || !strings.Contains(s, "\r") {
		t.Errorf("progress line written in place: %q", s)
	}
}

func TestRunUnavailableModeSaysSo(t *testing.T) {
	m := Mode("test-future")
	unavailable(m, "its transport is a test's invention")
	_, err := Run(context.Background(), Config{Target: "127.0.0.1:1", Mode: m, Requests: 1})
	if !errors.Is(err, ErrNotAvailable) || !strings.Contains(err.Error(), "a test's invention") {
		t.Errorf("a mode registered as unavailable reports ErrNotAvailable and why, got %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"no target", Config{Requests: 1}, ErrNoTarget},
		{"address without port", Config{Target: "localhost", Requests: 1}, ErrBadTarget},
		{"unknown scheme", Config{Target: "ftp://x:1/", Requests: 1}, ErrBadTarget},
		{"no end", Config{Target: "127.0.0.1:1"}, ErrNoEnd},
		{"fewer requests than clients", Config{Target: "127.0.0.1:1", Requests: 2, Clients: 3}, ErrTooFew},
		{"negative clients", Config{Target: "127.0.0.1:1", Requests: 2, Clients: -1}, ErrBadCount},
		{"warm-up without duration", Config{Target: "127.0.0.1:1", Requests: 2, WarmUp: time.Second}, ErrWarmUpWithout},
		{"unknown mode", Config{Target: "127.0.0.1:1", Requests: 2, Mode: "smtp"}, ErrUnknownMode},
		{"too many in flight", Config{Target: "127.0.0.1:1", Duration: time.Second, Clients: 100000, StreamsPerClient: 100000}, ErrTooMany},
		{"in-flight knob", Config{Target: "127.0.0.1:1", Duration: time.Second, Clients: 10, StreamsPerClient: 10, MaxInFlight: 99}, ErrTooMany},
		{"fine", Config{Target: "127.0.0.1:1", Requests: 2}, nil},
		{"fine url", Config{Target: "http://[::1]:8080/x?y", Duration: time.Second, WarmUp: time.Second}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Validate() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want Target
	}{
		{"127.0.0.1:80", Target{Addr: "127.0.0.1:80", Authority: "127.0.0.1:80", Path: "/"}},
		{"http://example.test/a?b=c", Target{Scheme: "http", Addr: "example.test:80", Authority: "example.test", Path: "/a?b=c"}},
		{"https://[::1]/", Target{Scheme: "https", Addr: "[::1]:443", Authority: "[::1]", Path: "/"}},
		{"http://h:8080", Target{Scheme: "http", Addr: "h:8080", Authority: "h:8080", Path: "/"}},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestSplitBudgetsLikeH2load(t *testing.T) {
	got := splitBudgets(10, 4)
	want := []int64{3, 3, 2, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("10 requests over 4 clients: %v, want %v", got, want)
		}
	}
	if b := splitBudgets(0, 2); b[0] != -1 || b[1] != -1 {
		t.Errorf("duration mode budgets are unlimited: %v", b)
	}
}

func TestPacerSpacesAndDoesNotBurst(t *testing.T) {
	p := Pacer{interval: 10 * time.Millisecond}
	t0 := time.Unix(0, 0)
	if p.Wait(t0) != 0 {
		t.Fatal("the first request goes at once")
	}
	if w := p.Wait(t0); w != 10*time.Millisecond {
		t.Fatalf("the second waits one interval, got %v", w)
	}
	if p.Wait(t0.Add(10*time.Millisecond)) != 0 {
		t.Fatal("after the interval it goes")
	}
	// A stall of a second is not followed by a hundred requests at once.
	late := t0.Add(time.Second)
	n := 0
	for p.Wait(late) == 0 {
		n++
	}
	if n > int(maxCatchUp/(10*time.Millisecond))+1 {
		t.Errorf("after a stall at most %v of schedule is caught up, %d went at once", maxCatchUp, n)
	}
}

func TestRunLargeMessagesThroughBackpressure(t *testing.T) {
	addr := startServer(t, lateEchoHandler)
	body := echoPattern(256 << 10)
	// 64 x 256 KiB in flight per connection to a server that starts
	// reading late overflow the socket buffers and the engine's 256 KiB
	// high-water mark: writes hit ErrWouldBlock and resume on OnWritable.
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeTCPEcho, Requests: 256, Clients: 2, StreamsPerClient: 64, Body: body,
	})
	if rep.Requests.Succeeded != 256 || rep.Requests.Failed != 0 {
		t.Fatalf("every large echo arrives intact: %+v %v", rep.Requests, rep.Errors)
	}
	if want := int64(256 * len(body)); rep.Traffic.In != want || rep.Traffic.Out != want {
		t.Errorf("bytes: in %d out %d, want %d each", rep.Traffic.In, rep.Traffic.Out, want)
	}
}

func TestRunLeavesNoGoroutines(t *testing.T) {
	addr := startServer(t, echoHandler)
	before := runtime.NumGoroutine()
	for range 3 {
		runOrFatal(t, context.Background(), Config{
			Target: addr, Mode: ModeTCPEcho, Requests: 50, Clients: 5, StreamsPerClient: 2, Threads: 2,
		})
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before+5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+5 {
		t.Errorf("goroutines: %d before, %d after three runs", before, n)
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", "http://h/p?q", "https://[::1]/", "ftp://x", "http://", "h:", ":1", "http://a b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		if tg.Addr == "" || tg.Path == "" {
			t.Errorf("ParseTarget(%q) accepted without an address or path: %+v", s, tg)
		}
	})
}

func TestRunAlreadyCancelledReturnsAtOnce(t *testing.T) {
	addr := startServer(t, echoHandler)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, m := range []Mode{ModeTCPEcho, ModeH2C} {
		target := addr
		if m == ModeH2C {
			target = "http://" + addr + "/"
		}
		start := time.Now()
		rep := runOrFatal(t, ctx, Config{Target: target, Mode: m, Duration: time.Hour, Clients: 3})
		if el := time.Since(start); el > 3*time.Second || !rep.Interrupted || rep.Requests.Failed != 0 {
			t.Errorf("%s: a cancelled context ends the run at once with nothing failed: %v %+v", m, el, rep.Requests)
		}
	}
}
