package h2conn

import (
	"bytes"
	"strconv"

	"github.com/ngloop/ngloop/h2"
)

// Echo is the echo service of cmd/echo, usable by any Server:
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
type Echo struct {
	BaseHandler
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

func routeOf(st *Stream) route {
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

func wantsTrailers(st *Stream) bool { return string(st.Header("te")) == "trailers" }

// setEchoTrailer sets x-echo-bytes: n. The stream copies the field, so
// the scratch array can live on the stack.
func setEchoTrailer(st *Stream, n int64) {
	var num [20]byte
	st.SetTrailers([]h2.NV{{Name: nameEchoBytes, Value: strconv.AppendInt(num[:0], n, 10)}})
}

// OnRequest routes the request.
func (h *Echo) OnRequest(st *Stream) {
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

func (h *Echo) bytesN(st *Stream) (int64, bool) {
	n, err := strconv.ParseInt(string(st.Path()[len("/bytes/"):]), 10, 64)
	return n, err == nil && n >= 0 && n <= h.MaxBytes
}

// fillBytes writes the rest of a large /bytes/N body until the stream's
// buffer is full; OnWritable calls it again. Octet i of the body is
// pattern[i%len(pattern)] however the writes split, so a client can
// check what it got.
func (h *Echo) fillBytes(st *Stream) {
	n, _ := h.bytesN(st)
	for done := st.BodySent() + int64(st.Buffered()); done < n; {
		off := done % int64(len(pattern))
		k, err := st.Write(pattern[off:min(int64(len(pattern)), off+n-done)])
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
func (h *Echo) OnBody(st *Stream, data []byte) {
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
func (h *Echo) OnEnd(st *Stream) {
	if routeOf(st) != routeEcho {
		return
	}
	if wantsTrailers(st) {
		setEchoTrailer(st, st.BodyReceived())
	}
	_ = st.End()
}

// OnWritable continues a large /bytes/N body.
func (h *Echo) OnWritable(st *Stream) {
	if routeOf(st) == routeBytes {
		h.fillBytes(st)
	}
}
