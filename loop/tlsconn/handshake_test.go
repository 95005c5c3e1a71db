package tlsconn

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// clientHello returns the first flight of a crypto/tls client: one
// record holding its ClientHello.
func clientHello(t *testing.T) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer b.Close()
	go func() {
		_ = tls.Client(a, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}}).Handshake()
		a.Close()
	}()
	buf := make([]byte, 32<<10)
	n, err := b.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if scanHello(buf[:n], DefaultMaxHelloSize) != helloComplete {
		t.Fatalf("captured %d bytes are not a complete ClientHello", n)
	}
	return buf[:n]
}

// getOK fetches / over a new TLS connection and fails the test unless it
// answers 200 within a few seconds.
func getOK(t *testing.T, s *server, why string) {
	t.Helper()
	cl := s.h2Client()
	cl.Timeout = 5 * time.Second
	defer cl.Transport.(*http2.Transport).CloseIdleConnections()
	resp, err := cl.Get("https://" + s.addr + "/")
	if err != nil {
		t.Fatalf("%s: GET / failed: %v", why, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: GET / = %d", why, resp.StatusCode)
	}
}

// waitClosed reads c until the server closes it and returns how long
// that took.
func waitClosed(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server did not close the stalled connection within %v", limit)
	}
	return time.Since(start)
}

// TestHandshakeStallDoesNotBlockLoop: a client that stops in the middle
// of its handshake (half a ClientHello, or a whole one and then nothing)
// does not hold up the loop: on a one-loop engine a second client is
// served meanwhile, and the stalled one is closed at HandshakeTimeout.
func TestHandshakeStallDoesNotBlockLoop(t *testing.T) {
	hello := clientHello(t)
	for _, tc := range []struct {
		name string
		sent []byte
	}{
		{"partial ClientHello", hello[:len(hello)/2]},
		{"whole ClientHello, no Finished", hello},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			const timeout = 700 * time.Millisecond
			s := startServer(t, serverConfig{loops: 1, verify: true, opt: Options{HandshakeTimeout: timeout}})
			c, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(tc.sent); err != nil {
				t.Fatal(err)
			}
			getOK(t, s, "while another client stalls in its handshake ("+tc.name+")")
			if took := waitClosed(t, c, 10*time.Second); took > 5*time.Second {
				t.Fatalf("stalled connection closed after %v, want about %v", took, timeout)
			}
			if got := s.h.Stats().Timeouts.Load(); got != 1 {
				t.Fatalf("Stats.Timeouts = %d, want 1", got)
			}
		})
	}
}

// TestHandshakePoolBounds: with one worker and one pending place, a
// third stalled handshake is refused, and the pool frees up when the
// stalled ones time out.
func TestHandshakePoolBounds(t *testing.T) {
	hello := clientHello(t)
	s := startServer(t, serverConfig{verify: true, opt: Options{
		HandshakeTimeout: 3 * time.Second, MaxHandshakes: 1, MaxPending: 1}})
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write(hello)
		conns = append(conns, c)
		time.Sleep(50 * time.Millisecond) // in order: worker, queue, refused
	}
	if took := waitClosed(t, conns[2], 5*time.Second); took > 1500*time.Millisecond {
		t.Fatalf("third handshake closed after %v, want at once (pool and queue full), not at the 3 s timeout", took)
	}
	waitStat(t, "Stats.Refused", &s.h.Stats().Refused, 1)
	waitClosed(t, conns[0], 5*time.Second)
	waitClosed(t, conns[1], 5*time.Second)
	getOK(t, s, "after the stalled handshakes timed out")
	if p := s.h.Pending(); p != 0 {
		t.Fatalf("Pending() = %d after the queue drained, want 0", p)
	}
}

// TestNotTLSRefused: plaintext HTTP on the TLS port is closed at once.
func TestNotTLSRefused(t *testing.T) {
	s := startServer(t, serverConfig{verify: true})
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	waitClosed(t, c, 5*time.Second)
	waitStat(t, "Stats.Refused", &s.h.Stats().Refused, 1)
}

