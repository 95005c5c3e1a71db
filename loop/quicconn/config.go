package quicconn

import (
	"crypto/rand"
	"crypto/tls"
	"errors"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/quic"
	"github.com/ngloop/ngloop/quic/lbcid"
)

// Errors returned by the glue. Compare with errors.Is.
var (
	// ErrWouldBlock is returned by Conn.Write when the stream's queued
	// output reached Config.StreamHighWater (or the connection's
	// Config.ConnHighWater); the bytes counted in n were taken.
	// Handler.OnStreamWritable follows once the queues drain to half. It
	// is loop.ErrWouldBlock.
	ErrWouldBlock = loop.ErrWouldBlock
	// ErrConnClosed is returned by calls on a connection that is closing,
	// draining or gone.
	ErrConnClosed = errors.New("quicconn: connection closed")
	// ErrStreamClosed is returned by Write on a stream that has no send
	// side, already ended (FIN queued), or was reset.
	ErrStreamClosed = errors.New("quicconn: stream closed for writing")
	// ErrHandshake is what a Dial whose connection closed before the
	// handshake completed returns, wrapped with the close reason.
	ErrHandshake = errors.New("quicconn: handshake failed")
	// ErrNoTLS is returned when Config.TLS is nil.
	ErrNoTLS = errors.New("quicconn: Config.TLS is required")
	// ErrNoHandler is returned by Listen when Config.Handler is nil.
	ErrNoHandler = errors.New("quicconn: Config.Handler is required")
	// ErrLoadBalancer: Config.LoadBalancer is invalid, or ServerID does
	// not fit it (see lbcid.Config).
	ErrLoadBalancer = errors.New("quicconn: invalid Config.LoadBalancer or ServerID")
)

// Config configures a Listener or a Client. Zero fields take the
// documented defaults.
type Config struct {
	// TLS carries certificates (server), ServerName or
	// InsecureSkipVerify (client), and the ALPN list in NextProtos. QUIC
	// needs TLS 1.3; older MinVersion values are raised.
	TLS *tls.Config
	// Handler receives the events of accepted connections (Listen). A
	// Client takes its handler per Dial.
	Handler Handler
	// Settings are passed to each quic.Conn; the glue picks the
	// connection IDs (Settings.SCID is ignored, Settings.CIDLen is used:
	// default 8, at least 4, see Route in doc.go).
	Settings quic.Settings
	// Params are the transport parameters sent to peers; zero means
	// quic.DefaultTransportParams.
	Params quic.TransportParams
	// UDP configures the listener's sockets; the glue sets Route.
	// A Client defaults to one socket.
	UDP loop.UDPConfig

	// MaxConns bounds the connections of the listener (all sockets
	// together), in any state. Initials beyond it are dropped
	// (Stats.Refused). Default 10000.
	MaxConns int
	// MaxHandshakes bounds the connections whose handshake is still in
	// progress, so a flood of Initials cannot hold many TLS stacks.
	// Default 1000.
	MaxHandshakes int
	// StreamHighWater bounds the bytes Conn.Write queues per stream ahead
	// of what the connection has taken (flow and congestion control
	// decide how fast that is). Default 256 KiB.
	StreamHighWater int
	// ConnHighWater bounds the bytes queued on all streams of a
	// connection together. Default 4 MiB.
	ConnHighWater int
	// MaxDatagramsPerFlush bounds the datagrams one connection writes in
	// one turn before the other connections of its loop get theirs.
	// Default 256.
	MaxDatagramsPerFlush int
	// ShutdownReason is the reason phrase of the CONNECTION_CLOSE
	// (application error 0) sent to every connection when the engine
	// stops. Default "server shutdown" / "client shutdown".
	ShutdownReason string
	// StatelessResetKey derives the stateless reset token of every
	// connection ID the endpoint issues (quic.StatelessResetTokenFor), so
	// a packet for a connection the endpoint forgot (after a restart, if
	// the key is kept; or on a sibling process sharing it) is answered
	// with a stateless reset (RFC 9000, Section 10.3). At least 16 secret
	// bytes; default random per endpoint.
	StatelessResetKey []byte
	// StatelessResetRate bounds the stateless resets each socket sends
	// per second (RFC 9000, Section 10.3.3 asks for a limit, so resets
	// cannot be used to amplify or to loop). Default 100; -1 sends none.
	StatelessResetRate int
	// LoadBalancer, when set, makes every connection ID the endpoint
	// issues carry a server ID a stateless balancer can read
	// (quic/lbcid): ServerID followed by one byte, the index of the
	// owning socket, so LoadBalancer.ServerIDLen must be len(ServerID)+1.
	// Settings.CIDLen becomes LoadBalancer.Len(). Route then reads the
	// socket from the decoded server ID.
	LoadBalancer *lbcid.Config
	// ServerID is this endpoint's part of the server ID under LoadBalancer.
	ServerID []byte

	// Retry makes a server answer every Initial without a valid token
	// with a Retry (RFC 9000, Section 8.1.2), so a Conn (and its TLS
	// stack) is created only for clients that proved their address.
	// Clients that got a NEW_TOKEN token earlier skip the Retry.
	Retry bool
	// TokenKey keys the Retry and NEW_TOKEN tokens (quic.TokenProtector);
	// 16 or 32 secret bytes, default random per endpoint. Servers that
	// share it accept each other's tokens.
	TokenKey []byte
	// RetryTokenLifetime bounds the age of a Retry token, default 10 s;
	// TokenLifetime that of a NEW_TOKEN token, default 24 h.
	RetryTokenLifetime, TokenLifetime quic.Duration
}

