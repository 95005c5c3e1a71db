package h2

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// endpoint is one session under test with a record of what its callbacks
// saw. Its Send callback appends to wire.
type endpoint struct {
	t       testing.TB
	s       *Session
	cb      Callbacks
	wire    bytes.Buffer
	events  []string
	headers map[int32][]string // "name: value"
	body    map[int32][]byte
	closed  map[int32]ErrorCode
	sent    []string // OnFrameSend, one line per frame
	recvErr error
}

func newEndpoint(t testing.TB) *endpoint {
	e := &endpoint{t: t, headers: map[int32][]string{}, body: map[int32][]byte{}, closed: map[int32]ErrorCode{}}
	e.cb = Callbacks{
		Send: func(s *Session, b []byte) (int, error) {
			e.wire.Write(b)
			return len(b), nil
		},
		OnBeginHeaders: func(s *Session, f *Frame) error {
			e.events = append(e.events, fmt.Sprintf("begin_headers %d", f.StreamID()))
			return nil
		},
		OnHeader: func(s *Session, f *Frame, name, value []byte, flags NVFlag) error {
			id := f.StreamID()
			if f.Type() == FramePushPromise {
				id = f.PromisedStreamID
			}
			e.headers[id] = append(e.headers[id], string(name)+": "+string(value))
			return nil
		},
		OnDataChunkRecv: func(s *Session, flags FrameFlags, id int32, data []byte) error {
			e.body[id] = append(e.body[id], data...)
			return nil
		},
		OnFrameRecv: func(s *Session, f *Frame) error {
			e.events = append(e.events, fmt.Sprintf("recv %v %d flags=%#x", f.Type(), f.StreamID(), uint8(f.Flags())))
			return nil
		},
		OnFrameSend: func(s *Session, f *Frame) error {
			e.sent = append(e.sent, fmt.Sprintf("%v %d flags=%#x", f.Type(), f.StreamID(), uint8(f.Flags())))
			return nil
		},
		OnStreamClose: func(s *Session, id int32, code ErrorCode) error {
			e.closed[id] = code
			e.events = append(e.events, fmt.Sprintf("close %d %v", id, code))
			return nil
		},
	}
	return e
}

func (e *endpoint) server(opt *Options) *endpoint {
	s, err := NewServerSession(&e.cb, opt)
	if err != nil {
		e.t.Fatalf("NewServerSession failed: %v", err)
	}
	e.s = s
	return e
}

func (e *endpoint) client(opt *Options) *endpoint {
	s, err := NewClientSession(&e.cb, opt)
	if err != nil {
		e.t.Fatalf("NewClientSession failed: %v", err)
	}
	e.s = s
	return e
}

// flush runs Send and returns the bytes written.
func (e *endpoint) flush() []byte {
	e.t.Helper()
	e.wire.Reset()
	if err := e.s.Send(); err != nil {
		e.t.Fatalf("Send returned %v, want nil", err)
	}
	return bytes.Clone(e.wire.Bytes())
}

// feed gives b to MemRecv and records the error.
func (e *endpoint) feed(b []byte) error {
	e.t.Helper()
	n, err := e.s.MemRecv(b)
	if err == nil && n != len(b) {
		e.t.Fatalf("MemRecv consumed %d of %d octets with no error", n, len(b))
	}
	if err != nil && e.recvErr == nil {
		e.recvErr = err
	}
	return err
}

// exchange moves bytes both ways until neither side has anything to say.
func exchange(t testing.TB, a, b *endpoint) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		x := a.flush()
		if len(x) > 0 {
			b.feed(x)
		}
		y := b.flush()
		if len(y) > 0 {
			a.feed(y)
		}
		if len(x) == 0 && len(y) == 0 {
			return
		}
	}
	t.Fatalf("exchange did not settle after 1000 rounds")
}

func newPair(t testing.TB, copt, sopt *Options) (*endpoint, *endpoint) {
	c := newEndpoint(t).client(copt)
	s := newEndpoint(t).server(sopt)
	return c, s
}

