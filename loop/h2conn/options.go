package h2conn

import (
	"time"

	"github.com/ngloop/ngloop/h2"
)

// ServerOptions configure a Server. The zero value gives the documented
// defaults; Session's zero fields take h2's defaults (h2.Options).
type ServerOptions struct {
	// Session configures every connection's h2.Session. The server always
	// sets NoAutoWindowUpdate (it credits received DATA itself, see
	// Stream.Consume) and NoRecvClientMagic when it must.
	Session h2.Options

	// IdleTimeout ends a connection that received nothing for this
	// long: with GOAWAY NO_ERROR when it has no open stream, and the
	// same way, open streams and all, when it has some (a client that
	// opens a request and goes silent holds no slot for ever; a reading
	// client sends WINDOW_UPDATEs, which count). Default 2 minutes;
	// negative disables it.
	IdleTimeout time.Duration
	// PrefaceTimeout bounds the time from accept to a complete
	// connection preface (or HTTP/1.1 upgrade request); a slow or silent
	// peer is closed. Default 10 seconds.
	PrefaceTimeout time.Duration
	// ShutdownPingTimeout is how long graceful shutdown waits for the
	// PING that follows the shutdown notice before sending the final
	// GOAWAY anyway (RFC 9113, Section 6.8: "at least one round-trip
	// time"). Default 1 second.
	ShutdownPingTimeout time.Duration

	// NoUpgrade turns off the HTTP/1.1 "Upgrade: h2c" entry (RFC 7540,
	// Section 3.2); only the prior-knowledge preface is accepted.
	NoUpgrade bool
	// MaxUpgradeHeaderSize bounds the HTTP/1.1 request head of an
	// upgrade (request line and header fields). Larger heads get 431 and
	// the connection closes. Default 16 KiB.
	MaxUpgradeHeaderSize int
	// MaxUpgradeBodySize bounds the body of an upgrade request, which is
	// read whole before switching (RFC 7540, Section 3.2). Larger bodies
	// get 413. Default 64 KiB.
	MaxUpgradeBodySize int

	// StreamBufferSize is the capacity of a streamed response's buffer
	// (Stream.Write). Default the larger of 64 KiB and the session's
	// initial window size, so an echo of the request body always fits.
	StreamBufferSize int
	// MaxConnBuffer bounds the streamed-response buffers one connection
	// holds at once (StreamBufferSize each). Without it, a client that
	// opens MaxConcurrentStreams requests for large bodies and reads
	// nothing pins that many full buffers for a few octets of HEADERS; with
	// it, a Write that would need one more buffer returns ErrWouldBlock and
	// OnWritable follows when another stream gives one back. Echoing
	// streams (ConsumeAsWritten) are counted but never refused: their data
	// came from the peer. Default the larger of 1 MiB and 4 buffers.
	MaxConnBuffer int
}

// Defaults for zero ServerOptions fields.
const (
	DefaultIdleTimeout          = 2 * time.Minute
	DefaultPrefaceTimeout       = 10 * time.Second
	DefaultShutdownPingTimeout  = time.Second
	DefaultMaxUpgradeHeaderSize = 16 << 10
	DefaultMaxUpgradeBodySize   = 64 << 10
	DefaultStreamBufferSize     = 64 << 10
	DefaultMaxConnBuffer        = 1 << 20
)

func (o ServerOptions) withDefaults() ServerOptions {
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.PrefaceTimeout <= 0 {
		o.PrefaceTimeout = DefaultPrefaceTimeout
	}
	if o.ShutdownPingTimeout <= 0 {
		o.ShutdownPingTimeout = DefaultShutdownPingTimeout
	}
	if o.MaxUpgradeHeaderSize <= 0 {
		o.MaxUpgradeHeaderSize = DefaultMaxUpgradeHeaderSize
	}
	if o.MaxUpgradeBodySize <= 0 {
		o.MaxUpgradeBodySize = DefaultMaxUpgradeBodySize
	}
	if o.StreamBufferSize <= 0 {
		o.StreamBufferSize = DefaultStreamBufferSize
	}
	if w := int(o.Session.InitialWindowSize); o.StreamBufferSize < w {
		o.StreamBufferSize = w
	}
	if o.MaxConnBuffer <= 0 {
		o.MaxConnBuffer = max(DefaultMaxConnBuffer, 4*o.StreamBufferSize)
	}
	o.Session.NoAutoWindowUpdate = true
	return o
}
