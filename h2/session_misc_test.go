package h2

import (
	"errors"
	"slices"
	"testing"

	"golang.org/x/net/http2"
)

func TestWantReadAndWantWriteAfterThePeersGoaway(t *testing.T) {
	c, w, rd := clientReady(t, nil)
	c.s.SubmitRequest(getRequest(), nil, nil)
	rd.frames(c.flush())
	w.fr.WriteGoAway(1, http2.ErrCodeNo, nil)
	c.feed(w.take())
	if !c.s.WantRead() {
		t.Fatalf("WantRead is false while stream 1 (below last_stream_id) is still active")
	}
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":status", "204"), EndHeaders: true, EndStream: true})
	c.feed(w.take())
	if c.s.WantRead() || c.s.WantWrite() {
		t.Fatalf("after the peer's GOAWAY and the last stream: WantRead %v WantWrite %v, want false, false", c.s.WantRead(), c.s.WantWrite())
	}
}

func TestPeerGoawayRefusesOurStreamsAboveLastStreamID(t *testing.T) {
	c, w, rd := clientReady(t, nil)
	for i := 0; i < 3; i++ {
		c.s.SubmitRequest(getRequest(), nil, nil)
	}
	rd.frames(c.flush())
	w.fr.WriteGoAway(1, http2.ErrCodeNo, nil)
	c.feed(w.take())
	if c.closed[3] != RefusedStream || c.closed[5] != RefusedStream {
		t.Fatalf("streams 3 and 5 above the peer's last_stream_id 1 closed with %v, want REFUSED_STREAM (safe to retry)", c.closed)
	}
	if _, ok := c.closed[1]; ok {
		t.Fatalf("stream 1 (processed by the peer) was closed by GOAWAY")
	}
}

func TestClientInformationalThenFinalResponse(t *testing.T) {
	c, w, _ := clientReady(t, nil)
	c.s.SubmitRequest(getRequest(), nil, nil)
	c.flush()
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":status", "103", "link", "</a.css>"), EndHeaders: true})
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":status", "200", "content-length", "2"), EndHeaders: true})
	w.fr.WriteData(1, false, []byte("ok"))
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block("x-trailer", "t"), EndHeaders: true, EndStream: true})
	if err := c.feed(w.take()); err != nil {
		t.Fatalf("103, 200, DATA, trailers drew %v", err)
	}
	want := []string{":status: 103", "link: </a.css>", ":status: 200", "content-length: 2", "x-trailer: t"}
	if !slices.Equal(c.headers[1], want) || string(c.body[1]) != "ok" || c.closed[1] != NoError {
		t.Fatalf("the client saw %q, body %q, close %v; want %q, \"ok\", NO_ERROR", c.headers[1], c.body[1], c.closed[1], want)
	}
}

func TestServerReceivesRequestTrailers(t *testing.T) {
	srv, w, _ := serverWithStreams(t, nil, 1)
	w.fr.WriteData(1, false, []byte("body"))
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block("x-checksum", "42"), EndHeaders: true, EndStream: true})
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("request trailers drew %v", err)
	}
	if got := srv.headers[1]; got[len(got)-1] != "x-checksum: 42" || srv.s.StreamState(1) != StreamStateHalfClosedRemote {
		t.Fatalf("fields %q, state %v; want the trailer delivered and the stream half-closed (remote)", got, srv.s.StreamState(1))
	}
}