func hdrs(kv ...string) []NV {
	out := make([]NV, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, NV{Name: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return out
}

func getRequest() []NV {
	return hdrs(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "example.org")
}

// wireFrame is a frame read back from our output by x/net/http2's Framer,
// an implementation we did not write.
type wireFrame struct {
	Type     FrameType
	Flags    FrameFlags
	StreamID int32
	Fields   []string // decoded header block, "name: value"
	Data     []byte
	Raw      http2.Frame
}

func (w wireFrame) String() string {
	s := fmt.Sprintf("%v stream=%d flags=%#x", w.Type, w.StreamID, uint8(w.Flags))
	if len(w.Fields) > 0 {
		s += " [" + strings.Join(w.Fields, ", ") + "]"
	}
	return s
}

// wireReader parses a byte stream of frames with x/net/http2, keeping
// one HPACK decoder across calls like a real peer.
type wireReader struct {
	t   testing.TB
	dec *hpack.Decoder
	buf bytes.Buffer
	fr  *http2.Framer
}

func newWireReader(t testing.TB) *wireReader {
	w := &wireReader{t: t, dec: hpack.NewDecoder(4096, nil)}
	w.fr = http2.NewFramer(nil, &w.buf)
	w.fr.SetMaxReadFrameSize(1 << 24)
	w.fr.AllowIllegalReads = true
	return w
}

// frames parses b (after an optional client preface) into frames.
func (w *wireReader) frames(b []byte) []wireFrame {
	w.t.Helper()
	b = bytes.TrimPrefix(b, []byte(ClientMagic))
	w.buf.Write(b)
	var out []wireFrame
	for w.buf.Len() > 0 {
		f, err := w.fr.ReadFrame()
		if err != nil {
			w.t.Fatalf("x/net/http2 could not parse our output: %v", err)
		}
		h := f.Header()
		wf := wireFrame{Type: FrameType(h.Type), Flags: FrameFlags(h.Flags), StreamID: int32(h.StreamID), Raw: f}
		switch f := f.(type) {
		case *http2.HeadersFrame:
			wf.Fields = w.decode(f.HeaderBlockFragment())
		case *http2.ContinuationFrame:
			wf.Fields = w.decode(f.HeaderBlockFragment())
		case *http2.PushPromiseFrame:
			wf.Fields = w.decode(f.HeaderBlockFragment())
		case *http2.DataFrame:
			wf.Data = bytes.Clone(f.Data())
		}
		out = append(out, wf)
	}
	return out
}

func (w *wireReader) decode(frag []byte) []string {
	var fields []string
	w.dec.SetEmitFunc(func(f hpack.HeaderField) { fields = append(fields, f.Name+": "+f.Value) })
	if _, err := w.dec.Write(frag); err != nil {
		w.t.Fatalf("hpack could not decode our header block: %v", err)
	}
	return fields
}

// summary renders frames one per line, for failure messages.
func summary(fs []wireFrame) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n\t" + f.String())
	}
	return b.String()
}

// only keeps frames of the given types.
func only(fs []wireFrame, types ...FrameType) []wireFrame {
	var out []wireFrame
	for _, f := range fs {
		for _, t := range types {
			if f.Type == t {
				out = append(out, f)
			}
		}
	}
	return out
}

// rawWriter builds frames to feed a session, with x/net/http2's Framer
// and an HPACK encoder kept across frames.
type rawWriter struct {
	buf bytes.Buffer
	fr  *http2.Framer
	hb  bytes.Buffer
	enc *hpack.Encoder
}

func newRawWriter() *rawWriter {
	w := &rawWriter{}
	w.fr = http2.NewFramer(&w.buf, nil)
	w.fr.AllowIllegalWrites = true
	w.enc = hpack.NewEncoder(&w.hb)
	return w
}

func (w *rawWriter) block(kv ...string) []byte {
	w.hb.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		w.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return bytes.Clone(w.hb.Bytes())
}

func (w *rawWriter) take() []byte {
	b := bytes.Clone(w.buf.Bytes())
	w.buf.Reset()
	return b
}

// clientPreface is what a client sends first: the magic and SETTINGS.
func clientPreface() []byte {
	w := newRawWriter()
	w.fr.WriteSettings()
	return append([]byte(ClientMagic), w.take()...)
}

// settingsAndAck is a server's first SETTINGS followed by an ACK of ours.
func serverPreface() []byte {
	w := newRawWriter()
	w.fr.WriteSettings()
	w.fr.WriteSettingsAck()
	return w.take()
}
