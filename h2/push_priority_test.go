package h2

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"golang.org/x/net/http2"
)

func TestServerPushEndToEnd(t *testing.T) {
	c, s := newPair(t, &Options{EnablePush: true}, nil)
	s.cb.OnFrameRecv = func(ss *Session, f *Frame) error {
		if f.Type() == FrameHeaders && f.Cat == HCatRequest {
			pid, err := ss.SubmitPushPromise(FlagNone, f.StreamID(), hdrs(":method", "GET", ":scheme", "https", ":path", "/style.css", ":authority", "a"), nil)
			if err != nil {
				return err
			}
			if err := ss.SubmitResponse(pid, hdrs(":status", "200"), bytesProvider([]byte("body{}"))); err != nil {
				return err
			}
			return ss.SubmitResponse(f.StreamID(), hdrs(":status", "200"), bytesProvider([]byte("<html>")))
		}
		return nil
	}
	s.s.cb = s.cb
	c.s.SubmitRequest(getRequest(), nil, nil)
	exchange(t, c, s)
	if c.recvErr != nil || s.recvErr != nil {
		t.Fatalf("errors: client %v, server %v", c.recvErr, s.recvErr)
	}
	if got := c.headers[2]; !slices.Contains(got, ":path: /style.css") || !slices.Contains(got, ":status: 200") {
		t.Fatalf("the client saw pushed stream 2 fields %q, want the promised request and its response", got)
	}
	if string(c.body[2]) != "body{}" || string(c.body[1]) != "<html>" {
		t.Fatalf("bodies: pushed %q, main %q", c.body[2], c.body[1])
	}
	if code, ok := c.closed[2]; !ok || code != NoError {
		t.Fatalf("pushed stream 2 closed=%v code=%v, want closed with NO_ERROR", ok, code)
	}
}

func TestServerPushIsOffUnlessTheClientEnablesIt(t *testing.T) {
	c, s := newPair(t, nil, nil)
	exchange(t, c, s)
	s.feed(nil)
	if _, err := s.s.SubmitPushPromise(FlagNone, 1, getRequest(), nil); err != ErrPushDisabled {
		t.Fatalf("SubmitPushPromise to a client that did not enable push returned %v, want ErrPushDisabled", err)
	}
	if _, err := c.s.SubmitPushPromise(FlagNone, 1, getRequest(), nil); err != ErrProto {
		t.Fatalf("a client's SubmitPushPromise returned %v, want ErrProto", err)
	}
}

// dataOrder returns the stream IDs of DATA frames in order.
func dataOrder(fs []wireFrame) []int32 {
	var out []int32
	for _, f := range fs {
		if f.Type == FrameData {
			out = append(out, f.StreamID)
		}
	}
	return out
}

func TestPriorityHeaderSetsUrgency(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil)
	for _, r := range []struct {
		id  uint32
		pri string
	}{{1, "u=5"}, {3, "u=0"}, {5, "u=7, i"}} {
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: r.id, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a", "priority", r.pri), EndHeaders: true, EndStream: true})
	}
	srv.feed(w.take())
	for _, id := range []int32{1, 3, 5} {
		srv.s.SubmitResponse(id, hdrs(":status", "200"), bytesProvider([]byte("x")))
	}
	if got := dataOrder(rd.frames(srv.flush())); !slices.Equal(got, []int32{3, 1, 5}) {
		t.Fatalf("DATA went out on streams %v, want [3 1 5] (urgency 0, 5, 7)", got)
	}
}

func TestPriorityUpdateFrameReprioritizes(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil)
	for _, id := range []uint32{1, 3} {
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
	}
	w.buf.Write(rawFrame(FramePriorityUpdate, 0, 0, append(u32(3), "u=1"...)...))
	srv.feed(w.take())
	for _, id := range []int32{1, 3} {
		srv.s.SubmitResponse(id, hdrs(":status", "200"), bytesProvider([]byte("x")))
	}
	if got := dataOrder(rd.frames(srv.flush())); !slices.Equal(got, []int32{3, 1}) {
		t.Fatalf("DATA went out on streams %v, want [3 1] after PRIORITY_UPDATE u=1 for stream 3", got)
	}
}

