package h2

import (
	"math/rand/v2"
	"testing"

	"golang.org/x/net/http2"
)

func TestStreamTableMatchesAMapUnderRandomUse(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tab := newStreamTable(4)
	ref := map[int32]*stream{}
	for i := 0; i < 20000; i++ {
		id := int32(rng.IntN(300)*2 + 1)
		switch {
		case ref[id] == nil && rng.IntN(2) == 0:
			st := &stream{id: id}
			tab.put(st)
			ref[id] = st
		case ref[id] != nil && rng.IntN(2) == 0:
			tab.remove(id)
			delete(ref, id)
		}
		if got := tab.get(id); got != ref[id] {
			t.Fatalf("step %d: get(%d) = %p, the reference map has %p", i, id, got, ref[id])
		}
	}
	for id, st := range ref {
		if tab.get(id) != st {
			t.Fatalf("stream %d lost from the table", id)
		}
	}
	if tab.count != len(ref) {
		t.Fatalf("the table counts %d streams, the reference %d", tab.count, len(ref))
	}
}

func TestStreamStatesOfAClientRequest(t *testing.T) {
	c, s := newPair(t, nil, nil)
	var states []StreamState
	s.cb.OnFrameRecv = func(ss *Session, f *Frame) error {
		if f.Type() == FrameHeaders && f.Cat == HCatRequest {
			states = append(states, c.s.StreamState(1))
			return ss.SubmitResponse(1, hdrs(":status", "200"), bytesProvider([]byte("x")))
		}
		return nil
	}
	s.s.cb = s.cb
	c.s.SubmitRequest(hdrs(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a"), bytesProvider([]byte("body")), nil)
	if st := c.s.StreamState(1); st != StreamStateIdle {
		t.Fatalf("a submitted, unsent request's stream is %v, want idle", st)
	}
	exchange(t, c, s)
	if len(states) != 1 || states[0] != StreamStateHalfClosedLocal {
		t.Fatalf("when the server saw the request the client's stream was %v, want half-closed (local)", states)
	}
	if st := c.s.StreamState(1); st != StreamStateClosed {
		t.Fatalf("after the response the stream is %v, want closed", st)
	}
	if st := c.s.StreamState(3); st != StreamStateIdle {
		t.Fatalf("stream 3 (never used) is %v, want idle", st)
	}
}

func TestStreamIDExhaustion(t *testing.T) {
	c, _, _ := clientReady(t, nil)
	c.s.nextStreamID = maxStreamID - 2
	for _, want := range []int32{maxStreamID - 2, maxStreamID} {
		if id, err := c.s.SubmitRequest(getRequest(), nil, nil); id != want || err != nil {
			t.Fatalf("SubmitRequest returned (%d, %v), want (%d, nil)", id, err, want)
		}
	}
	if id, err := c.s.SubmitRequest(getRequest(), nil, nil); err != ErrStreamIDNotAvailable {
		t.Fatalf("SubmitRequest after stream 2^31-1 returned (%d, %v), want ErrStreamIDNotAvailable", id, err)
	}
}

func TestStreamClosedStreamsAreRememberedBoundedly(t *testing.T) {
	srv, w, rd := serverWithStreams(t, &Options{MaxClosedStreams: 2})
	for id := uint32(1); id <= 7; id += 2 {
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
		srv.feed(w.take())
		srv.s.SubmitResponse(int32(id), hdrs(":status", "204"), nil)
		rd.frames(srv.flush())
	}
	// Stream 7 closed normally and is remembered: DATA on it is a
	// connection error of type STREAM_CLOSED.
	// Stream 1 was forgotten: a late frame is ignored, as nghttp2 does.
	w.fr.WriteData(1, false, []byte("late"))
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("DATA on a long-forgotten closed stream drew %v, want it ignored", err)
	}
	w.fr.WriteData(7, false, []byte("late"))
	err := srv.feed(w.take())
	if g := goaways(t, rd.frames(srv.flush())); len(g) != 1 || g[0].ErrCode != http2.ErrCodeStreamClosed || err == nil {
		t.Fatalf("DATA on a remembered closed stream drew %v and %v, want GOAWAY STREAM_CLOSED", g, err)
	}
}

func TestStreamRstStreamClosesWhenSentAndIgnoresLateFrames(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil, 1)
	if err := srv.s.SubmitRstStream(FlagNone, 1, Cancel); err != nil {
		t.Fatalf("SubmitRstStream returned %v", err)
	}
	if _, ok := srv.closed[1]; ok {
		t.Fatalf("the stream closed before its RST_STREAM was sent")
	}
	fs := rd.frames(srv.flush())
	if len(fs) != 1 || fs[0].Raw.(*http2.RSTStreamFrame).ErrCode != http2.ErrCodeCancel || srv.closed[1] != Cancel {
		t.Fatalf("SubmitRstStream sent%s and closed stream 1 with %v, want RST_STREAM CANCEL and a close with CANCEL", summary(fs), srv.closed[1])
	}
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block("x-t", "1"), EndHeaders: true, EndStream: true})
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("a frame in flight after our RST_STREAM drew %v, want it ignored", err)
	}
	if fs := rd.frames(srv.flush()); len(fs) != 0 {
		t.Fatalf("a frame in flight after our RST_STREAM drew%s", summary(fs))
	}
}

