package h2conn

import (
	"bytes"
	"testing"
)

// FuzzParseH1 feeds arbitrary request heads to the HTTP/1.1 parser of the
// upgrade path: it must not panic, and what it accepts must be a request
// line with a token method and an origin-form target free of controls
// and spaces, a Host, lower-case token field names and values without
// CR, LF or NUL (nothing a second parser could split differently).
func FuzzParseH1(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"))
	f.Add([]byte("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTE: trailers, deflate\r\n"))
	f.Add([]byte("GET  HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		var r h1Request
		in := bytes.Clone(head)
		if !parseH1(in, &r) {
			return
		}
		if len(r.host) == 0 || len(r.target) == 0 || r.target[0] != '/' || r.contentLength < 0 {
			t.Fatalf("accepted %q with host %q target %q length %d", head, r.host, r.target, r.contentLength)
		}
		if !isToken(r.method) || bytes.ContainsAny(r.target, " \t\r\n\x00") {
			t.Fatalf("accepted %q with method %q target %q", head, r.method, r.target)
		}
		for _, fv := range r.fields {
			if !bytes.Equal(fv[0], bytes.ToLower(fv[0])) || !isToken(fv[0]) {
				t.Fatalf("field name %q not a lower-cased token", fv[0])
			}
			if bytes.ContainsAny(fv[1], "\r\n\x00") {
				t.Fatalf("field value %q holds CR, LF or NUL", fv[1])
			}
		}
	})
}

func TestHasToken(t *testing.T) {
	for _, c := range []struct {
		list, token string
		want        bool
	}{
		{"Upgrade, HTTP2-Settings", "upgrade", true},
		{"keep-alive,upgrade", "upgrade", true},
		{" h2c ", "h2c", true},
		{"h2c-14", "h2c", false},
		{"", "h2c", false},
		{"trailers;q=1", "trailers", false},
	} {
		if got := hasToken([]byte(c.list), c.token); got != c.want {
			t.Errorf("hasToken(%q, %q) = %v, want %v", c.list, c.token, got, c.want)
		}
	}
}
