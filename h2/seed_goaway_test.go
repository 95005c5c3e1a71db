package h2

// One test per clause of seeds/nghttp2_submit_goaway.txt (and its port,
// seeds/port_submit_goaway.txt, whose clauses are the same), each checking
// the bytes on the wire through x/net/http2's Framer.

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/net/http2"
)

// serverWithStreams returns a server that received the client preface and
// requests (without END_STREAM) on ids, with its first output consumed.
func serverWithStreams(t *testing.T, opt *Options, ids ...uint32) (*endpoint, *rawWriter, *wireReader) {
	t.Helper()
	srv := newEndpoint(t).server(opt)
	w := newRawWriter()
	if err := srv.feed(clientPreface()); err != nil {
		t.Fatalf("server refused the client preface: %v", err)
	}
	for _, id := range ids {
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: w.block(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a.example"), EndHeaders: true})
	}
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("server refused the requests: %v", err)
	}
	rd := newWireReader(t)
	rd.frames(srv.flush())
	return srv, w, rd
}

// clientReady returns a client that exchanged SETTINGS with a raw server.
func clientReady(t *testing.T, opt *Options) (*endpoint, *rawWriter, *wireReader) {
	t.Helper()
	c := newEndpoint(t).client(opt)
	rd := newWireReader(t)
	rd.frames(c.flush())
	w := newRawWriter()
	if err := c.feed(serverPreface()); err != nil {
		t.Fatalf("client refused the server preface: %v", err)
	}
	rd.frames(c.flush())
	return c, w, rd
}

func goaways(t *testing.T, fs []wireFrame) []*http2.GoAwayFrame {
	var out []*http2.GoAwayFrame
	for _, f := range fs {
		if g, ok := f.Raw.(*http2.GoAwayFrame); ok {
			out = append(out, g)
		}
	}
	return out
}

func TestSubmitGoawayLastStreamIDIsMinimumOfGivenAndPreviouslySent(t *testing.T) {
	srv, _, rd := serverWithStreams(t, nil, 1, 3, 5, 7)
	steps := []struct {
		given, want uint32
	}{
		{given: 5, want: 5},
		{given: 7, want: 5}, // larger than before: the earlier, smaller one is sent
		{given: 3, want: 3},
		{given: 5, want: 3},
	}
	for _, st := range steps {
		if err := srv.s.SubmitGoaway(FlagNone, int32(st.given), NoError, nil); err != nil {
			t.Fatalf("SubmitGoaway(last=%d) returned %v", st.given, err)
		}
		g := goaways(t, rd.frames(srv.flush()))
		if len(g) != 1 || g[0].LastStreamID != st.want {
			t.Fatalf("after SubmitGoaway(last=%d) the wire carries %v, want one GOAWAY with last_stream_id %d", st.given, g, st.want)
		}
	}
}

func TestSubmitGoawayLastStreamIDMinimumAppliesToQueuedGoaways(t *testing.T) {
	// Both submitted before either is sent: the second still goes out with
	// the smaller value sent first.
	srv, _, rd := serverWithStreams(t, nil, 1, 3)
	srv.s.SubmitGoaway(FlagNone, 1, NoError, nil)
	srv.s.SubmitGoaway(FlagNone, 3, NoError, nil)
	g := goaways(t, rd.frames(srv.flush()))
	if len(g) != 2 || g[0].LastStreamID != 1 || g[1].LastStreamID != 1 {
		t.Fatalf("two GOAWAYs (last 1, then 3) went out as %v, want last_stream_id 1 twice", g)
	}
}

func TestSubmitGoawayClientLastStreamIDMustBeEvenOrZero(t *testing.T) {
	c, _, rd := clientReady(t, nil)
	for _, id := range []int32{1, 3, 2147483647} {
		if err := c.s.SubmitGoaway(FlagNone, id, NoError, nil); err != ErrInvalidArgument {
			t.Errorf("a client's SubmitGoaway(last=%d) returned %v, want ErrInvalidArgument", id, err)
		}
	}
	if fs := rd.frames(c.flush()); len(fs) != 0 {
		t.Fatalf("rejected GOAWAYs reached the wire:%s", summary(fs))
	}
	for _, id := range []int32{2, 0} {
		if err := c.s.SubmitGoaway(FlagNone, id, NoError, nil); err != nil {
			t.Errorf("a client's SubmitGoaway(last=%d) returned %v, want nil", id, err)
		}
	}
	g := goaways(t, rd.frames(c.flush()))
	if len(g) != 2 || g[0].LastStreamID != 2 || g[1].LastStreamID != 0 {
		t.Fatalf("the wire carries %v, want GOAWAY last 2 then last 0", g)
	}
}

