package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/quicconn"
	"github.com/ngloop/ngloop/quic"
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
	alpnEcho = "echo"
	alpnHQ   = "hq-interop"
)

// serveQUIC adds the QUIC listener to e.
func serveQUIC(e *loop.Engine, addr string, o quicOptions) (*quicconn.Listener, error) {
	cert := o.cert
	if cert == nil {
		var err error
		if cert, err = loadOrMakeCert(o.certFile, o.keyFile); err != nil {
			return nil, err
		}
	}
	hq, err := newHQServer(o.www)
	if err != nil {
		return nil, err
	}
	settings := quic.Settings{ManualFlowControl: true, MaxTxUDPPayloadSize: 1452}
	params := quic.DefaultTransportParams()
	params.InitialMaxStreamsBidi = 1000
	return quicconn.Listen(e, addr, &quicconn.Config{
		TLS: &tls.Config{
			Certificates: []tls.Certificate{*cert},
			NextProtos:   []string{alpnEcho, alpnHQ},
			MinVersion:   tls.VersionTLS13,
		},
		Handler:  &quicMux{hq: hq},
		Settings: settings,
		Params:   params,
	})
}

// quicMux picks the application by ALPN once the handshake is done.
type quicMux struct {
	quicconn.BaseHandler
	hq *hqServer
}

func (m *quicMux) OnHandshake(c *quicconn.Conn) {
	switch c.ALPN() {
	case alpnHQ:
		c.SetHandler(m.hq)
	default:
		c.SetHandler(&echoHandler{})
	}
	c.Handler().OnHandshake(c)
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
	return selfSigned()
}

func selfSigned() (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "ngloop echo"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
