package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/h2conn"
	"github.com/ngloop/ngloop/loop/tlsconn"
)

// HTTP/2 over TLS: the h2c echo service (h2c.go) behind loop/tlsconn, with
// the certificate of -cert/-key (shared with QUIC) or a self-signed one.
// SIGHUP reloads -cert/-key for new connections.

func init() {
	servers = append(servers, &server{
		name:        "h2tls",
		defaultAddr: "",
		usage:       "HTTP/2 over TLS echo address, e.g. 127.0.0.1:7002",
		listen:      listenH2TLS,
	})
}

var (
	h2tlsHandler *tlsconn.Handler // for tests
	h2tlsServer  *h2conn.Server   // for -stats
)

func listenH2TLS(e *loop.Engine, addr string) (func() string, error) {
	certs, err := h2tlsCerts(*quicCert, *quicKey)
	if err != nil {
		return nil, err
	}
	srv, err := h2conn.NewServer(&h2conn.Echo{MaxBytes: *h2cMaxBytes}, &h2conn.ServerOptions{
		Session: h2.Options{MaxConcurrentStreams: uint32(*h2cMaxStreams)},
	})
	if err != nil {
		return nil, err
	}
	h2tlsServer = srv
	th, err := tlsconn.NewServer(srv, tlsconn.ServerConfig(certs), &tlsconn.Options{Verify: tlsconn.H2Verify})
	if err != nil {
		return nil, err
	}
	h2tlsHandler = th
	ln, err := e.Listen(addr, th)
	if err != nil {
		return nil, err
	}
	return func() string { return ln.Addr().String() }, nil
}

// h2tlsCerts loads certFile/keyFile, reloaded on SIGHUP, or makes a
// self-signed certificate (loadOrMakeCert in quic.go) when certFile is
// empty.
func h2tlsCerts(certFile, keyFile string) (*tlsconn.Certs, error) {
	if certFile == "" {
		cert, err := loadOrMakeCert("", "")
		if err != nil {
			return nil, err
		}
		return tlsconn.NewCerts(cert), nil
	}
	if keyFile == "" {
		return nil, fmt.Errorf("-cert needs -key")
	}
	certs, err := tlsconn.LoadCerts(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	certs.ReloadOn(nil, func(err error) {
		if err != nil {
			fmt.Fprintln(os.Stderr, "echo: SIGHUP: certificate reload failed, keeping the old one:", err)
			return
		}
		fmt.Fprintln(os.Stderr, "echo: SIGHUP: certificate reloaded")
	}, syscall.SIGHUP)
	return certs, nil
}
