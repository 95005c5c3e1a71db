package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/ngloop/ngloop/internal/selfsigned"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/tlsconn"
)

// TestProxyTLSFrontend: x/net/http2's client speaks h2 over TLS to the
// proxy, which relays to h2c backends; a POST echo with trailers comes
// back intact, and a client offering only http/1.1 is refused.
func TestProxyTLSFrontend(t *testing.T) {
	a, b := twoBackends(t)
	px, err := New(Options{Backends: []string{a.addr, b.addr}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := selfsigned.New()
	if err != nil {
		t.Fatal(err)
	}
	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := px.ListenTLS(e, "tcp://127.0.0.1:0", tlsconn.NewCerts(cert), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	cl := &http.Client{Timeout: 20 * time.Second, Transport: &http2.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"},
	}}
	url := "https://" + ln.Addr().String()

	resp, body := get(t, cl, url+"/")
	if resp.StatusCode != 200 || string(body) != "Hello, world\n" {
		t.Fatalf("GET / over TLS = %d %q, want 200 hello", resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.TLS.NegotiatedProtocol != "h2" {
		t.Fatalf("the connection did not negotiate h2 over TLS: %+v", resp.TLS)
	}

	msg := strings.Repeat("through TLS and the proxy ", 40000) // ~1 MiB
	req, _ := http.NewRequest("POST", url+"/echo", strings.NewReader(msg))
	req.Header.Set("te", "trailers")
	resp, err = cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(got) != msg {
		t.Fatalf("POST /echo over TLS returned %d bytes (err %v), want the %d sent", len(got), err, len(msg))
	}
	if v := resp.Trailer.Get("x-echo-bytes"); v == "" {
		t.Errorf("the backend's trailer did not pass through the TLS frontend: %v", resp.Trailer)
	}

	// A client that offers only http/1.1 does not get an HTTP/2 session.
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
	if err == nil {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		if err == nil {
			var buf [64]byte
			var n int
			n, err = c.Read(buf[:])
			if err == nil {
				t.Fatalf("an http/1.1-only client got %q, want the connection closed", buf[:n])
			}
		}
		c.Close()
	}
}