func TestSubmitGoawayServerLastStreamIDMustBeOddOrZero(t *testing.T) {
	srv, _, rd := serverWithStreams(t, nil, 1)
	for _, id := range []int32{2, 4, -1} {
		if err := srv.s.SubmitGoaway(FlagNone, id, NoError, nil); err != ErrInvalidArgument {
			t.Errorf("a server's SubmitGoaway(last=%d) returned %v, want ErrInvalidArgument", id, err)
		}
	}
	for _, id := range []int32{1, 0} {
		if err := srv.s.SubmitGoaway(FlagNone, id, NoError, nil); err != nil {
			t.Errorf("a server's SubmitGoaway(last=%d) returned %v, want nil", id, err)
		}
	}
	g := goaways(t, rd.frames(srv.flush()))
	if len(g) != 2 || g[0].LastStreamID != 1 || g[1].LastStreamID != 0 {
		t.Fatalf("the wire carries %v, want GOAWAY last 1 then last 0", g)
	}
}

func TestSubmitGoawayFlagsAreIgnored(t *testing.T) {
	var out [2][]byte
	for i, flags := range []FrameFlags{FlagNone, 0xff} {
		srv, _, _ := serverWithStreams(t, nil, 1)
		if err := srv.s.SubmitGoaway(flags, 1, ProtocolError, []byte("x")); err != nil {
			t.Fatalf("SubmitGoaway with flags %#x returned %v", uint8(flags), err)
		}
		out[i] = srv.flush()
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Fatalf("flags changed the GOAWAY: FlagNone gives % x, 0xff gives % x", out[0], out[1])
	}
	if out[0][4] != 0 {
		t.Fatalf("the GOAWAY carries flags %#x, want 0", out[0][4])
	}
}

func TestSubmitGoawayErrorCodeIsSent(t *testing.T) {
	for _, code := range []ErrorCode{NoError, ProtocolError, EnhanceYourCalm, HTTP11Required, 0xabcdef} {
		srv, _, rd := serverWithStreams(t, nil)
		srv.s.SubmitGoaway(FlagNone, 0, code, nil)
		g := goaways(t, rd.frames(srv.flush()))
		if len(g) != 1 || ErrorCode(g[0].ErrCode) != code {
			t.Errorf("SubmitGoaway(code %v) put %v on the wire", code, g)
		}
	}
}

func TestSubmitGoawayOpaqueDataIsSentAsDebugData(t *testing.T) {
	srv, _, rd := serverWithStreams(t, nil)
	srv.s.SubmitGoaway(FlagNone, 0, NoError, []byte("going away for maintenance"))
	g := goaways(t, rd.frames(srv.flush()))
	if len(g) != 1 || string(g[0].DebugData()) != "going away for maintenance" {
		t.Fatalf("the GOAWAY is %v, want debug data %q", g, "going away for maintenance")
	}
}

func TestSubmitGoawayCopiesOpaqueData(t *testing.T) {
	srv, _, rd := serverWithStreams(t, nil)
	data := []byte("original")
	srv.s.SubmitGoaway(FlagNone, 0, NoError, data)
	copy(data, "CHANGED!")
	g := goaways(t, rd.frames(srv.flush()))
	if len(g) != 1 || string(g[0].DebugData()) != "original" {
		t.Fatalf("after the caller reused its buffer the GOAWAY carries %q, want the copy %q", g[0].DebugData(), "original")
	}
}