func TestStreamUserData(t *testing.T) {
	c, s := newPair(t, nil, nil)
	var seen any
	c.cb.OnStreamClose = func(ss *Session, id int32, code ErrorCode) error {
		seen = ss.GetStreamUserData(id)
		return nil
	}
	c.s.cb = c.cb
	s.cb.OnFrameRecv = func(ss *Session, f *Frame) error {
		if f.Cat == HCatRequest && f.Type() == FrameHeaders {
			return ss.SubmitResponse(f.StreamID(), hdrs(":status", "204"), nil)
		}
		return nil
	}
	s.s.cb = s.cb
	c.s.SubmitRequest(getRequest(), nil, "mine")
	exchange(t, c, s)
	if seen != "mine" {
		t.Fatalf("the stream's user data at close was %v, want \"mine\"", seen)
	}
}

func TestStreamNoHTTPMessagingDeliversInvalidFields(t *testing.T) {
	srv, w, _ := serverWithStreams(t, &Options{NoHTTPMessaging: true})
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block("X-Upper", "v", "connection", "close"), EndHeaders: true, EndStream: true})
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("with messaging checks off a request without pseudo-headers drew %v", err)
	}
	if got := srv.headers[1]; len(got) != 2 || got[0] != "X-Upper: v" {
		t.Fatalf("with messaging checks off the fields were %q, want them delivered as received", got)
	}
}

func TestStreamRefusedStreamDropsFramesInFlight(t *testing.T) {
	srv, w, rd := serverWithStreams(t, &Options{MaxConcurrentStreams: 1}, 1)
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: postBlock(w), EndHeaders: true})
	w.fr.WriteData(3, false, []byte("in flight"))
	w.fr.WriteData(3, true, []byte("more"))
	err := srv.feed(w.take())
	if IsFatal(err) {
		t.Fatalf("DATA in flight on a refused stream drew %v, want it dropped", err)
	}
	fs := rd.frames(srv.flush())
	if g := goaways(t, fs); len(g) != 0 || len(only(fs, FrameRSTStream)) != 1 {
		t.Fatalf("a refused stream with DATA in flight drew%s, want one RST_STREAM and no GOAWAY", summary(fs))
	}
}

func TestStreamFramesOfStreamsOpenedAfterGoawayAreIgnored(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil, 1)
	srv.s.SubmitGoaway(FlagNone, 1, NoError, nil)
	rd.frames(srv.flush())
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: postBlock(w), EndHeaders: true})
	w.fr.WriteData(3, false, []byte("x"))
	w.fr.WriteRSTStream(3, http2.ErrCodeCancel)
	w.fr.WriteWindowUpdate(3, 10)
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("frames of a stream opened after GOAWAY drew %v, want them ignored", err)
	}
	if fs := rd.frames(srv.flush()); len(fs) != 0 {
		t.Fatalf("frames of a stream opened after GOAWAY drew%s", summary(fs))
	}
}

func TestStreamRstStreamBeforeTheRequestIsSentCancelsIt(t *testing.T) {
	c, _, rd := clientReady(t, nil)
	var notSent []Error
	c.cb.OnFrameNotSend = func(s *Session, f *Frame, code Error) error { notSent = append(notSent, code); return nil }
	c.s.cb = c.cb
	id, _ := c.s.SubmitRequest(getRequest(), nil, nil)
	if err := c.s.SubmitRstStream(FlagNone, id, Cancel); err != nil {
		t.Fatalf("SubmitRstStream on an unsent request returned %v", err)
	}
	if fs := rd.frames(c.flush()); len(fs) != 0 {
		t.Fatalf("a request reset before it was sent put%s on the wire, want nothing (RST_STREAM on an idle stream is a protocol error)", summary(fs))
	}
	if len(notSent) != 1 || notSent[0] != ErrStreamClosed {
		t.Fatalf("OnFrameNotSend reported %v, want one ErrStreamClosed for the canceled request", notSent)
	}
}
