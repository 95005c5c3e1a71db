package h2conn

import (
	"strings"
	"testing"
)

// TestServerUpgradeSmuggling: request heads that two HTTP/1.1 parsers
// could read two ways (RFC 9112, Section 11.2) get 400 and the
// connection closes, before any switch to HTTP/2. Each is otherwise a
// valid upgrade request.
func TestServerUpgradeSmuggling(t *testing.T) {
	ts := startEcho(t, nil)
	up := "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
	req := func(line, fields string) string { return line + "\r\nHost: x\r\n" + up + fields + "\r\n" }
	for _, c := range []struct{ name, req, want string }{
		{"differing Content-Length", req("POST /echo HTTP/1.1", "Content-Length: 0\r\nContent-Length: 5\r\n") + "hello", "400"},
		{"signed Content-Length", req("POST /echo HTTP/1.1", "Content-Length: +5\r\n") + "hello", "400"},
		{"Content-Length list", req("POST /echo HTTP/1.1", "Content-Length: 5, 5\r\n") + "hello", "400"},
		{"Content-Length with Transfer-Encoding", req("POST /echo HTTP/1.1", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n", "411"},
		{"bare LF inside a field", req("POST /echo HTTP/1.1", "X-A: a\nContent-Length: 5\r\n") + "hello", "400"},
		{"bare CR inside a field", req("GET / HTTP/1.1", "X-A: a\rb\r\n"), "400"},
		{"NUL in a value", req("GET / HTTP/1.1", "X-A: a\x00b\r\n"), "400"},
		{"obs-fold", req("GET / HTTP/1.1", "X-A: a\r\n b\r\n"), "400"},
		{"space before colon", req("GET / HTTP/1.1", "Content-Length : 5\r\n"), "400"},
		{"duplicate Host", req("GET / HTTP/1.1", "Host: y\r\n"), "400"},
		{"space in target", req("GET /a b HTTP/1.1", ""), "400"},
		{"control in target", req("GET /a\x01b HTTP/1.1", ""), "400"},
		{"control in method", req("G\x01T / HTTP/1.1", ""), "400"},
		{"separator in a name", req("GET / HTTP/1.1", "X(a): b\r\n"), "400"},
		{"settings not base64url", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: !!!!\r\n\r\n", "400"},
		{"settings not whole entries", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAA\r\n\r\n", "400"},
		{"settings with a bad value", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAIAAAAC\r\n\r\n", "400"},
		{"two settings fields", "GET / HTTP/1.1\r\nHost: x\r\n" + up + "HTTP2-Settings: AAMAAABk\r\n\r\n", "426"},
	} {
		got := h1(t, ts.addr, c.req)
		if !strings.HasPrefix(got, "HTTP/1.1 "+c.want+" ") {
			t.Errorf("%s: got %q, want %s", c.name, got, c.want)
		}
	}
	// The same length twice is one length.
	if got := h1(t, ts.addr, req("POST /echo HTTP/1.1", "Content-Length: 5\r\nContent-Length: 5\r\n")+"hello"); !strings.HasPrefix(got, "HTTP/1.1 101 ") {
		t.Errorf("repeated equal Content-Length: got %q, want 101", got)
	}
	checkServed(t, ts.addr)
}
