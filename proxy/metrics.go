package proxy

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the proxy's counters in a registry of its own, served in
// the Prometheus text format by MetricsHandler. Each backend's series are
// resolved once, so counting a request is a few atomic adds.
type metrics struct {
	reg       *prometheus.Registry
	conns     prometheus.Gauge
	requests  *prometheus.CounterVec
	reqBytes  *prometheus.CounterVec
	respBytes *prometheus.CounterVec
	latency   *prometheus.HistogramVec
}

// backendMetrics are one backend's resolved series; requests is indexed
// by status class (0: no complete response, a reset or a failure).
type backendMetrics struct {
	requests  [6]prometheus.Counter
	reqBytes  prometheus.Counter
	respBytes prometheus.Counter
	latency   prometheus.Observer
}

var classLabel = [6]string{"error", "1xx", "2xx", "3xx", "4xx", "5xx"}

func (m *metrics) init() {
	m.reg = prometheus.NewRegistry()
	m.conns = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ngloop_proxy_client_connections", Help: "Open client connections."})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ngloop_proxy_requests_total", Help: "Requests finished, by backend and status class."},
		[]string{"backend", "code"})
	m.reqBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ngloop_proxy_request_body_bytes_total", Help: "Request body octets received from clients."},
		[]string{"backend"})
	m.respBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ngloop_proxy_response_body_bytes_total", Help: "Response body octets sent to clients."},
		[]string{"backend"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ngloop_proxy_upstream_latency_seconds",
		Help:    "Time from submitting a request to a backend to its response headers.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)},
		[]string{"backend"})
	m.reg.MustRegister(m.conns, m.requests, m.reqBytes, m.respBytes, m.latency)
}

func (m *metrics) forBackend(name string) backendMetrics {
	var bm backendMetrics
	for i, c := range classLabel {
		bm.requests[i] = m.requests.WithLabelValues(name, c)
	}
	bm.reqBytes = m.reqBytes.WithLabelValues(name)
	bm.respBytes = m.respBytes.WithLabelValues(name)
	bm.latency = m.latency.WithLabelValues(name)
	return bm
}

// registerBackends adds the per-backend gauges read at scrape time.
func (m *metrics) registerBackends(bs []*backend) {
	for _, b := range bs {
		b := b
		labels := prometheus.Labels{"backend": b.addr}
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ngloop_proxy_backend_up", Help: "1 while the backend is in rotation.", ConstLabels: labels},
			func() float64 {
				if b.up.Load() {
					return 1
				}
				return 0
			}))
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ngloop_proxy_backend_outstanding", Help: "Requests in flight to the backend.", ConstLabels: labels},
			func() float64 { return float64(b.outstanding.Load()) }))
	}
}

// MetricsHandler serves the counters in the Prometheus text format, for
// an admin port on net/http (not the hot path).
func (px *Proxy) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(px.m.reg, promhttp.HandlerOpts{})
}

// Registry returns the registry holding the proxy's metrics, to add
// collectors or gather in tests.
func (px *Proxy) Registry() *prometheus.Registry { return px.m.reg }
