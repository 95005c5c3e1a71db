package tlsconn

import (
	"crypto/tls"
	"runtime"
	"time"

	"github.com/ngloop/ngloop/loop"
)

// Options configure a Handler. Zero fields take the defaults below.
type Options struct {
	// HandshakeTimeout bounds the time from accept (or connect) to the
	// end of the handshake, waiting for a worker included. A peer that
	// stalls is closed with ErrHandshakeTimeout. Default 10 seconds.
	HandshakeTimeout time.Duration
	// MaxHandshakes is the number of handshake workers: handshakes that
	// run at once. A worker waiting for the peer's next flight holds its
	// place until the peer answers or HandshakeTimeout, but no CPU (see
	// HandshakeCPU): a waiting handshake costs a goroutine and
	// crypto/tls's state, some tens of KiB. Default 256.
	MaxHandshakes int
	// HandshakeCPU is how many workers may compute at once (run
	// crypto/tls between waits for the peer); the others wait for a
	// turn. It keeps a handshake storm from taking the CPU the event
	// loops need. Default GOMAXPROCS/2, at least 1.
	HandshakeCPU int
	// MaxPending bounds connections waiting for a worker with their
	// ClientHello complete; past it new handshakes are refused (closed,
	// Stats.Refused). Default 1024.
	MaxPending int
	// MaxHelloSize bounds the ClientHello message; a larger one closes
	// the connection (ErrNotTLS). Default 16 KiB.
	MaxHelloSize int
	// MaxHandshakeBytes bounds the peer's bytes buffered for the
	// handshake worker; past it reading pauses until the handshake ends
	// (application data sent right behind the client's Finished waits
	// in the loop's input). Default 64 KiB.
	MaxHandshakeBytes int
	// PlainBufferSize is the decrypted input held for the inner handler
	// (taken from the loop's pool while non-empty). Default 32 KiB, at
	// least 16 KiB (one record).
	PlainBufferSize int

	// Verify, if set, runs on the loop after a successful handshake,
	// before the inner handler's OnOpen. It may write to c (through the
	// TLS layer); a non-nil error closes the connection gracefully and
	// the inner handler never sees it. H2Verify is the HTTP/2 check.
	Verify func(c *loop.Conn, cs *tls.ConnectionState) error
}

// Defaults for zero Options fields.
const (
	DefaultHandshakeTimeout  = 10 * time.Second
	DefaultMaxHandshakes     = 256
	DefaultMaxPending        = 1024
	DefaultMaxHelloSize      = 16 << 10
	DefaultMaxHandshakeBytes = 64 << 10
	DefaultPlainBufferSize   = 32 << 10
)

func (o Options) withDefaults() Options {
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.MaxHandshakes <= 0 {
		o.MaxHandshakes = DefaultMaxHandshakes
	}
	if o.HandshakeCPU <= 0 {
		o.HandshakeCPU = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.MaxHelloSize <= 0 {
		o.MaxHelloSize = DefaultMaxHelloSize
	}
	if o.MaxHandshakeBytes <= 0 {
		o.MaxHandshakeBytes = DefaultMaxHandshakeBytes
	}
	if o.MaxHandshakeBytes < o.MaxHelloSize+recordHeaderLen*8 {
		o.MaxHandshakeBytes = o.MaxHelloSize + recordHeaderLen*8
	}
	if o.PlainBufferSize <= 0 {
		o.PlainBufferSize = DefaultPlainBufferSize
	}
	// Reads need room for a whole record's plaintext (handler.go, recv).
	o.PlainBufferSize = max(o.PlainBufferSize, maxPlaintext)
	return o
}