func TestSubmitGoawayZeroLengthOpaqueDataMayBeNil(t *testing.T) {
	for _, data := range [][]byte{nil, {}} {
		srv, _, rd := serverWithStreams(t, nil)
		if err := srv.s.SubmitGoaway(FlagNone, 0, NoError, data); err != nil {
			t.Fatalf("SubmitGoaway with opaque data %#v returned %v", data, err)
		}
		fs := rd.frames(srv.flush())
		if g := goaways(t, fs); len(g) != 1 || len(g[0].DebugData()) != 0 || g[0].Header().Length != 8 {
			t.Fatalf("the wire carries %s, want an 8-octet GOAWAY", summary(fs))
		}
	}
}

func TestSubmitGoawayOpaqueDataTooLargeIsInvalidArgument(t *testing.T) {
	srv, _, rd := serverWithStreams(t, nil)
	if err := srv.s.SubmitGoaway(FlagNone, 0, NoError, make([]byte, 16384-8+1)); err != ErrInvalidArgument {
		t.Fatalf("SubmitGoaway with 16377 octets of opaque data returned %v, want ErrInvalidArgument", err)
	}
	if fs := rd.frames(srv.flush()); len(fs) != 0 {
		t.Fatalf("a rejected GOAWAY reached the wire:%s", summary(fs))
	}
	if err := srv.s.SubmitGoaway(FlagNone, 0, NoError, make([]byte, 16384-8)); err != nil {
		t.Fatalf("SubmitGoaway with 16376 octets of opaque data (a full frame) returned %v, want nil", err)
	}
	if g := goaways(t, rd.frames(srv.flush())); len(g) != 1 || len(g[0].DebugData()) != 16376 {
		t.Fatalf("the largest GOAWAY did not go out whole: %v", g)
	}
}

func TestSubmitGoawayNoMemWhenQueueIsFull(t *testing.T) {
	srv, _, _ := serverWithStreams(t, &Options{MaxOutboundQueue: 2})
	srv.s.SubmitPing(FlagNone, nil)
	srv.s.SubmitPing(FlagNone, nil)
	if err := srv.s.SubmitGoaway(FlagNone, 0, NoError, nil); err != ErrNoMem {
		t.Fatalf("SubmitGoaway on a full outbound queue returned %v, want ErrNoMem", err)
	}
}

func TestSubmitGoawayClosesIncomingStreamsAboveLastStreamID(t *testing.T) {
	srv, _, rd := serverWithStreams(t, nil, 1, 3, 5, 7)
	srv.s.SubmitGoaway(FlagNone, 3, NoError, nil)
	if len(srv.closed) != 0 {
		t.Fatalf("streams closed before the GOAWAY was sent: %v", srv.closed)
	}
	rd.frames(srv.flush())
	for _, id := range []int32{5, 7} {
		if code, ok := srv.closed[id]; !ok || code != RefusedStream {
			t.Errorf("stream %d above last_stream_id 3: closed=%v code=%v, want closed with REFUSED_STREAM", id, ok, code)
		}
	}
	for _, id := range []int32{1, 3} {
		if _, ok := srv.closed[id]; ok || srv.s.StreamState(id) != StreamStateOpen {
			t.Errorf("stream %d at or below last_stream_id 3 is %v, want open", id, srv.s.StreamState(id))
		}
	}
}

func TestSubmitGoawayIgnoresIncomingHeadersThatStartNewStreams(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil, 1)
	srv.s.SubmitGoaway(FlagNone, 1, NoError, nil)
	rd.frames(srv.flush())
	srv.events = nil
	// A new stream, with a field that enters the HPACK dynamic table...
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/new", ":authority", "a.example", "x-new", "indexed"), EndHeaders: true, EndStream: true})
	// ...then trailers on the old stream that refer to that entry.
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block("x-new", "indexed"), EndHeaders: true, EndStream: true})
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("MemRecv after GOAWAY returned %v, want nil", err)
	}
	if fs := rd.frames(srv.flush()); len(fs) != 0 {
		t.Errorf("the ignored HEADERS drew an answer:%s", summary(fs))
	}
	if srv.s.StreamState(3) != StreamStateClosed || len(srv.headers[3]) != 0 {
		t.Errorf("stream 3 after GOAWAY: state %v, fields %q; want it ignored", srv.s.StreamState(3), srv.headers[3])
	}
	if got := srv.headers[1]; len(got) < 5 || got[len(got)-1] != "x-new: indexed" {
		t.Errorf("trailers on stream 1 decoded as %q: the ignored block must still update the HPACK table", got)
	}
}

