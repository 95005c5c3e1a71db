package tlsconn

import (
	"crypto/tls"
	"errors"
	"os"
	"os/signal"
	"sync/atomic"
)

// Certs holds the server certificate behind an atomic pointer, so it can
// be replaced while connections handshake: each handshake reads the
// current one in GetCertificate, handshakes under way keep the one they
// got.
type Certs struct {
	cur               atomic.Pointer[tls.Certificate]
	certFile, keyFile string
}

// ErrNoCertificate: Certs has no certificate (GetCertificate), or
// Reload was called on Certs not loaded from files.
var ErrNoCertificate = errors.New("tlsconn: no certificate")

// LoadCerts reads a PEM certificate chain and key (tls.LoadX509KeyPair);
// Reload reads the same files again.
//
// Returns the Certs, or the error of tls.LoadX509KeyPair.
func LoadCerts(certFile, keyFile string) (*Certs, error) {
	c := &Certs{certFile: certFile, keyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// NewCerts returns Certs serving cert (Set replaces it).
func NewCerts(cert *tls.Certificate) *Certs {
	c := &Certs{}
	c.Set(cert)
	return c
}

// Set makes cert the certificate for new handshakes.
func (c *Certs) Set(cert *tls.Certificate) { c.cur.Store(cert) }

// Current returns the certificate new handshakes get.
func (c *Certs) Current() *tls.Certificate { return c.cur.Load() }

// Reload reads the files given to LoadCerts again and swaps the result
// in. On error the current certificate stays.
//
// Returns nil, ErrNoCertificate — not loaded from files, or the error of
// tls.LoadX509KeyPair.
func (c *Certs) Reload() error {
	if c.certFile == "" {
		return ErrNoCertificate
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	c.Set(&cert)
	return nil
}

// GetCertificate is a tls.Config.GetCertificate returning the current
// certificate.
func (c *Certs) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if cert := c.cur.Load(); cert != nil {
		return cert, nil
	}
	return nil, ErrNoCertificate
}

// ReloadOn calls Reload each time one of sigs arrives (SIGHUP, usually)
// and reports the result to report (may be nil), until stop is closed.
func (c *Certs) ReloadOn(stop <-chan struct{}, report func(error), sigs ...os.Signal) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ch:
				err := c.Reload()
				if report != nil {
					report(err)
				}
			case <-stop:
				return
			}
		}
	}()
}
