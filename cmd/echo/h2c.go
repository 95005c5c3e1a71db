package main

import (
	"bytes"
	"flag"
	"strconv"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/h2conn"
)

var (
	h2cMaxBytes   = flag.Int64("h2c-max-bytes", 1<<30, "largest N served by GET /bytes/N on h2c")
	h2cMaxStreams = flag.Uint("h2c-max-streams", 100, "SETTINGS_MAX_CONCURRENT_STREAMS of h2c connections")
)

func init() {
	servers = append(servers, &server{
		name:        "h2c",
		defaultAddr: "127.0.0.1:7001",
		usage:       "HTTP/2 cleartext (h2c) echo address",
		listen:      listenH2C,
	})
}

var h2cServer *h2conn.Server // for -stats

func listenH2C(e *loop.Engine, addr string) (func() string, error) {
	srv, err := h2conn.NewServer(&H2Echo{MaxBytes: *h2cMaxBytes}, &h2conn.ServerOptions{
		Session: h2.Options{MaxConcurrentStreams: uint32(*h2cMaxStreams)},
	})
	if err != nil {
		return nil, err
	}
	h2cServer = srv
	ln, err := srv.Listen(e, addr)
	if err != nil {
		return nil, err
	}
	return func() string { return ln.Addr().String() }, nil
}

// H2Echo is the h2c echo service:
//
//	GET /         200 "Hello, world\n"
//	POST /        200 "Hello, world\n" (the request body is read and dropped)
//	GET /bytes/N  200 with N octets (N <= MaxBytes, else 400)
//	POST /echo    200 streaming the request body back as it arrives
//	anything else 404
//
// A request with "te: trailers" gets a response ending in the trailer
// x-echo-bytes: <response body length>. Everything runs on the loop and
// allocates nothing per request.
type H2Echo struct {
	h2conn.BaseHandler
	MaxBytes int64
}

var (
	helloBody    = []byte("Hello, world\n")
	notFoundBody = []byte("not found\n")
	badBody      = []byte("bad request\n")
	pattern      = bytes.Repeat([]byte("0123456789abcdef"), 1024)

	hdrTextPlain   = []h2.NV{{Name: []byte("content-type"), Value: []byte("text/plain"), Flags: h2.NVFlagNoCopyName | h2.NVFlagNoCopyValue}}
	hdrOctetStream = []h2.NV{{Name: []byte("content-type"), Value: []byte("application/octet-stream"), Flags: h2.NVFlagNoCopyName | h2.NVFlagNoCopyValue}}
	nameEchoBytes  = []byte("x-echo-bytes")
)

type route uint8

const (
	routeNone route = iota
	routeHello
	routeBytes
	routeEcho
)

func routeOf(st *h2conn.Stream) route {
	m, p := st.Method(), st.Path()
	switch {
	case string(p) == "/" && (string(m) == "GET" || string(m) == "POST"):
		return routeHello
	case string(m) == "GET" && bytes.HasPrefix(p, []byte("/bytes/")):
		return routeBytes
	case string(m) == "POST" && string(p) == "/echo":
		return routeEcho
	}
	return routeNone
}

func wantsTrailers(st *h2conn.Stream) bool { return string(st.Header("te")) == "trailers" }

// setEchoTrailer sets x-echo-bytes: n. The stream copies the field, so
// the scratch array can live on the stack.
func setEchoTrailer(st *h2conn.Stream, n int64) {
	var num [20]byte
	st.SetTrailers([]h2.NV{{Name: nameEchoBytes, Value: strconv.AppendInt(num[:0], n, 10)}})
}

// OnRequest routes the request.
func (h *H2Echo) OnRequest(st *h2conn.Stream) {
	switch routeOf(st) {
	case routeHello:
		if wantsTrailers(st) {
			setEchoTrailer(st, int64(len(helloBody)))
		}
		_ = st.Respond(200, hdrTextPlain, helloBody)
	case routeBytes:
		n, ok := h.bytesN(st)
		if !ok {
			_ = st.Respond(400, hdrTextPlain, badBody)
			return
		}
		if n <= int64(len(pattern)) {
			if wantsTrailers(st) {
				setEchoTrailer(st, n)
			}
			_ = st.Respond(200, hdrOctetStream, pattern[:n])
			return
		}
		if st.RespondStream(200, hdrOctetStream) == nil {
			h.fillBytes(st)
		}
	case routeEcho:
		// Credit the request body back only as it is echoed: the echo
		// holds at most one flow-control window per stream.
		st.ConsumeAsWritten()
		_ = st.RespondStream(200, hdrOctetStream)
	default:
		_ = st.Respond(404, hdrTextPlain, notFoundBody)
	}
}

func (h *H2Echo) bytesN(st *h2conn.Stream) (int64, bool) {
	n, err := strconv.ParseInt(string(st.Path()[len("/bytes/"):]), 10, 64)
	return n, err == nil && n >= 0 && n <= h.MaxBytes
}

// fillBytes writes the rest of a large /bytes/N body until the stream's
// buffer is full; OnWritable calls it again.
func (h *H2Echo) fillBytes(st *h2conn.Stream) {
	n, _ := h.bytesN(st)
	for done := st.BodySent() + int64(st.Buffered()); done < n; {
		k, err := st.Write(pattern[:min(int64(len(pattern)), n-done)])
		done += int64(k)
		if err != nil {
			return
		}
	}
	if wantsTrailers(st) {
		setEchoTrailer(st, n)
	}
	_ = st.End()
}

// OnBody echoes on /echo; the buffer holds a whole window, so the chunk
// always fits.
func (h *H2Echo) OnBody(st *h2conn.Stream, data []byte) {
	if routeOf(st) != routeEcho {
		return
	}
	if n, err := st.Write(data); err != nil {
		_ = st.Reset(h2.InternalError)
	} else {
		_ = n
	}
}

// OnEnd finishes an echo.
func (h *H2Echo) OnEnd(st *h2conn.Stream) {
	if routeOf(st) != routeEcho {
		return
	}
	if wantsTrailers(st) {
		setEchoTrailer(st, st.BodyReceived())
	}
	_ = st.End()
}

// OnWritable continues a large /bytes/N body.
func (h *H2Echo) OnWritable(st *h2conn.Stream) {
	if routeOf(st) == routeBytes {
		h.fillBytes(st)
	}
}