func TestPriorityIncrementalStreamsShareTheConnection(t *testing.T) {
	for _, tc := range []struct {
		pri  string
		want []int32
	}{
		{pri: "u=3, i", want: []int32{1, 3, 1, 3}},
		{pri: "u=3", want: []int32{1, 1, 3, 3}},
	} {
		srv, w, rd := serverWithStreams(t, nil)
		for _, id := range []uint32{1, 3} {
			w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a", "priority", tc.pri), EndHeaders: true, EndStream: true})
		}
		srv.feed(w.take())
		for _, id := range []int32{1, 3} {
			srv.s.SubmitResponse(id, hdrs(":status", "200"), bytesProvider(make([]byte, 20000)))
		}
		if got := dataOrder(rd.frames(srv.flush())); !slices.Equal(got, tc.want) {
			t.Errorf("priority %q: DATA went out on streams %v, want %v", tc.pri, got, tc.want)
		}
	}
}

func TestPriorityRFC7540FramesAreIgnored(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil, 1)
	w.fr.WritePriority(1, http2.PriorityParam{StreamDep: 0, Weight: 255, Exclusive: true})
	w.fr.WritePriority(9, http2.PriorityParam{StreamDep: 1, Weight: 1}) // idle stream: allowed
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("PRIORITY frames drew %v, want them ignored", err)
	}
	if fs := rd.frames(srv.flush()); len(fs) != 0 {
		t.Fatalf("PRIORITY frames drew%s", summary(fs))
	}
}

func TestParsePriorityField(t *testing.T) {
	for _, tc := range []struct {
		in   string
		u    uint8
		inc  bool
		name string
	}{
		{"", 3, false, "empty keeps defaults"},
		{"u=0", 0, false, "urgency"},
		{"i", 3, true, "bare incremental"},
		{"u=7, i=?1", 7, true, "both"},
		{"i=?0, u=2", 2, false, "explicit false"},
		{"u=8", 3, false, "urgency out of range ignored"},
		{"u=a, i=1", 3, false, "invalid values ignored"},
		{"  u=4 ;x=y ,  i ", 4, true, "whitespace and parameters"},
		{"foo=bar, u=1", 1, false, "unknown keys ignored"},
	} {
		u, inc := parsePriorityField([]byte(tc.in), defaultUrgency, false)
		if u != tc.u || inc != tc.inc {
			t.Errorf("%s: %q parsed as u=%d i=%v, want u=%d i=%v", tc.name, tc.in, u, inc, tc.u, tc.inc)
		}
	}
}

func TestSubmitPriorityUpdateOnTheWire(t *testing.T) {
	c, _, rd := clientReady(t, nil)
	if err := c.s.SubmitPriorityUpdate(1, []byte("u=2, i")); err != nil {
		t.Fatalf("SubmitPriorityUpdate returned %v", err)
	}
	out := c.flush()
	rd.frames(out)
	want := rawFrame(FramePriorityUpdate, 0, 0, append(u32(1), "u=2, i"...)...)
	if !bytes.Equal(out, want) {
		t.Fatalf("PRIORITY_UPDATE went out as % x, want % x", out, want)
	}
}

func TestExtensionFramesReachTheCallbackOnlyWhenRegistered(t *testing.T) {
	for _, registered := range []bool{false, true} {
		opt := &Options{}
		if registered {
			opt.ExtensionTypes = []FrameType{0xfa}
		}
		srv, w, rd := serverWithStreams(t, opt)
		var got []string
		srv.cb.OnExtensionFrame = func(s *Session, f *Frame) error {
			got = append(got, fmt.Sprintf("%#x %q", uint8(f.Type()), f.Payload))
			return nil
		}
		srv.s.cb = srv.cb
		w.buf.Write(rawFrame(0xfa, 0, 0, []byte("hello")...))
		w.buf.Write(rawFrame(0xfb, 0, 0, []byte("other")...))
		if err := srv.feed(w.take()); err != nil {
			t.Fatalf("extension frames drew %v", err)
		}
		want := []string(nil)
		if registered {
			want = []string{`0xfa "hello"`}
		}
		if !slices.Equal(got, want) || len(rd.frames(srv.flush())) != 0 {
			t.Fatalf("registered=%v: the callback saw %q, want %q and no answer on the wire", registered, got, want)
		}
	}
}

