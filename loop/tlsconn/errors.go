package tlsconn

import "errors"

// Errors a Handler reports (OnClose of the inner handler never sees them:
// it is opened only after a successful handshake). Compare with
// errors.Is.
var (
	// ErrHandshakeTimeout: the handshake did not finish within
	// Options.HandshakeTimeout.
	ErrHandshakeTimeout = errors.New("tlsconn: handshake timeout")
	// ErrNotTLS: the first bytes are not a TLS ClientHello, or it is
	// larger than Options.MaxHelloSize.
	ErrNotTLS = errors.New("tlsconn: not a TLS ClientHello")
	// ErrHandshakeFailed: the OnClose error (wrapping the cause) a
	// client's inner handler gets when its handshake failed.
	ErrHandshakeFailed = errors.New("tlsconn: handshake failed")
	// ErrBusy: Options.MaxPending handshakes already wait for a worker.
	ErrBusy = errors.New("tlsconn: too many pending handshakes")
	// ErrNoConfig: NewServer or NewClient got a nil inner handler or
	// tls.Config.
	ErrNoConfig = errors.New("tlsconn: nil handler or tls.Config")
	// ErrInadequateSecurity: the negotiated TLS parameters break RFC
	// 9113, Section 9.2 (version, cipher suite) or ALPN is not "h2".
	ErrInadequateSecurity = errors.New("tlsconn: TLS parameters inadequate for HTTP/2")
)