// TestCertReload: Reload swaps the certificate for new connections; a
// connection made before keeps working.
func TestCertReload(t *testing.T) {
	dir := t.TempDir()
	first, second := testCert(t, "first"), testCert(t, "second")
	cf, kf := writeCertFiles(t, dir, first)
	certs, err := LoadCerts(cf, kf)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverConfig{certs: certs, verify: true})
	peer := func() (*tls.Conn, string) {
		c, err := tls.Dial("tcp", s.addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatal(err)
		}
		return c, c.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	old, cn := peer()
	defer old.Close()
	if cn != "first" {
		t.Fatalf("first connection got certificate %q, want %q", cn, "first")
	}
	writeCertFiles(t, dir, second)
	if err := certs.Reload(); err != nil {
		t.Fatal(err)
	}
	c, cn := peer()
	c.Close()
	if cn != "second" {
		t.Fatalf("after Reload a new connection got certificate %q, want %q", cn, "second")
	}
	// The old connection still speaks HTTP/2: send the preface and read
	// the server's SETTINGS.
	old.SetDeadline(time.Now().Add(5 * time.Second))
	old.Write([]byte(http2.ClientPreface))
	fr := http2.NewFramer(old, old)
	fr.WriteSettings()
	f, err := fr.ReadFrame()
	if err != nil || f.Header().Type != http2.FrameSettings {
		t.Fatalf("old connection after Reload: first frame %v (%v), want SETTINGS", f, err)
	}
	os.WriteFile(cf, []byte("not a certificate"), 0o600)
	if err := certs.Reload(); err == nil {
		t.Fatal("Reload of a broken file succeeded")
	}
	if certs.Current().Leaf.Subject.CommonName != "second" {
		t.Fatal("a failed Reload replaced the certificate")
	}
}

// TestBlocklistedSuiteRefused: a TLS 1.2 client offering only a suite on
// RFC 9113's blocklist fails the handshake against ServerConfig.
func TestBlocklistedSuiteRefused(t *testing.T) {
	s := startServer(t, serverConfig{verify: true})
	_, err := tls.Dial("tcp", s.addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"},
		MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}})
	if err == nil || !strings.Contains(err.Error(), "handshake failure") {
		t.Fatalf("TLS 1.2 handshake with only ECDHE-ECDSA-AES128-SHA: %v, want a handshake_failure alert", err)
	}
	waitStat(t, "Stats.Failed", &s.h.Stats().Failed, 1)
}

// TestBlocklistedSuiteInadequateSecurity: when the server's own config
// allows a blocklisted suite, H2Verify answers the connection with the
// server preface and GOAWAY INADEQUATE_SECURITY (RFC 9113, Section
// 9.2.2).
func TestBlocklistedSuiteInadequateSecurity(t *testing.T) {
	s := startServer(t, serverConfig{verify: true, mutator: func(c *tls.Config) {
		c.CipherSuites = append(c.CipherSuites, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)
	}})
	c, err := tls.Dial("tcp", s.addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"},
		MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fr := http2.NewFramer(c, c)
	f, err := fr.ReadFrame()
	if err != nil || f.Header().Type != http2.FrameSettings {
		t.Fatalf("first frame %v (%v), want SETTINGS", f, err)
	}
	f, err = fr.ReadFrame()
	ga, ok := f.(*http2.GoAwayFrame)
	if err != nil || !ok || ga.ErrCode != http2.ErrCodeInadequateSecurity {
		t.Fatalf("second frame %v (%v), want GOAWAY INADEQUATE_SECURITY", f, err)
	}
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Fatalf("after GOAWAY: %v, want a clean close (close_notify)", err)
	}
	waitStat(t, "Stats.Rejected", &s.h.Stats().Rejected, 1)
}

// waitStat waits up to 5 s for a counter the loop updates after the peer
// already saw the outcome.
func waitStat(t *testing.T, name string, v interface{ Load() int64 }, want int64) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); v.Load() != want && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	if got := v.Load(); got != want {
		t.Fatalf("%s = %d, want %d", name, got, want)
	}
}

// TestCorruptRecordClosesConnection: after the handshake, a record that
// fails authentication gets crypto/tls's bad_record_mac alert and the
// connection closes; the engine goes on serving others.
func TestCorruptRecordClosesConnection(t *testing.T) {
	s := startServer(t, serverConfig{loops: 1, verify: true})
	raw, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c := tls.Client(raw, &tls.Config{RootCAs: s.roots(), ServerName: "127.0.0.1", NextProtos: []string{"h2"}})
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	bogus := append([]byte{23, 3, 3, 0, 40}, bytes.Repeat([]byte{0x5a}, 40)...)
	raw.Write(bogus)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadAll(c)
	if err == nil || !strings.Contains(err.Error(), "bad record MAC") {
		t.Fatalf("after a corrupt record: %v, want the bad_record_mac alert", err)
	}
	getOK(t, s, "after another connection sent a corrupt record")
}
