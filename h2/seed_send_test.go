package h2

// One test per clause of seeds/nghttp2_session_send.txt.

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/http2"
)

// stepLog records the callbacks of Send in order.
type stepLog struct {
	lines []string
}

func (l *stepLog) add(format string, args ...any) {
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// instrument makes e's callbacks write to log; Send takes at most chunk
// octets per call.
func instrument(e *endpoint, log *stepLog, chunk int) {
	e.cb.Send = func(s *Session, b []byte) (int, error) {
		n := min(len(b), chunk)
		e.wire.Write(b[:n])
		log.add("send")
		return n, nil
	}
	e.cb.SelectPadding = func(s *Session, f *Frame, maxPayload int) (int, error) {
		log.add("select_padding %v %d state=%v", f.Type(), f.StreamID(), s.StreamState(f.StreamID()))
		return int(f.Hd.Length), nil
	}
	e.cb.BeforeFrameSend = func(s *Session, f *Frame) error {
		log.add("before_frame_send %v %d state=%v", f.Type(), f.StreamID(), s.StreamState(f.StreamID()))
		return nil
	}
	e.cb.OnFrameSend = func(s *Session, f *Frame) error {
		log.add("on_frame_send %v %d", f.Type(), f.StreamID())
		return nil
	}
	e.cb.OnFrameNotSend = func(s *Session, f *Frame, code Error) error {
		log.add("on_frame_not_send %v %d %d", f.Type(), f.StreamID(), int(code))
		return nil
	}
	e.cb.OnStreamClose = func(s *Session, id int32, code ErrorCode) error {
		log.add("on_stream_close %d %v", id, code)
		return nil
	}
	e.s.cb = e.cb
}

// squeeze collapses runs of "send" into "send xN".
func squeeze(lines []string) []string {
	var out []string
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && lines[j] == lines[i] && lines[i] == "send" {
			j++
		}
		if j > i+1 {
			out = append(out, fmt.Sprintf("send x%d", j-i))
			i = j
			continue
		}
		out = append(out, lines[i])
		i++
	}
	return out
}