func TestSubmitExtensionOnTheWire(t *testing.T) {
	srv, _, _ := serverWithStreams(t, nil)
	if err := srv.s.SubmitExtension(0xfa, 0x3, 0, []byte("hi")); err != nil {
		t.Fatalf("SubmitExtension returned %v", err)
	}
	if out, want := srv.flush(), rawFrame(0xfa, 0x3, 0, 'h', 'i'); !bytes.Equal(out, want) {
		t.Fatalf("SubmitExtension wrote % x, want % x", out, want)
	}
	if err := srv.s.SubmitExtension(FrameData, 0, 1, nil); err != ErrInvalidArgument {
		t.Fatalf("SubmitExtension of a DATA frame returned %v, want ErrInvalidArgument", err)
	}
}

func TestSubmitAltsvcAndOriginOnTheWire(t *testing.T) {
	srv, _, _ := serverWithStreams(t, nil)
	if err := srv.s.SubmitAltsvc(0, []byte("https://a.example"), []byte(`h3=":443"`)); err != nil {
		t.Fatalf("SubmitAltsvc returned %v", err)
	}
	if err := srv.s.SubmitOrigin([][]byte{[]byte("https://a.example"), []byte("https://b.example")}); err != nil {
		t.Fatalf("SubmitOrigin returned %v", err)
	}
	out := srv.flush()
	want := rawFrame(FrameAltsvc, 0, 0, append([]byte{0, 17}, `https://a.example`+`h3=":443"`...)...)
	want = append(want, rawFrame(FrameOrigin, 0, 0, append(append([]byte{0, 17}, "https://a.example"...), append([]byte{0, 17}, "https://b.example"...)...)...)...)
	if !bytes.Equal(out, want) {
		t.Fatalf("ALTSVC and ORIGIN went out as\n% x\nwant\n% x", out, want)
	}
	if err := srv.s.SubmitAltsvc(1, []byte("https://a.example"), nil); err != ErrInvalidArgument {
		t.Fatalf("ALTSVC on stream 1 with an origin returned %v, want ErrInvalidArgument", err)
	}
	c := newEndpoint(t).client(nil)
	if err := c.s.SubmitOrigin(nil); err != ErrInvalidState {
		t.Fatalf("a client's SubmitOrigin returned %v, want ErrInvalidState", err)
	}
}

func TestServerPushResponsesRespectTheClientsStreamLimit(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil)
	w.fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 1}, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 1})
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
	srv.feed(w.take())
	rd.frames(srv.flush())
	var pushed []int32
	for i := 0; i < 2; i++ {
		pid, err := srv.s.SubmitPushPromise(FlagNone, 1, hdrs(":method", "GET", ":scheme", "https", ":path", fmt.Sprint("/p", i), ":authority", "a"), nil)
		if err != nil {
			t.Fatalf("SubmitPushPromise: %v", err)
		}
		// The bodies wait, so the pushed streams stay open.
		srv.s.SubmitResponse(pid, hdrs(":status", "200"), &DataProvider{Read: func(*Session, int32, []byte, *DataFlags) (int, error) {
			return 0, ErrDeferred
		}})
		pushed = append(pushed, pid)
	}
	var hs []int32
	for _, f := range rd.frames(srv.flush()) {
		if f.Type == FrameHeaders {
			hs = append(hs, f.StreamID)
		}
	}
	if !slices.Equal(hs, []int32{pushed[0]}) {
		t.Fatalf("with the client's MAX_CONCURRENT_STREAMS at 1 the server opened pushed streams %v, want only %d", hs, pushed[0])
	}
	// The first pushed stream ends: the second may open.
	hs = nil
	srv.s.SubmitRstStream(FlagNone, pushed[0], Cancel)
	for _, f := range rd.frames(srv.flush()) {
		if f.Type == FrameHeaders {
			hs = append(hs, f.StreamID)
		}
	}
	if !slices.Equal(hs, []int32{pushed[1]}) {
		t.Fatalf("after the first pushed stream closed the server opened %v, want %d", hs, pushed[1])
	}
}
