package h2conn

import (
	"testing"

	"golang.org/x/net/http2"
)

// TestMalformedRequests sends requests real clients never send to the
// Echo server and checks the answer on the wire: a malformed request is
// a stream error PROTOCOL_ERROR (RFC 9113, Section 8.1.1) and the
// connection goes on; a connection error is GOAWAY with its code.
func TestMalformedRequests(t *testing.T) {
	ts := startEcho(t, nil)
	get := []string{":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/"}
	post := []string{":method", "POST", ":scheme", "http", ":authority", "x", ":path", "/echo"}
	with := func(base []string, kv ...string) []string { return append(append([]string(nil), base...), kv...) }
	headers := func(r *rawConn, id uint32, end bool, kv ...string) {
		r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, EndStream: end, BlockFragment: r.block(kv...)})
	}
	for _, c := range []struct {
		name   string
		posts  bool // a POST /echo (answered before the body is in)
		send   func(r *rawConn)
		rst    http2.ErrCode // stream 1 reset with this code, or
		goaway http2.ErrCode // the connection ends with this code
	}{
		{"empty :path", false, func(r *rawConn) {
			headers(r, 1, true, ":method", "GET", ":scheme", "http", ":authority", "x", ":path", "")
		}, http2.ErrCodeProtocol, 0},
		{"relative :path", false, func(r *rawConn) {
			headers(r, 1, true, ":method", "GET", ":scheme", "http", ":authority", "x", ":path", "foo")
		}, http2.ErrCodeProtocol, 0},
		{"duplicate :authority", false, func(r *rawConn) { headers(r, 1, true, with(get, ":authority", "y")...) }, http2.ErrCodeProtocol, 0},
		{"duplicate :path", false, func(r *rawConn) { headers(r, 1, true, with(get, ":path", "/b")...) }, http2.ErrCodeProtocol, 0},
		{"uppercase name", false, func(r *rawConn) { headers(r, 1, true, with(get, "X-Upper", "v")...) }, http2.ErrCodeProtocol, 0},
		{"pseudo after regular", false, func(r *rawConn) {
			headers(r, 1, true, ":method", "GET", ":scheme", "http", "x-a", "b", ":authority", "x", ":path", "/")
		}, http2.ErrCodeProtocol, 0},
		{"unknown pseudo", false, func(r *rawConn) { headers(r, 1, true, with(get, ":foo", "v")...) }, http2.ErrCodeProtocol, 0},
		{"response pseudo in request", false, func(r *rawConn) { headers(r, 1, true, with(get, ":status", "200")...) }, http2.ErrCodeProtocol, 0},
		{"connection header", false, func(r *rawConn) { headers(r, 1, true, with(get, "connection", "keep-alive")...) }, http2.ErrCodeProtocol, 0},
		{"te not trailers", false, func(r *rawConn) { headers(r, 1, true, with(get, "te", "gzip")...) }, http2.ErrCodeProtocol, 0},
		{"CRLF in a value", false, func(r *rawConn) { headers(r, 1, true, with(get, "x-a", "b\r\nx-c: d")...) }, http2.ErrCodeProtocol, 0},
		{"NUL in a value", false, func(r *rawConn) { headers(r, 1, true, with(get, "x-a", "b\x00c")...) }, http2.ErrCodeProtocol, 0},
		{"space in a name", false, func(r *rawConn) { headers(r, 1, true, with(get, "x a", "b")...) }, http2.ErrCodeProtocol, 0},
		{"content-length not digits", true, func(r *rawConn) { headers(r, 1, false, with(post, "content-length", "5a")...) }, http2.ErrCodeProtocol, 0},
		{"content-length signed", true, func(r *rawConn) { headers(r, 1, false, with(post, "content-length", "+5")...) }, http2.ErrCodeProtocol, 0},
		{"two differing content-length", true, func(r *rawConn) {
			headers(r, 1, false, with(post, "content-length", "5", "content-length", "6")...)
		}, http2.ErrCodeProtocol, 0},
		{"body longer than content-length", true, func(r *rawConn) {
			headers(r, 1, false, with(post, "content-length", "5")...)
			r.fr.WriteData(1, true, []byte("0123456789"))
		}, http2.ErrCodeProtocol, 0},
		{"body shorter than content-length", true, func(r *rawConn) {
			headers(r, 1, false, with(post, "content-length", "10")...)
			r.fr.WriteData(1, true, []byte("01234"))
		}, http2.ErrCodeProtocol, 0},
		{"trailers with a pseudo-header", true, func(r *rawConn) {
			headers(r, 1, false, post...)
			r.fr.WriteData(1, false, []byte("body"))
			headers(r, 1, true, ":path", "/x")
		}, http2.ErrCodeProtocol, 0},
		{"trailers without END_STREAM", true, func(r *rawConn) {
			headers(r, 1, false, post...)
			r.fr.WriteData(1, false, []byte("body"))
			headers(r, 1, false, "x-t", "v")
		}, http2.ErrCodeProtocol, 0},
		{"DATA after END_STREAM", true, func(r *rawConn) {
			headers(r, 1, false, post...)
			r.fr.WriteData(1, true, []byte("body"))
			r.fr.WriteData(1, false, []byte("more"))
		}, http2.ErrCodeStreamClosed, 0},
		{"PUSH_PROMISE from a client", true, func(r *rawConn) {
			headers(r, 1, false, post...)
			r.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, EndHeaders: true, BlockFragment: r.block(get...)})
		}, 0, http2.ErrCodeProtocol},
		{"DATA on an idle stream", false, func(r *rawConn) { r.fr.WriteData(5, false, []byte("x")) }, 0, http2.ErrCodeProtocol},
		{"HEADERS on stream 0", false, func(r *rawConn) {
			r.fr.WriteRawFrame(http2.FrameHeaders, http2.FlagHeadersEndHeaders|http2.FlagHeadersEndStream, 0, r.block(get...))
		}, 0, http2.ErrCodeProtocol},
		{"even stream", false, func(r *rawConn) { headers(r, 2, true, get...) }, 0, http2.ErrCodeProtocol},
		{"stream id going back", true, func(r *rawConn) {
			headers(r, 5, false, post...)
			headers(r, 3, true, get...)
		}, 0, http2.ErrCodeProtocol},
		{"MAX_FRAME_SIZE too big", false, func(r *rawConn) {
			r.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 24})
		}, 0, http2.ErrCodeProtocol},
		{"ENABLE_PUSH 2", false, func(r *rawConn) {
			r.fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 2})
		}, 0, http2.ErrCodeProtocol},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := dialRaw(t, ts.addr)
			c.send(r)
			if c.goaway != 0 {
				wantGoaway(t, r, c.goaway, c.name)
				return
			}
			for {
				f := r.next()
				if f == nil {
					t.Fatal("connection closed, want RST_STREAM")
				}
				if g, ok := f.(*http2.GoAwayFrame); ok {
					t.Fatalf("GOAWAY %v (%q), want RST_STREAM %v", g.ErrCode, g.DebugData(), c.rst)
				}
				// /echo answers at once; the others must not be answered.
				if h, ok := f.(*http2.HeadersFrame); ok && h.StreamID == 1 && !c.posts {
					t.Fatalf("the malformed request was answered with HEADERS")
				}
				if rst, ok := f.(*http2.RSTStreamFrame); ok && rst.StreamID == 1 {
					if rst.ErrCode != c.rst {
						t.Fatalf("RST_STREAM %v, want %v", rst.ErrCode, c.rst)
					}
					break
				}
			}
			r.get(101, "/", true) // the connection goes on
			for !r.ended[101] {
				if f := r.next(); f == nil {
					t.Fatal("connection closed after the stream error")
				} else if g, ok := f.(*http2.GoAwayFrame); ok {
					t.Fatalf("GOAWAY %v after the stream error", g.ErrCode)
				}
			}
		})
	}
	checkServed(t, ts.addr)
}
