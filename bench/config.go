package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// Mode names the protocol a run speaks to its target.
type Mode string

const (
	// ModeH2C sends HTTP/2 requests over cleartext TCP (prior knowledge).
	ModeH2C Mode = "h2c"
	// ModeQUICEcho opens QUIC bidirectional streams and expects each
	// stream's bytes echoed back.
	ModeQUICEcho Mode = "quic-echo"
	// ModeHQInterop sends HTTP/0.9 GETs over QUIC (ALPN "hq-interop").
	ModeHQInterop Mode = "hq-interop"
	// ModeTCPEcho writes messages on TCP connections and expects every
	// byte back in order; one echoed message is one response.
	ModeTCPEcho Mode = "tcp-echo"
)

// echo reports whether responses in mode m are echoes without a status.
func (m Mode) echo() bool { return m == ModeTCPEcho || m == ModeQUICEcho }

// Header is one extra request header (h2load -H).
type Header struct{ Name, Value string }

// Defaults for the knobs a Config leaves zero.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultRequestTimeout = 10 * time.Second
	// DefaultEchoSize is the message size of the echo modes when
	// Config.Body is empty: an echo with no bytes has no response.
	DefaultEchoSize = 64
	// DefaultMaxReportBytes bounds what DecodeReport reads.
	DefaultMaxReportBytes = 64 << 20
	// DefaultMaxInFlight bounds Clients × StreamsPerClient: every request
	// in flight holds a small fixed slot, allocated up front.
	DefaultMaxInFlight = 1 << 22
	// DefaultTimelineSeconds keeps an hour of per-second timeline.
	DefaultTimelineSeconds = 3600
)

// Errors returned by Config.Validate.
var (
	ErrNoTarget      = errors.New("bench: no target address")
	ErrBadCount      = errors.New("bench: clients, streams and threads must be positive")
	ErrNoEnd         = errors.New("bench: give a request count (-n) or a duration (-D)")
	ErrTooFew        = errors.New("bench: fewer requests (-n) than clients (-c)")
	ErrTooMany       = errors.New("bench: clients × streams per client exceeds MaxInFlight")
	ErrUnknownMode   = errors.New("bench: unknown mode")
	ErrNotAvailable  = errors.New("bench: mode not available yet")
	ErrBadTarget     = errors.New("bench: malformed target")
	ErrWarmUpWithout = errors.New("bench: warm-up needs a duration (-D)")
)

// Config describes one load run. The zero value of every optional field
// picks the default documented on it.
type Config struct {
	// Target is a URL (http://host:port/path, https://host:port/path) or a
	// bare host:port. The scheme is informational; Mode decides the protocol.
	Target string
	// Mode is the protocol; empty means ModeH2C for URLs and ModeTCPEcho
	// for bare addresses.
	Mode Mode

	Clients          int // -c: concurrent connections; default 1
	StreamsPerClient int // -m: requests in flight per connection; default 1
	Threads          int // -t: workers (event loops); default 1, at most Clients

	// Requests (-n) is the total number of requests, split evenly over the
	// clients as h2load does. Zero means the run ends after Duration.
	Requests int64
	// Duration (-D) is the length of the measured window. When both
	// Requests and Duration are set, the run ends at whichever comes first.
	Duration time.Duration
	// WarmUp (--warm-up-time) runs load before the measured window; its
	// requests are not counted. Needs Duration, as in h2load.
	WarmUp time.Duration
	// Rate caps the request rate over all clients (requests/s); 0 = no cap.
	Rate float64

	// Body is the request body (h2load -d) or, in the echo modes, the
	// message echoed; empty means DefaultEchoSize bytes for echo modes.
	Body []byte
	// Headers are extra request headers (h2load -H); they replace the
	// request's own header of the same name (":authority" included).
	Headers []Header

	// Insecure skips the verification of the server's certificate in the
	// QUIC modes (cmd/bench --insecure), for servers with a self-signed
	// certificate such as cmd/echo's and the embedded default's. Off by
	// default: the certificate must verify for the target's host.
	Insecure bool

	ConnectTimeout time.Duration // default DefaultConnectTimeout
	// RequestTimeout fails a request that has no complete response in
	// this time; the connection it was on is closed (its other requests
	// fail too: an echo byte stream cannot resynchronise). Default
	// DefaultRequestTimeout.
	RequestTimeout time.Duration

	// Progress, when set, receives a live progress line (rewritten in
	// place with \r) every ProgressInterval (default 1 s).
	Progress         io.Writer
	ProgressInterval time.Duration
	// MaxInFlight bounds Clients × StreamsPerClient (default
	// DefaultMaxInFlight), so a typo in -c or -m cannot exhaust memory.
	MaxInFlight int64
	// TimelineSeconds bounds the per-second timeline kept in the report
	// (default DefaultTimelineSeconds); later seconds still count in the
	// totals.
	TimelineSeconds int
}