func TestSessionSendCallbackOrder(t *testing.T) {
	// Steps 1, 2, 4, 5, 6, 8, 9 on a client's request HEADERS: padding is
	// chosen while the stream is idle, the stream is open by the time
	// BeforeFrameSend runs, Send is called several times (3 octets at a
	// time), then OnFrameSend.
	c, _, rd := clientReady(t, nil)
	var log stepLog
	instrument(c, &log, 3)
	c.s.SubmitRequest(getRequest(), nil, nil)
	out := c.flush()
	fs := rd.frames(out)
	if len(fs) != 1 || fs[0].Type != FrameHeaders {
		t.Fatalf("the request went out as%s, want one HEADERS", summary(fs))
	}
	want := []string{
		"select_padding HEADERS 1 state=idle",
		"before_frame_send HEADERS 1 state=open",
		fmt.Sprintf("send x%d", (len(out)+2)/3),
		"on_frame_send HEADERS 1",
	}
	if got := squeeze(log.lines); !slices.Equal(got, want) {
		t.Fatalf("client request callbacks ran as\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}

	// Step 10 on a server's response that ends a half-closed (remote)
	// stream: OnStreamClose comes after OnFrameSend.
	srv, w, srd := serverWithStreams(t, nil)
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a"), EndHeaders: true, EndStream: true})
	srv.feed(w.take())
	srd.frames(srv.flush())
	log = stepLog{}
	instrument(srv, &log, 1<<20)
	srv.s.SubmitResponse(1, hdrs(":status", "204"), nil)
	srd.frames(srv.flush())
	want = []string{
		"select_padding HEADERS 1 state=half-closed (remote)",
		"before_frame_send HEADERS 1 state=half-closed (remote)",
		"send",
		"on_frame_send HEADERS 1",
		"on_stream_close 1 NO_ERROR",
	}
	if got := squeeze(log.lines); !slices.Equal(got, want) {
		t.Fatalf("server response callbacks ran as\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}

	// DATA: step 2 (preparing reads the body), 4 (padding), no 6 and 7
	// (nghttp2 calls BeforeFrameSend for non-DATA frames only), 8, 9, and
	// 10 when END_STREAM closes the stream.
	srv2, w2, srd2 := serverWithStreams(t, nil)
	w2.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w2.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a"), EndHeaders: true, EndStream: true})
	srv2.feed(w2.take())
	srd2.frames(srv2.flush())
	srv2.s.SubmitResponse(1, hdrs(":status", "200"), &DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
		log.add("read %d", id)
		*flags |= DataFlagEOF
		return copy(buf, "body"), nil
	}})
	log = stepLog{}
	instrument(srv2, &log, 1<<20)
	srd2.frames(srv2.flush())
	want = []string{
		"select_padding HEADERS 1 state=half-closed (remote)",
		"before_frame_send HEADERS 1 state=half-closed (remote)",
		"send",
		"on_frame_send HEADERS 1",
		"read 1",
		"select_padding DATA 1 state=half-closed (remote)",
		"send",
		"on_frame_send DATA 1",
		"on_stream_close 1 NO_ERROR",
	}
	if got := log.lines; !slices.Equal(got, want) {
		t.Fatalf("response with a body: callbacks ran as\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestSessionSendFrameNotSendWhenPreconditionFails(t *testing.T) {
	// Step 3: request HEADERS cannot be sent after GOAWAY; OnFrameNotSend
	// is called and the following steps are skipped.
	c, w, rd := clientReady(t, nil)
	w.fr.WriteGoAway(0, http2.ErrCodeNo, nil)
	c.feed(w.take())
	var log stepLog
	instrument(c, &log, 1<<20)
	if _, err := c.s.SubmitRequest(getRequest(), nil, nil); err != nil {
		t.Fatalf("SubmitRequest after GOAWAY was received returned %v; the frame should fail at Send", err)
	}
	if fs := only(rd.frames(c.flush()), FrameHeaders); len(fs) != 0 {
		t.Fatalf("request HEADERS went out after GOAWAY:%s", summary(fs))
	}
	want := fmt.Sprintf("on_frame_not_send HEADERS 1 %d", int(ErrStartStreamNotAllowed))
	if !slices.Contains(log.lines, want) || slices.ContainsFunc(log.lines, func(l string) bool {
		return strings.Contains(l, "HEADERS") && l != want
	}) {
		t.Fatalf("callbacks for the refused request: %q, want only %q", log.lines, want)
	}
}

func TestSessionSendBeforeFrameSendCancel(t *testing.T) {
	// Steps 6 and 7: ErrCancel from BeforeFrameSend cancels the frame and
	// OnFrameNotSend gets ErrCancel; the stream opened in step 5 closes with REFUSED_STREAM, as in nghttp2.
	c, _, rd := clientReady(t, nil)
	var log stepLog
	instrument(c, &log, 1<<20)
	c.cb.BeforeFrameSend = func(s *Session, f *Frame) error {
		log.add("before_frame_send %v %d", f.Type(), f.StreamID())
		if f.Type() == FrameHeaders {
			return ErrCancel
		}
		return nil
	}
	c.s.cb = c.cb
	c.s.SubmitRequest(getRequest(), nil, nil)
	c.s.SubmitPing(FlagNone, nil)
	fs := rd.frames(c.flush())
	if len(fs) != 1 || fs[0].Type != FramePing {
		t.Fatalf("after canceling HEADERS the wire carries%s, want only the PING", summary(fs))
	}
	want := []string{
		"before_frame_send PING 0",
		"send",
		"on_frame_send PING 0",
		"select_padding HEADERS 1 state=idle",
		"before_frame_send HEADERS 1",
		fmt.Sprintf("on_frame_not_send HEADERS 1 %d", int(ErrCancel)),
		"on_stream_close 1 REFUSED_STREAM",
	}
	if !slices.Equal(log.lines, want) {
		t.Fatalf("callbacks ran as\n\t%s\nwant\n\t%s", strings.Join(log.lines, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestSessionSendRetrievesHighestPriorityFrameFirst(t *testing.T) {
	// Control frames go before DATA; among DATA, lower urgency first
	// (RFC 9218).
	srv, w, rd := serverWithStreams(t, &Options{InitialWindowSize: 1 << 20}, 1, 3)
	for _, id := range []uint32{1, 3} {
		w.fr.WriteData(id, true, nil)
	}
	srv.feed(w.take())
	srv.s.SubmitResponse(1, hdrs(":status", "200"), bytesProvider([]byte("low")))
	srv.s.SubmitResponse(3, hdrs(":status", "200"), bytesProvider([]byte("high")))
	srv.s.ChangeStreamPriority(1, 6, false)
	srv.s.ChangeStreamPriority(3, 0, false)
	srv.s.SubmitPing(FlagNone, nil)
	fs := rd.frames(srv.flush())
	var order []string
	for _, f := range fs {
		order = append(order, fmt.Sprintf("%v %d", f.Type, f.StreamID))
	}
	want := []string{"HEADERS 1", "HEADERS 3", "PING 0", "DATA 3", "DATA 1"}
	if !slices.Equal(order, want) {
		t.Fatalf("frames went out as %q, want %q (control frames first, then DATA by urgency)", order, want)
	}
}

func TestSessionSendStopsWhenSendReturnsWouldBlock(t *testing.T) {
	c, _, rd := clientReady(t, nil)
	budget := 10
	c.cb.Send = func(s *Session, b []byte) (int, error) {
		if budget == 0 {
			return 0, ErrWouldBlock
		}
		n := min(budget, len(b))
		budget -= n
		c.wire.Write(b[:n])
		return n, nil
	}
	c.s.cb = c.cb
	c.s.SubmitPing(FlagNone, &[8]byte{1, 2, 3, 4, 5, 6, 7, 8})
	c.s.SubmitPing(FlagNone, &[8]byte{8, 7, 6, 5, 4, 3, 2, 1})
	c.wire.Reset()
	if err := c.s.Send(); err != nil {
		t.Fatalf("Send returned %v when the callback would block, want nil", err)
	}
	first := bytes.Clone(c.wire.Bytes())
	if c.wire.Len() != 10 || !c.s.WantWrite() {
		t.Fatalf("Send wrote %d octets and WantWrite is %v, want 10 octets and true", c.wire.Len(), c.s.WantWrite())
	}
	budget = 1 << 20
	out := c.flush()
	fs := rd.frames(append(first, out...))
	if len(fs) != 2 || fs[0].Raw.(*http2.PingFrame).Data != [8]byte{1, 2, 3, 4, 5, 6, 7, 8} {
		t.Fatalf("after resuming the wire carries%s, want both PINGs in order", summary(fs))
	}
}

func TestSessionSendStopsWhenOutboundQueueIsEmpty(t *testing.T) {
	c, _, _ := clientReady(t, nil)
	calls := 0
	c.cb.Send = func(s *Session, b []byte) (int, error) { calls++; return len(b), nil }
	c.s.cb = c.cb
	if err := c.s.Send(); err != nil || calls != 0 || c.s.WantWrite() {
		t.Fatalf("Send with nothing queued: err %v, %d Send calls, WantWrite %v; want nil, 0, false", err, calls, c.s.WantWrite())
	}
}

func TestSessionSendStopsWhenRemoteWindowIsDepleted(t *testing.T) {
	c, w, rd := clientReady(t, nil)
	w.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10})
	c.feed(w.take())
	body := []byte("0123456789abcdefghij")
	c.s.SubmitRequest(hdrs(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a"), bytesProvider(body), nil)
	data := only(rd.frames(c.flush()), FrameData)
	if len(data) != 1 || string(data[0].Data) != "0123456789" || c.s.WantWrite() {
		t.Fatalf("with a 10-octet stream window the client sent %s and WantWrite %v; want 10 octets of DATA and false", summary(data), c.s.WantWrite())
	}
	w.fr.WriteWindowUpdate(1, 100)
	c.feed(w.take())
	data = only(rd.frames(c.flush()), FrameData)
	if len(data) != 1 || string(data[0].Data) != "abcdefghij" || !data[0].Flags.Has(FlagEndStream) {
		t.Fatalf("after WINDOW_UPDATE the client sent%s, want the rest with END_STREAM", summary(data))
	}
}

func TestSessionSendStopsAtMaxConcurrentStreams(t *testing.T) {
	c, w, rd := clientReady(t, nil)
	w.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 1})
	c.feed(w.take())
	c.s.SubmitRequest(getRequest(), nil, nil)
	c.s.SubmitRequest(getRequest(), nil, nil)
	hs := only(rd.frames(c.flush()), FrameHeaders)
	if len(hs) != 1 || hs[0].StreamID != 1 {
		t.Fatalf("with MAX_CONCURRENT_STREAMS 1 the client sent%s, want only stream 1", summary(hs))
	}
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":status", "204"), EndHeaders: true, EndStream: true})
	c.feed(w.take())
	hs = only(rd.frames(c.flush()), FrameHeaders)
	if len(hs) != 1 || hs[0].StreamID != 3 {
		t.Fatalf("after stream 1 closed the client sent%s, want stream 3", summary(hs))
	}
}

func TestSessionSendReturnsCallbackFailure(t *testing.T) {
	c, _, _ := clientReady(t, nil)
	c.cb.OnFrameSend = func(s *Session, f *Frame) error { return errors.New("boom") }
	c.s.cb = c.cb
	c.s.SubmitPing(FlagNone, nil)
	if err := c.s.Send(); err != ErrCallbackFailure {
		t.Fatalf("Send with a failing OnFrameSend returned %v, want ErrCallbackFailure", err)
	}
	c2, _, _ := clientReady(t, nil)
	c2.cb.Send = func(s *Session, b []byte) (int, error) { return 0, errors.New("socket gone") }
	c2.s.cb = c2.cb
	c2.s.SubmitPing(FlagNone, nil)
	if err := c2.s.Send(); err != ErrCallbackFailure {
		t.Fatalf("Send with a failing Send callback returned %v, want ErrCallbackFailure", err)
	}
}

func TestSessionSendSelectPaddingPadsHeadersPushPromiseAndData(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil)
	srv.s.remote.enablePush = 1
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a"), EndHeaders: true, EndStream: true})
	srv.feed(w.take())
	rd.frames(srv.flush())
	srv.cb.SelectPadding = func(s *Session, f *Frame, maxPayload int) (int, error) {
		return min(int(f.Hd.Length)+10, maxPayload), nil
	}
	srv.s.cb = srv.cb
	if _, err := srv.s.SubmitPushPromise(FlagNone, 1, hdrs(":method", "GET", ":scheme", "https", ":path", "/style.css", ":authority", "a"), nil); err != nil {
		t.Fatalf("SubmitPushPromise: %v", err)
	}
	srv.s.SubmitResponse(1, hdrs(":status", "200"), bytesProvider([]byte("body")))
	fs := rd.frames(srv.flush())
	seen := map[FrameType]bool{}
	for _, f := range fs {
		if f.Type == FrameHeaders || f.Type == FramePushPromise || f.Type == FrameData {
			if !f.Flags.Has(FlagPadded) {
				t.Errorf("%v is not padded", f)
			}
			seen[f.Type] = true
		}
		if d, ok := f.Raw.(*http2.DataFrame); ok && (string(d.Data()) != "body" || d.Length != 4+10) {
			t.Errorf("DATA carries %q in %d octets, want \"body\" padded to 14", d.Data(), d.Length)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("the wire carries%s, want padded HEADERS, PUSH_PROMISE and DATA", summary(fs))
	}
}

func TestSessionSendReturnsNoMem(t *testing.T) {
	// The seed's other error: out of memory. Here the bounded outbound
	// queue is full when Send must queue a RST_STREAM for a body that
	// failed.
	srv, _, rd := serverWithGet(t, &Options{MaxOutboundQueue: 4})
	srv.s.SubmitResponse(1, hdrs(":status", "200"), &DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
		for s.SubmitPing(FlagNone, nil) == nil {
		}
		return 0, ErrTemporalCallbackFailure
	}})
	srv.wire.Reset()
	if err := srv.s.Send(); err != ErrNoMem {
		t.Fatalf("Send with a full queue returned %v, want ErrNoMem", err)
	}
	rd.frames(srv.wire.Bytes())
}
