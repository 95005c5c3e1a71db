package tlsconn

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// TestInteropXNetHTTP2OverTLS drives h2conn.Echo behind a Handler with
// x/net/http2's Transport over TLS 1.3 and TLS 1.2: GET, a 1 MiB POST
// echo with trailers, a large GET, concurrent streams.
func TestInteropXNetHTTP2OverTLS(t *testing.T) {
	s := startServer(t, serverConfig{loops: 2, verify: true})
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		cl := s.h2Client()
		tr := cl.Transport.(interface{ CloseIdleConnections() })
		defer tr.CloseIdleConnections()
		setMaxVersion(cl, v)
		base := "https://" + s.addr

		resp, err := cl.Get(base + "/")
		if err != nil {
			t.Fatalf("GET / over TLS %x: %v", v, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "Hello, world\n" || resp.ProtoMajor != 2 {
			t.Fatalf("GET / = %d %q over HTTP/%d, want 200 Hello over HTTP/2", resp.StatusCode, body, resp.ProtoMajor)
		}
		if resp.TLS == nil || resp.TLS.Version != v || resp.TLS.NegotiatedProtocol != "h2" {
			t.Fatalf("GET / negotiated %+v, want TLS %x with ALPN h2", resp.TLS, v)
		}

		payload := make([]byte, 1<<20)
		rand.Read(payload)
		req, _ := http.NewRequest("POST", base+"/echo", bytes.NewReader(payload))
		req.Header.Set("te", "trailers")
		resp, err = cl.Do(req)
		if err != nil {
			t.Fatalf("POST /echo: %v", err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("POST /echo of 1 MiB over TLS returned %d octets (%v), want the same 1 MiB", len(got), err)
		}
		if tr := resp.Trailer.Get("x-echo-bytes"); tr != strconv.Itoa(len(payload)) {
			t.Fatalf("trailer x-echo-bytes = %q, want %d", tr, len(payload))
		}

		resp, err = cl.Get(base + "/bytes/" + strconv.Itoa(5<<20))
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != 5<<20 {
			t.Fatalf("GET /bytes/5MiB read %d (%v)", n, err)
		}

		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			go func(i int) {
				body := bytes.Repeat([]byte{byte(i)}, 20000+i)
				resp, err := cl.Post(base+"/echo", "application/octet-stream", bytes.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && !bytes.Equal(b, body) {
					err = io.ErrUnexpectedEOF
				}
				errs <- err
			}(i)
		}
		for i := 0; i < 40; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("concurrent echo over TLS: %v", err)
			}
		}
	}
	if got := s.h.Stats().Handshakes.Load(); got < 2 {
		t.Fatalf("Stats.Handshakes = %d, want at least 2", got)
	}
}

func setMaxVersion(cl *http.Client, v uint16) {
	tr := cl.Transport.(*http2Transport)
	tr.TLSClientConfig.MaxVersion = v
}

// TestInteropHTTP11OnlyClientRefused: crypto/tls lets a client offering
// only http/1.1 finish the handshake without ALPN (its "http/1.1
// fallback"); H2Verify then closes the connection with close_notify, no
// HTTP/2 frame sent.
func TestInteropHTTP11OnlyClientRefused(t *testing.T) {
	s := startServer(t, serverConfig{verify: true})
	c, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: s.roots(), NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if p := c.ConnectionState().NegotiatedProtocol; p != "" {
		t.Fatalf("negotiated %q, want no protocol", p)
	}
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	b, err := io.ReadAll(c)
	if err != nil || len(b) != 0 {
		t.Fatalf("read %q (%v), want a clean close_notify and nothing else", b, err)
	}
	waitStat(t, "Stats.Rejected", &s.h.Stats().Rejected, 1)
}

type http2Transport = http2.Transport