// Defaults for Config fields left zero.
const (
	DefaultMaxConns             = 10000
	DefaultMaxHandshakes        = 1000
	DefaultStreamHighWater      = 256 << 10
	DefaultConnHighWater        = 4 << 20
	DefaultMaxDatagramsPerFlush = 256
	DefaultCIDLen               = 8
	DefaultStatelessResetRate   = 100
)

func (c Config) withDefaults(server bool) Config {
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxHandshakes <= 0 {
		c.MaxHandshakes = DefaultMaxHandshakes
	}
	if c.StreamHighWater <= 0 {
		c.StreamHighWater = DefaultStreamHighWater
	}
	if c.ConnHighWater <= 0 {
		c.ConnHighWater = DefaultConnHighWater
	}
	if c.MaxDatagramsPerFlush <= 0 {
		c.MaxDatagramsPerFlush = DefaultMaxDatagramsPerFlush
	}
	if c.Settings.CIDLen == 0 {
		c.Settings.CIDLen = DefaultCIDLen
	}
	c.Settings.CIDLen = max(4, min(20, c.Settings.CIDLen))
	if len(c.StatelessResetKey) < 16 {
		c.StatelessResetKey = make([]byte, 32)
		_, _ = rand.Read(c.StatelessResetKey)
	}
	c.Settings.StatelessResetKey = c.StatelessResetKey
	if len(c.TokenKey) != 16 && len(c.TokenKey) != 32 {
		c.TokenKey = make([]byte, 32)
		_, _ = rand.Read(c.TokenKey)
	}
	if c.RetryTokenLifetime <= 0 {
		c.RetryTokenLifetime = 10 * quic.Seconds
	}
	if c.TokenLifetime <= 0 {
		c.TokenLifetime = 24 * 3600 * quic.Seconds
	}
	if c.StatelessResetRate == 0 {
		c.StatelessResetRate = DefaultStatelessResetRate
	}
	c.Settings.SCID = nil
	if c.ShutdownReason == "" {
		c.ShutdownReason = "server shutdown"
		if !server {
			c.ShutdownReason = "client shutdown"
		}
	}
	if !server && c.UDP.Sockets <= 0 {
		c.UDP.Sockets = 1
	}
	return c
}

// Stats are an endpoint's counters, summed over its sockets.
type Stats struct {
	Conns      int64  // connections alive now
	Handshakes int64  // of which the handshake is in progress
	Accepted   uint64 // server connections created
	Refused    uint64 // Initials dropped by MaxConns or MaxHandshakes
	VersionNeg uint64 // Version Negotiation packets sent
	Dropped    uint64 // datagrams that matched no connection and were not Initials
	Closed     uint64 // connections removed
	// StatelessResets sent for short-header packets of unknown connections.
	StatelessResets uint64
	// Retries sent, and Initials dropped for an invalid or expired token.
	Retries, TokensRejected uint64
}
