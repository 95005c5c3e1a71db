package h2

import (
	"encoding/binary"
	"errors"
	"testing"

	"golang.org/x/net/http2"
)

// rawFrame builds a frame byte by byte, for what x/net/http2's Framer
// refuses to write.
func rawFrame(typ FrameType, flags FrameFlags, streamID uint32, payload ...byte) []byte {
	b := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), byte(typ), byte(flags)}
	b = binary.BigEndian.AppendUint32(b, streamID)
	return append(b, payload...)
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func getBlock(w *rawWriter) []byte {
	return w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a")
}

func postBlock(w *rawWriter) []byte {
	return w.block(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a")
}

type badInputCase struct {
	name   string
	client bool     // the session under test is a client
	opt    *Options // options of the session under test
	// input writes the offending frames (after the preface and a SETTINGS
	// ACK, so the peer's SETTINGS are in effect).
	input func(w *rawWriter)
	raw   []byte // bytes appended after input's frames
	// want: GOAWAY with conn, or RST_STREAM on stream with code.
	conn   bool
	code   ErrorCode
	stream uint32
	magic  []byte // replaces the client magic
}

func TestSessionBadInputDrawsTheRFCAnswer(t *testing.T) {
	open1 := func(w *rawWriter) {
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: postBlock(w), EndHeaders: true})
	}
	cases := []badInputCase{
		{name: "bad client magic", magic: []byte("PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n"), conn: true, code: ProtocolError},
		{name: "first frame not SETTINGS", magic: append([]byte(ClientMagic), rawFrame(FramePing, 0, 0, make([]byte, 8)...)...), conn: true, code: ProtocolError},
		{name: "DATA on stream 0", raw: rawFrame(FrameData, 0, 0, 'x'), conn: true, code: ProtocolError},
		{name: "DATA on idle stream", raw: rawFrame(FrameData, 0, 5, 'x'), conn: true, code: ProtocolError},
		{name: "DATA padding too long", input: open1, raw: rawFrame(FrameData, FlagPadded, 1, 5, 'x'), conn: true, code: ProtocolError},
		{name: "DATA larger than SETTINGS_MAX_FRAME_SIZE", input: open1, raw: rawFrame(FrameData, 0, 1, make([]byte, 16385)...), code: FrameSizeError, stream: 1},
		{name: "DATA beyond the connection window", input: func(w *rawWriter) {
			open1(w)
			for i := 0; i < 4; i++ {
				w.fr.WriteData(1, false, make([]byte, 16384))
			}
		}, opt: &Options{NoAutoWindowUpdate: true, InitialWindowSize: 1 << 20}, raw: rawFrame(FrameData, 0, 1, make([]byte, 16384)...), conn: true, code: FlowControlError},
		{name: "DATA beyond the stream window", opt: &Options{InitialWindowSize: 100}, input: open1, raw: rawFrame(FrameData, 0, 1, make([]byte, 101)...), code: FlowControlError, stream: 1},
		{name: "DATA on half-closed (remote) stream", input: func(w *rawWriter) {
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
		}, raw: rawFrame(FrameData, 0, 1, 'x'), code: StreamClosed, stream: 1},
		{name: "DATA after the peer's RST_STREAM", input: func(w *rawWriter) {
			open1(w)
			w.fr.WriteRSTStream(1, http2.ErrCodeCancel)
		}, raw: rawFrame(FrameData, 0, 1, 'x'), code: StreamClosed, stream: 1},
		{name: "HEADERS on stream 0", raw: rawFrame(FrameHeaders, FlagEndHeaders, 0, 0x82), conn: true, code: ProtocolError},
		{name: "HEADERS on a server stream ID", raw: rawFrame(FrameHeaders, FlagEndHeaders, 2, 0x82), conn: true, code: ProtocolError},
		{name: "HEADERS reusing a skipped lower stream ID", input: func(w *rawWriter) {
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 5, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
		}, conn: true, code: ProtocolError},
		{name: "HEADERS on half-closed (remote) stream", input: func(w *rawWriter) {
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block("x", "y"), EndHeaders: true, EndStream: true})
		}, code: StreamClosed, stream: 1},
		{name: "HEADERS depending on itself", raw: rawFrame(FrameHeaders, FlagEndHeaders|FlagPriority, 1, 0, 0, 0, 1, 16, 0x82), conn: true, code: ProtocolError},
		{name: "HEADERS larger than SETTINGS_MAX_FRAME_SIZE", raw: rawFrame(FrameHeaders, FlagEndHeaders, 1, make([]byte, 16385)...), conn: true, code: FrameSizeError},
		{name: "HEADERS beyond MAX_CONCURRENT_STREAMS", opt: &Options{MaxConcurrentStreams: 1}, input: open1, raw: func() []byte {
			w := newRawWriter()
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
			return w.take()
		}(), code: RefusedStream, stream: 3},
		{name: "HPACK garbage", raw: rawFrame(FrameHeaders, FlagEndHeaders|FlagEndStream, 1, 0xff, 0xff, 0xff, 0xff, 0xff), conn: true, code: CompressionError},
		{name: "CONTINUATION without HEADERS", raw: rawFrame(FrameContinuation, FlagEndHeaders, 1, 0x82), conn: true, code: ProtocolError},
		{name: "DATA while CONTINUATION expected", raw: append(rawFrame(FrameHeaders, 0, 1, 0x82), rawFrame(FrameData, 0, 1, 'x')...), conn: true, code: ProtocolError},
		{name: "CONTINUATION on another stream", raw: append(rawFrame(FrameHeaders, 0, 1, 0x82), rawFrame(FrameContinuation, FlagEndHeaders, 3, 0x84)...), conn: true, code: ProtocolError},
		{name: "too many CONTINUATION frames", opt: &Options{MaxContinuations: 2}, raw: func() []byte {
			b := rawFrame(FrameHeaders, 0, 1, 0x82)
			for i := 0; i < 3; i++ {
				b = append(b, rawFrame(FrameContinuation, 0, 1, 0x40, 1, 'a', 1, 'b')...)
			}
			return b
		}(), conn: true, code: EnhanceYourCalm},
		{name: "PRIORITY of wrong length", raw: rawFrame(FramePriority, 0, 1, 0, 0, 0, 0), code: FrameSizeError, stream: 1},
		{name: "PRIORITY depending on itself", raw: rawFrame(FramePriority, 0, 1, 0, 0, 0, 1, 16), code: ProtocolError, stream: 1},
		{name: "RST_STREAM on stream 0", raw: rawFrame(FrameRSTStream, 0, 0, u32(8)...), conn: true, code: ProtocolError},
		{name: "RST_STREAM on idle stream", raw: rawFrame(FrameRSTStream, 0, 7, u32(8)...), conn: true, code: ProtocolError},
		{name: "RST_STREAM of wrong length", input: open1, raw: rawFrame(FrameRSTStream, 0, 1, 0, 0, 8), conn: true, code: FrameSizeError},
		{name: "SETTINGS on a stream", raw: rawFrame(FrameSettings, 0, 1), conn: true, code: ProtocolError},
		{name: "SETTINGS length not a multiple of 6", raw: rawFrame(FrameSettings, 0, 0, 0, 3, 0, 0, 0), conn: true, code: FrameSizeError},
		{name: "SETTINGS ACK with payload", raw: rawFrame(FrameSettings, FlagAck, 0, 0, 3, 0, 0, 0, 1), conn: true, code: FrameSizeError},
		{name: "SETTINGS ACK for nothing", raw: rawFrame(FrameSettings, FlagAck, 0), conn: true, code: ProtocolError},
		{name: "SETTINGS_ENABLE_PUSH 2", raw: rawFrame(FrameSettings, 0, 0, 0, 2, 0, 0, 0, 2), conn: true, code: ProtocolError},
		{name: "SETTINGS_INITIAL_WINDOW_SIZE 2^31", raw: rawFrame(FrameSettings, 0, 0, 0, 4, 0x80, 0, 0, 0), conn: true, code: FlowControlError},
		{name: "SETTINGS_MAX_FRAME_SIZE 16383", raw: rawFrame(FrameSettings, 0, 0, 0, 5, 0, 0, 0x3f, 0xff), conn: true, code: ProtocolError},
		{name: "SETTINGS with too many entries", opt: &Options{MaxSettingsEntries: 2}, raw: rawFrame(FrameSettings, 0, 0, 0, 3, 0, 0, 0, 1, 0, 3, 0, 0, 0, 2, 0, 3, 0, 0, 0, 3), conn: true, code: EnhanceYourCalm},
		{name: "INITIAL_WINDOW_SIZE change overflows a stream window", input: func(w *rawWriter) {
			open1(w)
			w.fr.WriteWindowUpdate(1, 1<<31-1-65535)
		}, raw: rawFrame(FrameSettings, 0, 0, 0, 4, 0, 1, 0, 0), conn: true, code: FlowControlError},
		{name: "PUSH_PROMISE sent to a server", input: open1, raw: rawFrame(FramePushPromise, FlagEndHeaders, 1, 0, 0, 0, 2, 0x82), conn: true, code: ProtocolError},
		{name: "PING of wrong length", raw: rawFrame(FramePing, 0, 0, make([]byte, 7)...), conn: true, code: FrameSizeError},
		{name: "PING on a stream", raw: rawFrame(FramePing, 0, 1, make([]byte, 8)...), conn: true, code: ProtocolError},
		{name: "GOAWAY on a stream", raw: rawFrame(FrameGoaway, 0, 1, make([]byte, 8)...), conn: true, code: ProtocolError},
		{name: "GOAWAY naming a stream of the wrong side", raw: rawFrame(FrameGoaway, 0, 0, append(u32(1), u32(0)...)...), conn: true, code: ProtocolError},
		{name: "WINDOW_UPDATE of wrong length", raw: rawFrame(FrameWindowUpdate, 0, 0, 0, 0, 1), conn: true, code: FrameSizeError},
		{name: "WINDOW_UPDATE of 0 on the connection", raw: rawFrame(FrameWindowUpdate, 0, 0, u32(0)...), conn: true, code: ProtocolError},
		{name: "WINDOW_UPDATE of 0 on a stream", input: open1, raw: rawFrame(FrameWindowUpdate, 0, 1, u32(0)...), code: ProtocolError, stream: 1},
		{name: "WINDOW_UPDATE on idle stream", raw: rawFrame(FrameWindowUpdate, 0, 9, u32(1)...), conn: true, code: ProtocolError},
		{name: "WINDOW_UPDATE overflowing the connection window", raw: rawFrame(FrameWindowUpdate, 0, 0, u32(1<<31-1)...), conn: true, code: FlowControlError},
		{name: "WINDOW_UPDATE overflowing a stream window", input: open1, raw: rawFrame(FrameWindowUpdate, 0, 1, u32(1<<31-1)...), code: FlowControlError, stream: 1},
		{name: "uppercase field name", raw: func() []byte {
			w := newRawWriter()
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a", "X-Upper", "1"), EndHeaders: true, EndStream: true})
			return w.take()
		}(), code: ProtocolError, stream: 1},
		{name: "request without :method", raw: func() []byte {
			w := newRawWriter()
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":scheme", "https", ":path", "/", ":authority", "a"), EndHeaders: true, EndStream: true})
			return w.take()
		}(), code: ProtocolError, stream: 1},
		{name: "pseudo-header after a regular field", raw: func() []byte {
			w := newRawWriter()
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":method", "GET", ":scheme", "https", "x", "1", ":path", "/", ":authority", "a"), EndHeaders: true, EndStream: true})
			return w.take()
		}(), code: ProtocolError, stream: 1},
		{name: "connection-specific field", raw: func() []byte {
			w := newRawWriter()
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a", "connection", "close"), EndHeaders: true, EndStream: true})
			return w.take()
		}(), code: ProtocolError, stream: 1},
		{name: "TE other than trailers", raw: func() []byte {
			w := newRawWriter()
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a", "te", "gzip"), EndHeaders: true, EndStream: true})
			return w.take()
		}(), code: ProtocolError, stream: 1},
		{name: "content-length larger than the body", raw: func() []byte {
			w := newRawWriter()
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a", "content-length", "10"), EndHeaders: true})
			w.fr.WriteData(1, true, []byte("short"))
			return w.take()
		}(), code: ProtocolError, stream: 1},
		{name: "trailers without END_STREAM", input: open1, raw: func() []byte {
			w := newRawWriter()
			// A fresh encoder: the literal is self-contained.
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0x00, 1, 'x', 1, 'y'}, EndHeaders: true})
			return w.take()
		}(), code: ProtocolError, stream: 1},
		{name: "empty DATA flood", opt: &Options{MaxEmptyFrames: 5}, input: func(w *rawWriter) {
			open1(w)
			for i := 0; i < 6; i++ {
				w.fr.WriteData(1, false, nil)
			}
		}, conn: true, code: EnhanceYourCalm},
		// Client side.
		{name: "client: SETTINGS_ENABLE_PUSH 1 from a server", client: true, raw: rawFrame(FrameSettings, 0, 0, 0, 2, 0, 0, 0, 1), conn: true, code: ProtocolError},
		{name: "client: PUSH_PROMISE while push is disabled", client: true, raw: rawFrame(FramePushPromise, FlagEndHeaders, 1, 0, 0, 0, 2, 0x82), conn: true, code: ProtocolError},
		{name: "client: HEADERS opening a server stream", client: true, raw: rawFrame(FrameHeaders, FlagEndHeaders, 2, 0x88), conn: true, code: ProtocolError},
		{name: "client: PRIORITY_UPDATE", client: true, raw: rawFrame(FramePriorityUpdate, 0, 0, append(u32(1), 'u', '=', '1')...), conn: true, code: ProtocolError},
		{name: "client: response without :status", client: true, raw: rawFrame(FrameHeaders, FlagEndHeaders|FlagEndStream, 1, 0x00, 1, 'x', 1, 'y'), code: ProtocolError, stream: 1},
		{name: "client: DATA before response HEADERS", client: true, raw: rawFrame(FrameData, FlagEndStream, 1, 'x'), code: ProtocolError, stream: 1},
		{name: "client: 101 Switching Protocols", client: true, raw: rawFrame(FrameHeaders, FlagEndHeaders, 1, 0x08, 3, '1', '0', '1'), code: ProtocolError, stream: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEndpoint(t)
			var in []byte
			w := newRawWriter()
			if tc.client {
				e.client(tc.opt)
				e.s.SubmitRequest(hdrs(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a"), nil, nil)
				e.flush()
				w.fr.WriteSettings()
				w.fr.WriteSettingsAck()
				in = w.take()
			} else {
				e.server(tc.opt)
				if tc.magic != nil {
					in = tc.magic
				} else {
					in = clientPreface()
					w.fr.WriteSettingsAck()
					in = append(in, w.take()...)
				}
			}
			if tc.magic == nil && tc.input != nil {
				tc.input(w)
				in = append(in, w.take()...)
			}
			in = append(in, tc.raw...)
			_, err := e.s.MemRecv(in)
			fs := newWireReader(t).frames(e.flush())
			var lib Error
			if !errors.As(err, &lib) || !errors.Is(err, tc.code) {
				t.Fatalf("MemRecv returned %v, want an h2.Error matching %v", err, tc.code)
			}
			if tc.conn {
				g := goaways(t, fs)
				if len(g) != 1 || ErrorCode(g[0].ErrCode) != tc.code || !IsFatal(err) {
					t.Fatalf("the session answered with%s and error %v, want GOAWAY %v and a fatal error", summary(fs), err, tc.code)
				}
				if e.s.WantRead() || e.s.WantWrite() {
					t.Fatalf("after GOAWAY the session still wants to read (%v) or write (%v)", e.s.WantRead(), e.s.WantWrite())
				}
				return
			}
			var rst *http2.RSTStreamFrame
			for _, f := range fs {
				if r, ok := f.Raw.(*http2.RSTStreamFrame); ok {
					rst = r
				}
				if f.Type == FrameGoaway {
					t.Fatalf("a stream error ended the connection:%s", summary(fs))
				}
			}
			if rst == nil || rst.StreamID != tc.stream || ErrorCode(rst.ErrCode) != tc.code || IsFatal(err) {
				t.Fatalf("the session answered with%s and error %v, want RST_STREAM %v on stream %d and a non-fatal error", summary(fs), err, tc.code, tc.stream)
			}
		})
	}
}