func TestCallbackTemporalFailureResetsOnlyTheStream(t *testing.T) {
	for _, which := range []string{"OnBeginHeaders", "OnHeader"} {
		srv, w, rd := serverWithStreams(t, nil)
		switch which {
		case "OnBeginHeaders":
			srv.cb.OnBeginHeaders = func(*Session, *Frame) error { return ErrTemporalCallbackFailure }
		case "OnHeader":
			srv.cb.OnHeader = func(*Session, *Frame, []byte, []byte, NVFlag) error { return ErrTemporalCallbackFailure }
		}
		srv.s.cb = srv.cb
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
		err := srv.feed(w.take())
		var se *StreamError
		if !errors.As(err, &se) || se.Code != InternalError {
			t.Fatalf("%s returning ErrTemporalCallbackFailure: MemRecv returned %v, want a *StreamError with INTERNAL_ERROR", which, err)
		}
		rst := only(rd.frames(srv.flush()), FrameRSTStream)
		if len(rst) != 2 || rst[0].Raw.(*http2.RSTStreamFrame).ErrCode != http2.ErrCodeInternal {
			t.Fatalf("%s temporal failure sent%s, want RST_STREAM INTERNAL_ERROR on streams 1 and 3", which, summary(rst))
		}
	}
}

func TestCallbackFailureInMemRecvIsFatal(t *testing.T) {
	srv, w, _ := serverWithStreams(t, nil)
	srv.cb.OnFrameRecv = func(*Session, *Frame) error { return errors.New("application bug") }
	srv.s.cb = srv.cb
	w.fr.WritePing(false, [8]byte{})
	_, err := srv.s.MemRecv(w.take())
	if err != ErrCallbackFailure || !IsFatal(err) {
		t.Fatalf("a failing OnFrameRecv made MemRecv return %v, want ErrCallbackFailure (fatal)", err)
	}
	if srv.s.WantRead() || srv.s.WantWrite() {
		t.Fatalf("after a callback failure the session still wants to read or write")
	}
}

func TestErrorValuesMatchNghttp2(t *testing.T) {
	for _, tc := range []struct {
		err  Error
		want int
	}{
		{ErrInvalidArgument, -501}, {ErrWouldBlock, -504}, {ErrDeferred, -508}, {ErrStreamIDNotAvailable, -509},
		{ErrStartStreamNotAllowed, -516}, {ErrTemporalCallbackFailure, -521}, {ErrPause, -526},
		{ErrCancel, -535}, {ErrNoMem, -901}, {ErrCallbackFailure, -902}, {ErrFlooded, -904}, {ErrTooManyContinuations, -905},
	} {
		if int(tc.err) != tc.want {
			t.Errorf("%v = %d, want nghttp2's %d", tc.err, int(tc.err), tc.want)
		}
	}
	ce := error(&ConnError{Lib: ErrFlowControl, Code: FlowControlError, Rule: "x"})
	var lib Error
	if !errors.Is(ce, ErrFlowControl) || !errors.Is(ce, FlowControlError) || errors.Is(ce, ProtocolError) || !errors.As(ce, &lib) || lib != ErrFlowControl {
		t.Fatalf("errors.Is/As on a *ConnError do not match its library error and code")
	}
	if FlowControlError.String() != "FLOW_CONTROL_ERROR" || ErrorCode(0x99).String() == "" {
		t.Fatalf("ErrorCode names are wrong: %q", FlowControlError.String())
	}
	if IsFatal(&StreamError{}) || !IsFatal(ce) || IsFatal(nil) || IsFatal(ErrWouldBlock) || !IsFatal(ErrCallbackFailure) {
		t.Fatalf("IsFatal misclassifies errors")
	}
}

func TestNewSessionRejectsOutOfRangeOptions(t *testing.T) {
	cb := &Callbacks{}
	for _, o := range []*Options{{MaxFrameSize: 1000}, {MaxFrameSize: 1 << 24}, {InitialWindowSize: 1 << 31}, {ConnectionWindowSize: 1 << 31}} {
		if _, err := NewServerSession(cb, o); err != ErrInvalidArgument {
			t.Errorf("NewServerSession(%+v) returned %v, want ErrInvalidArgument", *o, err)
		}
	}
	if _, err := NewClientSession(nil, nil); err != ErrInvalidArgument {
		t.Errorf("NewClientSession without callbacks returned %v, want ErrInvalidArgument", err)
	}
}

