package tlsconn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/h2conn"
)

// testCert makes a self-signed ECDSA P-256 certificate for 127.0.0.1
// and localhost named cn.
func testCert(t testing.TB, cn string) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// writeCertFiles writes cert as PEM files in dir and returns their paths.
func writeCertFiles(t testing.TB, dir string, cert *tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	kd, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// Write to temporary names and rename, as a deployment would, so a
	// reload never reads half a file.
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{certFile, "CERTIFICATE", cert.Certificate[0]}, {keyFile, "PRIVATE KEY", kd}} {
		tmp := f.path + ".tmp"
		if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.path); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// server is an engine serving h2conn.Echo over TLS.
type server struct {
	addr  string
	h     *Handler
	certs *Certs
	cert  *tls.Certificate
	e     *loop.Engine
}

type serverConfig struct {
	loops   int
	opt     Options
	tls     *tls.Config  // nil: ServerConfig(certs)
	inner   loop.Handler // nil: h2conn.Echo
	engine  loop.Options // Loops is set from loops
	certs   *Certs       // nil: a fresh self-signed certificate
	verify  bool         // Options.Verify = H2Verify
	mutator func(*tls.Config)
}

func startServer(t testing.TB, sc serverConfig) *server {
	t.Helper()
	s := &server{certs: sc.certs}
	if s.certs == nil {
		s.cert = testCert(t, "ngloop test")
		s.certs = NewCerts(s.cert)
	}
	cfg := sc.tls
	if cfg == nil {
		cfg = ServerConfig(s.certs)
	}
	if sc.mutator != nil {
		sc.mutator(cfg)
	}
	inner := sc.inner
	if inner == nil {
		srv, err := h2conn.NewServer(&h2conn.Echo{MaxBytes: 1 << 30}, nil)
		if err != nil {
			t.Fatal(err)
		}
		inner = srv
	}
	opt := sc.opt
	if sc.verify {
		opt.Verify = H2Verify
	}
	h, err := NewServer(inner, cfg, &opt)
	if err != nil {
		t.Fatal(err)
	}
	s.h = h
	eo := sc.engine
	eo.Loops = max(sc.loops, 1)
	e, err := loop.NewEngine(eo)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := e.Listen("tcp://127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	s.e = e
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	s.addr = ln.Addr().String()
	return s
}

// roots returns a cert pool trusting s's certificate.
func (s *server) roots() *x509.CertPool { return x509Pool(s.certs.Current()) }

func x509Pool(cert *tls.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(cert.Leaf)
	return p
}

// h2Client is x/net/http2's Transport over TLS, trusting s's certificate.
func (s *server) h2Client() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: &http2.Transport{
		TLSClientConfig: &tls.Config{RootCAs: s.roots(), NextProtos: []string{"h2"}},
	}}
}
