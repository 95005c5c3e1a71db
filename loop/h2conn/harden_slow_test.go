package h2conn

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ngloop/ngloop/h2"
)

// TestSlowlorisUpgrade: PrefaceTimeout bounds the whole client preface
// (RFC 9113, Section 3.4: the magic and a SETTINGS frame): an upgrade
// request whose head or body trickles in, an upgraded client that never
// sends the preface after the 101, and a prior-knowledge client that
// sends the magic but no SETTINGS (these were held until the SETTINGS
// ACK timeout or IdleTimeout).
func TestSlowlorisUpgrade(t *testing.T) {
	ts := startEcho(t, &ServerOptions{PrefaceTimeout: 300 * time.Millisecond})
	up := "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
	for _, c := range []struct{ name, head, trickle string }{
		{"trickled body", "POST /echo HTTP/1.1\r\nHost: x\r\n" + up + "Content-Length: 100\r\n\r\n", strings.Repeat("b", 100)},
		{"trickled head", "GET / HTTP/1.1\r\n", "X-A: " + strings.Repeat("a", 100)},
		{"no preface after 101", "GET / HTTP/1.1\r\nHost: x\r\n" + up + "\r\n", ""},
		{"magic without SETTINGS", h2.ClientMagic, ""},
		{"magic and a trickled SETTINGS", h2.ClientMagic, "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64"},
	} {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		io.WriteString(nc, c.head)
		closed := make(chan struct{})
		go func() {
			io.Copy(io.Discard, nc)
			close(closed)
		}()
	trickle:
		for i := 0; i < len(c.trickle); i++ {
			select {
			case <-closed:
				break trickle
			case <-time.After(50 * time.Millisecond):
				if _, err := nc.Write([]byte{c.trickle[i]}); err != nil {
					break trickle
				}
			}
		}
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: connection still open after %v", c.name, time.Since(start))
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("%s: closed after %v, want about PrefaceTimeout", c.name, d)
		}
		nc.Close()
	}
	checkServed(t, ts.addr)
}
