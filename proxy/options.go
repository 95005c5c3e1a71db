package proxy

import (
	"io"
	"time"

	"github.com/ngloop/ngloop/h2"
)

// Balance picks a backend for each request.
type Balance uint8

const (
	// RoundRobin takes the healthy backends in turn.
	RoundRobin Balance = iota
	// LeastOutstanding takes the healthy backend with the fewest requests
	// in flight (counted over every loop), ties in round-robin order.
	LeastOutstanding
)

// Options configure a Proxy. Zero fields take the defaults listed with
// them; every limit has one.
type Options struct {
	// Backends are the h2c upstreams, "host:port". At least one.
	Backends []string
	// Balance is the balancing policy. Default RoundRobin.
	Balance Balance

	// Front configures the client-facing sessions. The proxy always sets
	// NoAutoWindowUpdate: request DATA is credited back only once the
	// backend session took it, so a slow backend slows its client.
	// Defaults: 100 concurrent streams, 64 KiB stream window, 1 MiB
	// connection window.
	Front h2.Options
	// Back configures the backend sessions, also with NoAutoWindowUpdate:
	// response DATA is credited back to the backend only once the client's
	// session took it. Defaults: 64 KiB stream window, 4 MiB connection
	// window.
	Back h2.Options

	// MaxConnsPerBackend bounds the connections each loop keeps to one
	// backend; a new one is opened when every open one is at the
	// backend's SETTINGS_MAX_CONCURRENT_STREAMS. Default 4.
	MaxConnsPerBackend int
	// MaxPending bounds the requests a loop holds for one backend while
	// its connections are being dialed; beyond it requests get 503.
	// Default 1024.
	MaxPending int

	// HealthInterval is the period of the active health checks. Default
	// 2 s; negative turns them off.
	HealthInterval time.Duration
	// HealthTimeout bounds one check. Default 1 s.
	HealthTimeout time.Duration
	// HealthPath, when set, makes a check a GET of this path that must
	// answer below 500; otherwise a check is a completed connection (TCP
	// and the backend's SETTINGS) or a PING answered on an open one.
	HealthPath string

	// IdleTimeout closes client connections with no open stream that
	// received nothing for this long (GOAWAY NO_ERROR). Default 2 min;
	// negative disables it.
	IdleTimeout time.Duration
	// ShutdownPingTimeout is how long graceful shutdown waits for the PING
	// after the shutdown notice before the final GOAWAY. Default 1 s.
	ShutdownPingTimeout time.Duration

	// Via is the pseudonym added to the via field (RFC 9110, Section
	// 7.6.3). Default "ngloop".
	Via string

	// AccessLog, when set, receives one line per request (buffered per
	// loop, flushed every second and when 32 KiB gather).
	AccessLog io.Writer
}

// Defaults for zero Options fields.
const (
	DefaultMaxConnsPerBackend  = 4
	DefaultMaxPending          = 1024
	DefaultHealthInterval      = 2 * time.Second
	DefaultHealthTimeout       = time.Second
	DefaultIdleTimeout         = 2 * time.Minute
	DefaultShutdownPingTimeout = time.Second
	DefaultFrontStreamWindow   = 64 << 10
	DefaultFrontConnWindow     = 1 << 20
	DefaultBackStreamWindow    = 64 << 10
	DefaultBackConnWindow      = 4 << 20
)

func (o Options) withDefaults() Options {
	if o.MaxConnsPerBackend <= 0 {
		o.MaxConnsPerBackend = DefaultMaxConnsPerBackend
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.HealthInterval == 0 {
		o.HealthInterval = DefaultHealthInterval
	}
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = DefaultHealthTimeout
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.ShutdownPingTimeout <= 0 {
		o.ShutdownPingTimeout = DefaultShutdownPingTimeout
	}
	if o.Via == "" {
		o.Via = "ngloop"
	}
	if o.Front.InitialWindowSize == 0 {
		o.Front.InitialWindowSize = DefaultFrontStreamWindow
	}
	if o.Front.ConnectionWindowSize == 0 {
		o.Front.ConnectionWindowSize = DefaultFrontConnWindow
	}
	if o.Back.InitialWindowSize == 0 {
		o.Back.InitialWindowSize = DefaultBackStreamWindow
	}
	if o.Back.ConnectionWindowSize == 0 {
		o.Back.ConnectionWindowSize = DefaultBackConnWindow
	}
	o.Front.NoAutoWindowUpdate = true
	o.Back.NoAutoWindowUpdate = true
	return o
}
