package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// startH2TLSEcho runs the h2tls service (self-signed certificate) on a
// fresh engine and returns its address.
func startH2TLSEcho(t *testing.T) string { return startService(t, listenH2TLS) }

// TestInteropXNetHTTP2OverTLS: x/net/http2 over TLS against the h2tls
// service: the self-signed certificate is ECDSA P-256, ALPN h2, GET and a
// POST echo with trailers.
func TestInteropXNetHTTP2OverTLS(t *testing.T) {
	addr := startH2TLSEcho(t)
	tr := &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	resp, err := cl.Get("https://" + addr + "/")
	if err != nil {
		t.Fatalf("GET / over TLS: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "Hello, world\n" || resp.TLS.NegotiatedProtocol != "h2" {
		t.Fatalf("GET / = %d %q ALPN %q, want 200 Hello over h2", resp.StatusCode, body, resp.TLS.NegotiatedProtocol)
	}
	key, ok := resp.TLS.PeerCertificates[0].PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		t.Fatalf("self-signed certificate key is %T, want ECDSA P-256", resp.TLS.PeerCertificates[0].PublicKey)
	}
	payload := bytes.Repeat([]byte("tls echo "), 50000)
	req, _ := http.NewRequest("POST", "https://"+addr+"/echo", bytes.NewReader(payload))
	req.Header.Set("te", "trailers")
	resp, err = cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, payload) || resp.Trailer.Get("x-echo-bytes") != strconv.Itoa(len(payload)) {
		t.Fatalf("POST /echo over TLS: %d octets (%v), trailer %q", len(got), err, resp.Trailer.Get("x-echo-bytes"))
	}
}

// TestInteropCurlH2TLS: curl --http2 -k against the h2tls service.
func TestInteropCurlH2TLS(t *testing.T) {
	curl := lookTool(t, "curl")
	addr := startH2TLSEcho(t)
	out, err := exec.Command(curl, "-sS", "-v", "-k", "--http2", "https://"+addr+"/").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "< HTTP/2 200") || !strings.Contains(string(out), "Hello, world") {
		t.Fatalf("curl --http2 -k (%v):\n%s", err, out)
	}
}
