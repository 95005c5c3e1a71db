package h2conn

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/ngloop/ngloop/h2"
)

// The two ways into h2c on a fresh connection: the client connection
// preface (prior knowledge, RFC 9113, Section 3.3), or an HTTP/1.1
// request with "Upgrade: h2c" (RFC 7540, Section 3.2, as nghttpd and curl
// --http2 do it).

// sniff looks at the first bytes of a connection. It returns how many it
// consumed and whether the connection is decided (the session exists,
// or the connection is closing); until then the bytes stay in the loop's
// input buffer and come back with more.
func (sc *ServerConn) sniff(in []byte) (int, bool) {
	n := min(len(in), len(h2.ClientMagic))
	if string(in[:n]) == h2.ClientMagic[:n] {
		if n < len(h2.ClientMagic) {
			return 0, false
		}
		return sc.startPriorKnowledge()
	}
	if sc.srv.opt.NoUpgrade {
		// Let the session answer the bad preface with GOAWAY.
		return sc.startPriorKnowledge()
	}
	return sc.upgrade(in)
}

func (sc *ServerConn) startPriorKnowledge() (int, bool) {
	if err := sc.startSession(); err != nil {
		_ = sc.c.Abort(err)
		return 0, true
	}
	return 0, true
}

// h1Request is the parsed head of an HTTP/1.1 upgrade request.
type h1Request struct {
	method, target, host []byte
	settings             []byte
	upgradeH2C           bool
	connUpgrade          bool
	connSettings         bool
	nSettings            int
	chunked              bool
	contentLength        int64
	fields               [][2][]byte
}

// upgrade handles an HTTP/1.1 request: once its head and body are in, it
// answers 101 and starts the session with the request as stream 1, or
// refuses it.
func (sc *ServerConn) upgrade(in []byte) (int, bool) {
	opt := &sc.srv.opt
	if eol := bytes.Index(in, []byte("\r\n")); eol >= 0 && !isRequestLine(in[:eol]) {
		// Neither HTTP/2 nor HTTP/1.1: the session answers the bad
		// preface with GOAWAY PROTOCOL_ERROR (RFC 9113, Section 3.4).
		return sc.startPriorKnowledge()
	}
	end := bytes.Index(in[:min(len(in), opt.MaxUpgradeHeaderSize)], []byte("\r\n\r\n"))
	if end < 0 {
		if len(in) >= opt.MaxUpgradeHeaderSize {
			return sc.refuse(431, "Request Header Fields Too Large")
		}
		if bytes.IndexByte(in, '\n') < 0 || looksLikeHTTP1(in) {
			return 0, false
		}
		return sc.refuse(400, "Bad Request")
	}
	head := in[:end+4]
	var req h1Request
	if !parseH1(head[:end+2], &req) {
		return sc.refuse(400, "Bad Request")
	}
	if req.chunked {
		// The body must be read whole before switching; only a
		// Content-Length body is accepted, as nghttpd does.
		return sc.refuse(411, "Length Required")
	}
	if req.contentLength > int64(opt.MaxUpgradeBodySize) {
		return sc.refuse(413, "Content Too Large")
	}
	if !req.upgradeH2C || !req.connUpgrade || req.nSettings != 1 {
		return sc.refuse(426, "Upgrade Required")
	}
	total := len(head) + int(req.contentLength)
	if len(in) < total {
		return 0, false
	}
	body := in[len(head):total]
	payload, err := base64.RawURLEncoding.DecodeString(string(bytes.TrimRight(req.settings, "=")))
	if err != nil {
		return sc.refuse(400, "Bad Request")
	}
	if err := sc.startSession(); err != nil {
		_ = sc.c.Abort(err)
		return total, true
	}
	st := sc.newStream(1)
	if err := sc.s.Upgrade2(payload, string(req.method) == "HEAD", st); err != nil {
		sc.s = nil
		sc.closeStream(st, h2.Cancel)
		return sc.refuse(400, "Bad Request")
	}
	sc.srv.stats.Upgrades.Add(1)
	_, _ = sc.c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"))
	st.flags |= sfUpgrade | sfDelivered | sfEndRecv
	st.addField([]byte(":method"), req.method, false)
	st.addField([]byte(":path"), req.target, false)
	st.addField([]byte(":scheme"), []byte("http"), false)
	st.addField([]byte(":authority"), req.host, false)
	for _, f := range req.fields {
		st.addField(f[0], f[1], false)
	}
	// The request reaches the handler once the client's preface and
	// SETTINGS arrived: a response sent right behind the 101 could
	// overflow the buffer a client keeps for bytes following the 101
	// (curl's is 32 KiB).
	sc.upgraded = st
	sc.upgradeBody = append(sc.upgradeBody[:0], body...)
	return total, true
}

