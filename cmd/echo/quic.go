package main

import (
	"crypto/tls"
	"errors"
	"flag"

	"github.com/ngloop/ngloop/internal/quicserve"
	"github.com/ngloop/ngloop/internal/selfsigned"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/quicconn"
)

// QUIC: stream echo under ALPN "echo" and HTTP/0.9 (hq-interop) file
// serving from -www, on the engine's UDP reactor through loop/quicconn.

var (
	quicWWW  = flag.String("www", "", `directory served over hq-interop ("" serves nothing)`)
	quicCert = flag.String("cert", "", "TLS certificate (PEM) for QUIC and h2tls; a self-signed one is made when empty")
	quicKey  = flag.String("key", "", "TLS private key (PEM) for -cert")
)

func init() {
	servers = append(servers, &server{
		name:        "quic",
		defaultAddr: "",
		usage:       "QUIC address (ALPN echo and hq-interop), e.g. 127.0.0.1:7443",
		listen:      listenQUIC,
	})
}

func listenQUIC(e *loop.Engine, addr string) (func() string, error) {
	ln, err := serveQUIC(e, addr, quicOptions{www: *quicWWW, certFile: *quicCert, keyFile: *quicKey})
	if err != nil {
		return nil, err
	}
	return func() string { return ln.Addr().String() }, nil
}

// quicOptions are the QUIC server's settings from flags (or a test).
type quicOptions struct {
	www               string
	certFile, keyFile string
	cert              *tls.Certificate // overrides the files
}

// ALPN protocol IDs served.
const (
	alpnEcho = quicserve.ALPNEcho
	alpnHQ   = quicserve.ALPNHQ
)

// serveQUIC adds the QUIC listener (package internal/quicserve) to e.
func serveQUIC(e *loop.Engine, addr string, o quicOptions) (*quicconn.Listener, error) {
	cert := o.cert
	if cert == nil {
		var err error
		if cert, err = loadOrMakeCert(o.certFile, o.keyFile); err != nil {
			return nil, err
		}
	}
	return quicserve.Listen(e, addr, quicserve.Options{WWW: o.www, Cert: cert})
}

// loadOrMakeCert loads certFile/keyFile or, when certFile is empty,
// makes a self-signed ECDSA P-256 certificate for localhost, 127.0.0.1
// and ::1, valid for a day.
func loadOrMakeCert(certFile, keyFile string) (*tls.Certificate, error) {
	if certFile != "" {
		if keyFile == "" {
			return nil, errors.New("-cert needs -key")
		}
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		return &c, err
	}
	return selfsigned.New()
}