// Target is a parsed Config.Target.
type Target struct {
	Scheme    string // "http", "https" or "" for a bare address
	Addr      string // host:port to dial
	Authority string // :authority / Host
	Path      string // request path, "/" if absent
}

// ParseTarget splits a URL or host:port. It returns ErrBadTarget wrapped
// with the reason when the address has no port or the URL does not parse.
func ParseTarget(s string) (Target, error) {
	if s == "" {
		return Target{}, ErrNoTarget
	}
	if !strings.Contains(s, "://") {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return Target{}, fmt.Errorf("%w: %v", ErrBadTarget, err)
		}
		return Target{Addr: s, Authority: s, Path: "/"}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("%w: %v", ErrBadTarget, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Target{}, fmt.Errorf("%w: scheme %q", ErrBadTarget, u.Scheme)
	}
	if u.Host == "" {
		return Target{}, fmt.Errorf("%w: no host in %q", ErrBadTarget, s)
	}
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	path := u.RequestURI()
	if path == "" {
		path = "/"
	}
	return Target{Scheme: u.Scheme, Addr: addr, Authority: u.Host, Path: path}, nil
}

// withDefaults returns a copy with every zero knob replaced by its default.
func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeTCPEcho
		if strings.Contains(c.Target, "://") {
			c.Mode = ModeH2C
		}
	}
	if c.Clients == 0 {
		c.Clients = 1
	}
	if c.StreamsPerClient == 0 {
		c.StreamsPerClient = 1
	}
	if c.Threads == 0 {
		c.Threads = 1
	}
	if c.Threads > c.Clients && c.Clients > 0 {
		c.Threads = c.Clients
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = time.Second
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.TimelineSeconds == 0 {
		c.TimelineSeconds = DefaultTimelineSeconds
	}
	if len(c.Body) == 0 && c.Mode.echo() {
		c.Body = echoPattern(DefaultEchoSize)
	}
	return c
}

// Validate checks a Config after defaults are applied. It returns nil on
// success, or one of: ErrNoTarget, ErrBadTarget — the target does not
// parse; ErrBadCount — a count is negative or zero; ErrNoEnd — neither
// Requests nor Duration is set; ErrTooFew — fewer requests than clients;
// ErrTooMany — Clients × StreamsPerClient exceeds MaxInFlight;
// ErrWarmUpWithout — WarmUp without Duration; ErrUnknownMode.
func (c *Config) Validate() error {
	d := c.withDefaults()
	if _, err := ParseTarget(d.Target); err != nil {
		return err
	}
	if d.Clients < 0 || d.StreamsPerClient < 0 || d.Threads < 0 || d.Requests < 0 ||
		d.Duration < 0 || d.WarmUp < 0 || d.Rate < 0 || d.ConnectTimeout < 0 || d.RequestTimeout < 0 ||
		d.ProgressInterval < 0 || d.TimelineSeconds < 0 || d.MaxInFlight < 0 {
		return ErrBadCount
	}
	if d.Requests == 0 && d.Duration == 0 {
		return ErrNoEnd
	}
	if int64(d.Clients) > d.MaxInFlight/int64(max(d.StreamsPerClient, 1)) {
		return fmt.Errorf("%w: -c %d × -m %d > %d", ErrTooMany, d.Clients, d.StreamsPerClient, d.MaxInFlight)
	}
	if d.Requests > 0 && d.Requests < int64(d.Clients) {
		return fmt.Errorf("%w: -n %d, -c %d", ErrTooFew, d.Requests, d.Clients)
	}
	if d.WarmUp > 0 && d.Duration == 0 {
		return ErrWarmUpWithout
	}
	if _, ok := lookupDriver(d.Mode); !ok {
		return fmt.Errorf("%w: %q", ErrUnknownMode, d.Mode)
	}
	return nil
}

// echoPattern returns n bytes whose values cycle through a prime (251), so
// a message that arrives shifted by any amount smaller than 251 bytes does
// not match what was sent.
func echoPattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}
