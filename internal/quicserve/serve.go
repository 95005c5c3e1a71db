package quicserve

import (
	"crypto/tls"

	"github.com/ngloop/ngloop/internal/selfsigned"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/quicconn"
	"github.com/ngloop/ngloop/quic"
)

// ALPN protocol IDs served.
const (
	ALPNEcho = "echo"
	ALPNHQ   = "hq-interop"
)

// DefaultMaxStreamsBidi is the bidirectional streams a client may open at
// once (initial_max_streams_bidi) unless Options.MaxStreamsBidi says
// otherwise: enough for a benchmark client's -m without waiting for
// MAX_STREAMS after every stream.
const DefaultMaxStreamsBidi = 1000

// Options configure Listen. The zero value serves echo, refuses every
// hq-interop request, and uses a self-signed certificate.
type Options struct {
	// WWW is the directory served over hq-interop; "" serves nothing
	// (every request's stream is reset).
	WWW string
	// Cert is the server certificate; nil makes a self-signed one.
	Cert *tls.Certificate
	// MaxStreamsBidi is initial_max_streams_bidi; default DefaultMaxStreamsBidi.
	MaxStreamsBidi uint64
}

// Listen adds a QUIC listener on addr to engine e (before e.Start) that
// serves Echo under ALPN "echo" and files from o.WWW under "hq-interop".
//
// Returns the listener, or one of: an error making the certificate or
// opening o.WWW; quicconn.Listen's errors.
func Listen(e *loop.Engine, addr string, o Options) (*quicconn.Listener, error) {
	cert := o.Cert
	if cert == nil {
		var err error
		if cert, err = selfsigned.New(); err != nil {
			return nil, err
		}
	}
	hq, err := newHQServer(o.WWW)
	if err != nil {
		return nil, err
	}
	settings := quic.Settings{ManualFlowControl: true, MaxTxUDPPayloadSize: 1452}
	params := quic.DefaultTransportParams()
	params.InitialMaxStreamsBidi = o.MaxStreamsBidi
	if params.InitialMaxStreamsBidi == 0 {
		params.InitialMaxStreamsBidi = DefaultMaxStreamsBidi
	}
	return quicconn.Listen(e, addr, &quicconn.Config{
		TLS: &tls.Config{
			Certificates: []tls.Certificate{*cert},
			NextProtos:   []string{ALPNEcho, ALPNHQ},
			MinVersion:   tls.VersionTLS13,
		},
		Handler:  &mux{hq: hq},
		Settings: settings,
		Params:   params,
	})
}

// mux picks the application by ALPN once the handshake is done.
type mux struct {
	quicconn.BaseHandler
	hq *hqServer
}

func (m *mux) OnHandshake(c *quicconn.Conn) {
	switch c.ALPN() {
	case ALPNHQ:
		c.SetHandler(m.hq)
	default:
		c.SetHandler(&Echo{})
	}
	c.Handler().OnHandshake(c)
}