func TestSubmitGoawayWantReadAndWantWriteFalseAfterStreamsAreHandled(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil, 1)
	srv.s.SubmitGoaway(FlagNone, 1, NoError, nil)
	rd.frames(srv.flush())
	if !srv.s.WantRead() {
		t.Fatalf("WantRead is false while stream 1 is still active")
	}
	srv.s.SubmitResponse(1, hdrs(":status", "204"), nil)
	rd.frames(srv.flush())
	if !srv.s.WantRead() {
		t.Fatalf("WantRead is false while the request body of stream 1 is still due")
	}
	w.fr.WriteData(1, true, nil)
	srv.feed(w.take())
	rd.frames(srv.flush())
	if srv.s.WantRead() || srv.s.WantWrite() {
		t.Fatalf("after GOAWAY and the last stream: WantRead %v, WantWrite %v, want false and false", srv.s.WantRead(), srv.s.WantWrite())
	}
}

func TestSubmitShutdownNoticeIsTwoStepGracefulShutdown(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil, 1)
	if err := srv.s.SubmitShutdownNotice(); err != nil {
		t.Fatalf("SubmitShutdownNotice returned %v", err)
	}
	g := goaways(t, rd.frames(srv.flush()))
	if len(g) != 1 || g[0].LastStreamID != 1<<31-1 || g[0].ErrCode != http2.ErrCodeNo {
		t.Fatalf("the notice went out as %v, want GOAWAY last 2^31-1 NO_ERROR", g)
	}
	// Streams already on their way are still accepted.
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a"), EndHeaders: true, EndStream: true})
	srv.feed(w.take())
	if srv.s.StreamState(3) != StreamStateHalfClosedRemote {
		t.Fatalf("stream 3 after the notice is %v, want half-closed (remote)", srv.s.StreamState(3))
	}
	srv.s.SubmitGoaway(FlagNone, srv.s.LastProcStreamID(), NoError, nil)
	g = goaways(t, rd.frames(srv.flush()))
	if len(g) != 1 || g[0].LastStreamID != 3 {
		t.Fatalf("the final GOAWAY went out as %v, want last_stream_id 3", g)
	}
	c := newEndpoint(t).client(nil)
	if err := c.s.SubmitShutdownNotice(); err != ErrInvalidState {
		t.Fatalf("a client's SubmitShutdownNotice returned %v, want ErrInvalidState", err)
	}
}

func TestTerminateSessionSendsGoawayAndStops(t *testing.T) {
	srv, _, rd := serverWithStreams(t, nil, 1, 3)
	srv.s.SubmitPing(FlagNone, nil)
	if err := srv.s.TerminateSession(InternalError); err != nil {
		t.Fatalf("TerminateSession returned %v", err)
	}
	fs := rd.frames(srv.flush())
	if len(fs) != 1 || fs[0].Type != FrameGoaway {
		t.Fatalf("TerminateSession put%s on the wire, want only GOAWAY (it goes ahead of queued frames and ends the session)", summary(fs))
	}
	g := goaways(t, fs)[0]
	if g.LastStreamID != 3 || g.ErrCode != http2.ErrCodeInternal {
		t.Fatalf("the GOAWAY carries last %d code %v, want last 3 INTERNAL_ERROR", g.LastStreamID, g.ErrCode)
	}
	if srv.s.WantRead() || srv.s.WantWrite() {
		t.Fatalf("after TerminateSession WantRead %v WantWrite %v, want false", srv.s.WantRead(), srv.s.WantWrite())
	}
	if _, err := srv.s.SubmitHeaders(FlagEndStream, 1, hdrs(":status", "200"), nil); !errors.Is(err, ErrSessionClosing) {
		t.Fatalf("SubmitHeaders after termination returned %v, want ErrSessionClosing", err)
	}
}