// deliverUpgraded hands the upgraded request (stream 1) to the handler.
func (sc *ServerConn) deliverUpgraded() {
	st := sc.upgraded
	sc.upgraded = nil
	if st.flags&sfClosed != 0 {
		return
	}
	sc.srv.stats.Requests.Add(1)
	sc.srv.h.OnRequest(st)
	if len(sc.upgradeBody) > 0 && st.flags&sfClosed == 0 {
		st.bodyRecv = int64(len(sc.upgradeBody))
		sc.srv.h.OnBody(st, sc.upgradeBody)
	}
	sc.upgradeBody = nil
	if st.flags&sfClosed == 0 {
		sc.srv.h.OnEnd(st)
	}
}

// isRequestLine reports whether line has the shape of an HTTP/1.x
// request line: method SP target SP HTTP-version.
func isRequestLine(line []byte) bool {
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	return sp1 > 0 && sp2 > sp1+1 && bytes.HasPrefix(line[sp2+1:], []byte("HTTP/1."))
}

func looksLikeHTTP1(in []byte) bool {
	for _, c := range in {
		if c == ' ' {
			return true
		}
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// refuse answers an HTTP/1.1 request this server will not serve and
// closes the connection.
func (sc *ServerConn) refuse(code int, reason string) (int, bool) {
	sc.srv.stats.Refused.Add(1)
	msg := "HTTP/1.1 " + strconv.Itoa(code) + " " + reason + "\r\nConnection: close\r\nContent-Length: 0\r\n"
	if code == 426 {
		msg += "Upgrade: h2c\r\n"
	}
	_, _ = sc.c.Write([]byte(msg + "\r\n"))
	_ = sc.c.Close()
	return 0, true
}

// parseH1 parses a request line and header fields (each line ending in
// CRLF). Field names are lower-cased in place. It is strict where a
// lenient reading would let a request mean two things to two parsers
// (request smuggling, RFC 9112, Sections 6.3 and 11.2): tokens must be
// tchars, the target and field values must hold no control characters
// (a bare CR or LF inside a line is refused, RFC 9110, Section 5.5),
// Content-Length must be digits only and agree when repeated, and Host
// may appear once (RFC 9112, Section 3.2).
func parseH1(head []byte, r *h1Request) bool {
	line, rest, ok := cutLine(head)
	if !ok {
		return false
	}
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	if sp1 <= 0 || sp2 <= sp1+1 || string(line[sp2+1:]) != "HTTP/1.1" {
		return false
	}
	r.method, r.target = line[:sp1], line[sp1+1:sp2]
	if len(r.target) == 0 || r.target[0] != '/' || !isToken(r.method) {
		return false // origin-form only (RFC 9112, Section 3.2.1)
	}
	for _, c := range r.target {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	r.contentLength = 0
	haveLength := false
	for len(rest) > 0 {
		line, rest, ok = cutLine(rest)
		if !ok {
			return false
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return false
		}
		name := line[:colon]
		if !isToken(name) {
			return false // also obs-fold and whitespace before the colon
		}
		for i, c := range name {
			if c >= 'A' && c <= 'Z' {
				name[i] = c + 'a' - 'A'
			}
		}
		value := bytes.Trim(line[colon+1:], " \t")
		for _, c := range value {
			if (c < ' ' && c != '\t') || c == 0x7f {
				return false
			}
		}
		switch string(name) {
		case "host":
			if r.host != nil {
				return false
			}
			r.host = value
			continue
		case "upgrade":
			r.upgradeH2C = r.upgradeH2C || hasToken(value, "h2c")
			continue
		case "connection":
			r.connUpgrade = r.connUpgrade || hasToken(value, "upgrade")
			r.connSettings = r.connSettings || hasToken(value, "http2-settings")
			continue
		case "http2-settings":
			r.settings = value
			r.nSettings++
			continue
		case "content-length":
			n, ok := parseDigits(value)
			if !ok || (haveLength && n != r.contentLength) {
				return false
			}
			if haveLength {
				continue // the same length again: carried once
			}
			r.contentLength, haveLength = n, true
		case "transfer-encoding":
			r.chunked = true
			continue
		case "keep-alive", "proxy-connection":
			continue // connection-specific: not carried into HTTP/2
		case "te":
			if !hasToken(value, "trailers") {
				continue
			}
			value = []byte("trailers")
		}
		r.fields = append(r.fields, [2][]byte{name, value})
	}
	return len(r.host) > 0
}

// parseDigits parses 1*DIGIT (RFC 9110, Section 8.6): no sign, no
// spaces, no list, and no more than fits an int64.
func parseDigits(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// isToken reports whether b is a non-empty token (RFC 9110, Section
// 5.6.2).
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isTchar(c) {
			return false
		}
	}
	return true
}

func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return c < 0x80 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 0 {
		return nil, nil, false
	}
	return b[:i], b[i+2:], true
}

// hasToken reports whether the comma-separated list v holds token
// (case-insensitive).
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		var item []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, nil
		}
		if bytes.EqualFold(bytes.Trim(item, " \t"), []byte(token)) {
			return true
		}
	}
	return false
}
