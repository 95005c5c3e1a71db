package proxy

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestProxyMetricsEndpoint: the admin handler serves the Prometheus text
// format, which the Prometheus parser reads back with the requests,
// bytes and upstream latency of each backend.
func TestProxyMetricsEndpoint(t *testing.T) {
	a, b := twoBackends(t)
	tp := startProxy(t, Options{Backends: []string{a.addr, b.addr}}, 1)
	cl := h2cClient()
	for i := 0; i < 10; i++ {
		get(t, cl, tp.url("/"))
	}
	get(t, cl, tp.url("/nowhere"))
	waitFor(t, "requests counted", func() bool { return a.requests()+b.requests() == 11 })
	srv := httptest.NewServer(tp.px.MetricsHandler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics do not parse as the Prometheus text format: %v", err)
	}
	var ok2xx, ok4xx, respBytes float64
	for _, m := range fams["ngloop_proxy_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "code" && l.GetValue() == "2xx" {
				ok2xx += m.GetCounter().GetValue()
			}
			if l.GetName() == "code" && l.GetValue() == "4xx" {
				ok4xx += m.GetCounter().GetValue()
			}
		}
	}
	for _, m := range fams["ngloop_proxy_response_body_bytes_total"].GetMetric() {
		respBytes += m.GetCounter().GetValue()
	}
	if ok2xx != 10 || ok4xx != 1 {
		t.Errorf("requests_total: %v 2xx and %v 4xx, want 10 and 1", ok2xx, ok4xx)
	}
	if want := float64(10*len("Hello, world\n") + len("not found\n")); respBytes != want {
		t.Errorf("response_body_bytes_total = %v, want %v", respBytes, want)
	}
	var observed uint64
	for _, m := range fams["ngloop_proxy_upstream_latency_seconds"].GetMetric() {
		observed += m.GetHistogram().GetSampleCount()
	}
	if observed != 11 {
		t.Errorf("upstream latency observed %d times, want 11", observed)
	}
	if n := len(fams["ngloop_proxy_backend_up"].GetMetric()); n != 2 {
		t.Errorf("backend_up has %d series, want 2", n)
	}
}

// TestProxyAccessLog: each request leaves one line, flushed by the
// loop's timer.
func TestProxyAccessLog(t *testing.T) {
	be := startBackend(t, nil, "")
	var buf syncBuffer
	tp := startProxy(t, Options{Backends: []string{be.addr}, AccessLog: &buf}, 1)
	get(t, h2cClient(), tp.url("/bytes/100"))
	waitFor(t, "the access log line", func() bool { return strings.Contains(buf.String(), "\n") })
	line := buf.String()
	for _, want := range []string{`"GET /bytes/100" 200 0 100 ` + be.addr, "127.0.0.1 "} {
		if !strings.Contains(line, want) {
			t.Errorf("access log line %q lacks %q", line, want)
		}
	}
}

// TestParseConfig: the directives of the configuration file.
func TestParseConfig(t *testing.T) {
	var opt Options
	err := ParseConfig(strings.NewReader(`
# two backends
backend 127.0.0.1:7001
backend 127.0.0.1:7002,127.0.0.1:7003
balance least-outstanding
health-interval 500ms
health-path /healthz
max-conns-per-backend 2
`), &opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(opt.Backends) != 3 || opt.Balance != LeastOutstanding || opt.HealthPath != "/healthz" ||
		opt.HealthInterval.Milliseconds() != 500 || opt.MaxConnsPerBackend != 2 {
		t.Errorf("parsed %+v", opt)
	}
	for _, bad := range []string{"backend", "balance random", "health-interval soon", "frobnicate 1", "max-conns-per-backend -1"} {
		if err := ParseConfig(strings.NewReader(bad), &Options{}); err == nil {
			t.Errorf("config %q: no error", bad)
		}
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