func TestSubmitFunctionsCheckTheSide(t *testing.T) {
	c := newEndpoint(t).client(nil)
	s := newEndpoint(t).server(nil)
	if _, err := s.s.SubmitRequest(getRequest(), nil, nil); err != ErrProto {
		t.Errorf("a server's SubmitRequest returned %v, want ErrProto", err)
	}
	if err := c.s.SubmitResponse(1, hdrs(":status", "200"), nil); err != ErrProto {
		t.Errorf("a client's SubmitResponse returned %v, want ErrProto", err)
	}
	if err := s.s.SubmitResponse(0, hdrs(":status", "200"), nil); err != ErrInvalidArgument {
		t.Errorf("SubmitResponse on stream 0 returned %v, want ErrInvalidArgument", err)
	}
	if err := s.s.SubmitPriorityUpdate(1, nil); err != ErrInvalidState {
		t.Errorf("a server's SubmitPriorityUpdate returned %v, want ErrInvalidState", err)
	}
}

func TestSendLargeHeaderBlockUsesContinuation(t *testing.T) {
	val := make([]byte, 40000)
	for i := range val {
		val[i] = 'a' + byte(i%26)
	}
	c, s := newPair(t, nil, nil)
	s.cb.OnFrameRecv = func(ss *Session, f *Frame) error {
		if f.Type() == FrameHeaders && f.Cat == HCatRequest {
			return ss.SubmitResponse(f.StreamID(), []NV{{Name: []byte(":status"), Value: []byte("200")}, {Name: []byte("x-big"), Value: val, Flags: NVFlagNoIndex}}, nil)
		}
		return nil
	}
	s.s.cb = s.cb
	c.s.SubmitRequest(getRequest(), nil, nil)
	s.feed(c.flush())
	out := s.flush()
	fs := newWireReader(t).frames(out)
	lines := frameLines(fs)
	if !slices.Contains(lines, "CONTINUATION") {
		t.Fatalf("a 40000-octet header went out as %q, want HEADERS followed by CONTINUATION frames", lines)
	}
	for _, f := range fs {
		if f.Type == FrameHeaders && f.Flags.Has(FlagEndHeaders) {
			t.Fatalf("the first HEADERS of a split block carries END_HEADERS")
		}
	}
	c.feed(out)
	if got := c.headers[1]; len(got) != 2 || got[1] != "x-big: "+string(val) || c.closed[1] != NoError {
		t.Fatalf("the client decoded %d fields (close %v), want :status and the 40000-octet x-big", len(got), c.closed[1])
	}
}

func TestLocalInitialWindowSizeChangeAppliesToOpenStreams(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil, 1)
	// Raising our INITIAL_WINDOW_SIZE takes effect at once: the peer may
	// send 100000 octets on the open stream (the connection window is
	// raised separately).
	srv.s.SubmitSettings(FlagNone, []SettingsEntry{{SettingsInitialWindowSize, 200000}})
	srv.s.SetLocalWindowSize(FlagNone, 0, 1<<20)
	rd.frames(srv.flush())
	writeData(w, 1, 100000)
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("100000 octets after raising INITIAL_WINDOW_SIZE to 200000 drew %v", err)
	}
	// Lowering it applies when acknowledged.
	srv.s.SubmitSettings(FlagNone, []SettingsEntry{{SettingsInitialWindowSize, 10}})
	rd.frames(srv.flush())
	if v := srv.s.LocalSetting(SettingsInitialWindowSize); v != 200000 {
		t.Fatalf("before its ACK our INITIAL_WINDOW_SIZE is %d, want still 200000", v)
	}
	w.fr.WriteSettingsAck()
	w.fr.WriteSettingsAck()
	w.fr.WriteSettingsAck()
	srv.feed(w.take())
	if v := srv.s.LocalSetting(SettingsInitialWindowSize); v != 10 {
		t.Fatalf("after the ACKs our INITIAL_WINDOW_SIZE is %d, want 10", v)
	}
}
