package h2

// One test per clause of seeds/nghttp2_submit_trailer.txt.

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"golang.org/x/net/http2"
)

// serverWithGet returns a server that received GET on stream 1 (with
// END_STREAM), its output so far consumed.
func serverWithGet(t *testing.T, opt *Options) (*endpoint, *rawWriter, *wireReader) {
	t.Helper()
	srv, w, rd := serverWithStreams(t, opt)
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a"), EndHeaders: true, EndStream: true})
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("server refused GET: %v", err)
	}
	rd.frames(srv.flush())
	return srv, w, rd
}

func frameLine(f wireFrame) string {
	s := fmt.Sprintf("%v", f.Type)
	if f.Flags.Has(FlagEndStream) && (f.Type == FrameHeaders || f.Type == FrameData) {
		s += "+END_STREAM"
	}
	return s
}

func frameLines(fs []wireFrame) []string {
	var out []string
	for _, f := range fs {
		out = append(out, frameLine(f))
	}
	return out
}

func TestSubmitTrailerSendsHeadersWithEndStream(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitHeaders(FlagNone, 1, hdrs(":status", "200"), nil)
	if err := srv.s.SubmitTrailer(1, hdrs("grpc-status", "0")); err != nil {
		t.Fatalf("SubmitTrailer returned %v", err)
	}
	fs := rd.frames(srv.flush())
	if got := frameLines(fs); !slices.Equal(got, []string{"HEADERS", "HEADERS+END_STREAM"}) {
		t.Fatalf("response then trailer went out as %q, want HEADERS then HEADERS+END_STREAM", got)
	}
	if !slices.Equal(fs[1].Fields, []string{"grpc-status: 0"}) {
		t.Fatalf("the trailer carries %q, want [grpc-status: 0]", fs[1].Fields)
	}
}

func TestSubmitTrailerInsideReadCallbackWithNoEndStream(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	dp := &DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
		n := copy(buf, "payload")
		*flags |= DataFlagEOF | DataFlagNoEndStream
		if err := s.SubmitTrailer(id, hdrs("x-checksum", "abc")); err != nil {
			t.Errorf("SubmitTrailer inside Read returned %v", err)
		}
		return n, nil
	}}
	srv.s.SubmitResponse(1, hdrs(":status", "200"), dp)
	fs := rd.frames(srv.flush())
	want := []string{"HEADERS", "DATA", "HEADERS+END_STREAM"}
	if got := frameLines(fs); !slices.Equal(got, want) {
		t.Fatalf("the response went out as %q, want %q", got, want)
	}
	if string(fs[1].Data) != "payload" || !slices.Equal(fs[2].Fields, []string{"x-checksum: abc"}) {
		t.Fatalf("DATA %q and trailer %q, want \"payload\" and [x-checksum: abc]", fs[1].Data, fs[2].Fields)
	}
	if _, ok := srv.closed[1]; !ok {
		t.Fatalf("stream 1 is still open after the trailer ended it")
	}
}

func TestSubmitTrailerStreamIDZeroIsInvalidArgument(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	if err := srv.s.SubmitTrailer(0, hdrs("a", "b")); err != ErrInvalidArgument {
		t.Fatalf("SubmitTrailer(0) returned %v, want ErrInvalidArgument", err)
	}
	if fs := rd.frames(srv.flush()); len(fs) != 0 {
		t.Fatalf("a rejected trailer reached the wire:%s", summary(fs))
	}
}

func TestSubmitTrailerReturnsZeroOnSuccessWithStreamIDMinusOne(t *testing.T) {
	// The seed: "returns 0 if it succeeds and stream_id is -1": with -1 a
	// client opens a new stream carrying the fields with END_STREAM (the
	// same as SubmitHeaders), and only an error value comes back.
	c, _, rd := clientReady(t, nil)
	if err := c.s.SubmitTrailer(-1, hdrs("x-only", "fields")); err != nil {
		t.Fatalf("SubmitTrailer(-1) returned %v, want nil", err)
	}
	fs := rd.frames(c.flush())
	if len(fs) != 1 || frameLine(fs[0]) != "HEADERS+END_STREAM" || fs[0].StreamID != 1 || !slices.Equal(fs[0].Fields, []string{"x-only: fields"}) {
		t.Fatalf("SubmitTrailer(-1) put%s on the wire, want HEADERS+END_STREAM on stream 1", summary(fs))
	}
}

func TestSubmitTrailerLowerCasesNames(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitHeaders(FlagNone, 1, hdrs(":status", "200"), nil)
	srv.s.SubmitTrailer(1, hdrs("X-Trailer-One", "Value", "GRPC-STATUS", "0"))
	fs := rd.frames(srv.flush())
	if got := fs[len(fs)-1].Fields; !slices.Equal(got, []string{"x-trailer-one: Value", "grpc-status: 0"}) {
		t.Fatalf("the trailer carries %q, want lower-cased names and untouched values", got)
	}
}

func TestSubmitTrailerPreservesOrder(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitHeaders(FlagNone, 1, hdrs(":status", "200"), nil)
	srv.s.SubmitTrailer(1, hdrs("z", "1", "a", "2", "m", "3", "a", "4"))
	fs := rd.frames(srv.flush())
	if got := fs[len(fs)-1].Fields; !slices.Equal(got, []string{"z: 1", "a: 2", "m: 3", "a: 4"}) {
		t.Fatalf("the trailer carries %q, want the submitted order z, a, m, a", got)
	}
}

func TestSubmitTrailerCopiesNameValuePairs(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitHeaders(FlagNone, 1, hdrs(":status", "200"), nil)
	name, value := []byte("x-copied"), []byte("before")
	srv.s.SubmitTrailer(1, []NV{{Name: name, Value: value}})
	copy(name, "x-CHANGE")
	copy(value, "AFTER!")
	fs := rd.frames(srv.flush())
	if got := fs[len(fs)-1].Fields; !slices.Equal(got, []string{"x-copied: before"}) {
		t.Fatalf("after the caller reused its memory the trailer carries %q, want the copy [x-copied: before]", got)
	}
}

func TestSubmitTrailerNoCopyFlagsAreNotCopied(t *testing.T) {
	// With NO_COPY_NAME and NO_COPY_VALUE the library keeps references:
	// the application must keep the memory until OnFrameSend; changing it
	// before Send shows on the wire.
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitHeaders(FlagNone, 1, hdrs(":status", "200"), nil)
	name, value := []byte("x-ref"), []byte("before")
	var atSend []string
	srv.cb.OnFrameSend = func(s *Session, f *Frame) error {
		if f.Type() == FrameHeaders && f.Flags().Has(FlagEndStream) {
			atSend = append(atSend, string(name)+": "+string(value))
		}
		return nil
	}
	srv.s.cb = srv.cb
	srv.s.SubmitTrailer(1, []NV{{Name: name, Value: value, Flags: NVFlagNoCopyName | NVFlagNoCopyValue}})
	copy(name, "x-new")
	copy(value, "AFTER!")
	fs := rd.frames(srv.flush())
	if got := fs[len(fs)-1].Fields; !slices.Equal(got, []string{"x-new: AFTER!"}) {
		t.Fatalf("the trailer carries %q, want the caller's memory as it is at Send [x-new: AFTER!]", got)
	}
	if len(atSend) != 1 {
		t.Fatalf("OnFrameSend for the trailer ran %d times, want once (the point where the memory may be released)", len(atSend))
	}
}

func TestSubmitTrailerNoCopyNameIsNotLowerCased(t *testing.T) {
	// "With NO_COPY_NAME, application is responsible to pass header field
	// name in lowercase": the library sends it as given.
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitHeaders(FlagNone, 1, hdrs(":status", "200"), nil)
	srv.s.SubmitTrailer(1, []NV{{Name: []byte("X-Upper"), Value: []byte("v"), Flags: NVFlagNoCopyName}})
	fs := rd.frames(srv.flush())
	if got := fs[len(fs)-1].Fields; !slices.Equal(got, []string{"X-Upper: v"}) {
		t.Fatalf("the trailer carries %q, want the name exactly as given", got)
	}
}

func TestSubmitTrailerRejectsPseudoHeaderFields(t *testing.T) {
	srv, _, _ := serverWithGet(t, nil)
	if err := srv.s.SubmitTrailer(1, hdrs("x-a", "1", ":status", "200")); err != ErrInvalidArgument {
		t.Fatalf("SubmitTrailer with a pseudo-header returned %v, want ErrInvalidArgument", err)
	}
}

func TestSubmitTrailerOrderAfterResponseIsNotEnforced(t *testing.T) {
	// "The library does not enforce this requirement": a trailer that
	// follows response HEADERS which carried END_STREAM is not refused at
	// submission; it simply cannot go out on the closed stream.
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitResponse(1, hdrs(":status", "204"), nil)
	if err := srv.s.SubmitTrailer(1, hdrs("x-late", "1")); err != nil {
		t.Fatalf("SubmitTrailer after a complete response returned %v, want nil (not enforced)", err)
	}
	var notSent []Error
	srv.cb.OnFrameNotSend = func(s *Session, f *Frame, code Error) error { notSent = append(notSent, code); return nil }
	srv.s.cb = srv.cb
	fs := rd.frames(srv.flush())
	if got := frameLines(fs); !slices.Equal(got, []string{"HEADERS+END_STREAM"}) || len(notSent) != 1 {
		t.Fatalf("wire %q, OnFrameNotSend %v: want only the response and the trailer reported not sent", got, notSent)
	}
}

func TestSubmitTrailerBeforeResponseIsSentAsResponseHeaders(t *testing.T) {
	// Called before any response HEADERS, the fields go out as the
	// response header block, "which will result in error": the client
	// finds no :status and resets the stream.
	c, s := newPair(t, nil, nil)
	s.cb.OnFrameRecv = func(ss *Session, f *Frame) error {
		if f.Type() == FrameHeaders && f.Cat == HCatRequest {
			return ss.SubmitTrailer(f.StreamID(), hdrs("x-trailer", "1"))
		}
		return nil
	}
	s.s.cb = s.cb
	c.s.SubmitRequest(getRequest(), nil, nil)
	exchange(t, c, s)
	if code := c.closed[1]; code != ProtocolError {
		t.Fatalf("the client closed stream 1 with %v, want PROTOCOL_ERROR (response without :status)", code)
	}
	if code := s.closed[1]; code != NoError {
		t.Fatalf("the server closed stream 1 with %v, want NO_ERROR (its HEADERS ended the stream)", code)
	}
}

func TestSubmitTrailerHasSameEffectAsSubmitHeadersWithEndStream(t *testing.T) {
	var out [2][]byte
	for i := range out {
		srv, _, _ := serverWithGet(t, nil)
		srv.s.SubmitHeaders(FlagNone, 1, hdrs(":status", "200"), nil)
		if i == 0 {
			srv.s.SubmitTrailer(1, hdrs("x-t", "v"))
		} else {
			srv.s.SubmitHeaders(FlagEndStream, 1, hdrs("x-t", "v"), nil)
		}
		out[i] = srv.flush()
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Fatalf("SubmitTrailer wrote % x, SubmitHeaders(FlagEndStream) wrote % x; want the same bytes", out[0], out[1])
	}
}

func TestSubmitTrailerNoMemWhenQueueIsFull(t *testing.T) {
	srv, _, _ := serverWithGet(t, &Options{MaxOutboundQueue: 1})
	srv.s.SubmitPing(FlagNone, nil)
	if err := srv.s.SubmitTrailer(1, hdrs("a", "b")); err != ErrNoMem {
		t.Fatalf("SubmitTrailer on a full queue returned %v, want ErrNoMem", err)
	}
}

func TestSubmitTrailerFollowsDataWithoutEndStreamAcrossReads(t *testing.T) {
	// Trailers submitted while the body is still being read wait for its
	// last DATA frame.
	srv, _, rd := serverWithGet(t, nil)
	reads := 0
	dp := &DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
		reads++
		if reads == 1 {
			s.SubmitTrailer(id, hdrs("x-early", "1"))
			return copy(buf, "one"), nil
		}
		*flags |= DataFlagEOF | DataFlagNoEndStream
		return copy(buf, "two"), nil
	}}
	srv.s.SubmitResponse(1, hdrs(":status", "200"), dp)
	got := frameLines(rd.frames(srv.flush()))
	if want := []string{"HEADERS", "DATA", "DATA", "HEADERS+END_STREAM"}; !slices.Equal(got, want) {
		t.Fatalf("frames went out as %q, want %q", got, want)
	}
}

func TestSubmitTrailerForARequestNotSentYetFollowsItsBody(t *testing.T) {
	c, _, rd := clientReady(t, nil)
	id, _ := c.s.SubmitRequest(hdrs(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a", "te", "trailers"), &DataProvider{
		Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
			*flags |= DataFlagEOF | DataFlagNoEndStream
			return copy(buf, "body"), nil
		}}, nil)
	if err := c.s.SubmitTrailer(id, hdrs("x-sum", "1")); err != nil {
		t.Fatalf("SubmitTrailer before the request went out returned %v", err)
	}
	if got := frameLines(rd.frames(c.flush())); !slices.Equal(got, []string{"HEADERS", "DATA", "HEADERS+END_STREAM"}) {
		t.Fatalf("the request went out as %q, want HEADERS, DATA, HEADERS+END_STREAM", got)
	}
}

func TestSubmitTrailerRightAfterSubmitResponseWaitsForTheBody(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitResponse(1, hdrs(":status", "200"), &DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
		*flags |= DataFlagEOF | DataFlagNoEndStream
		return copy(buf, "body"), nil
	}})
	if err := srv.s.SubmitTrailer(1, hdrs("x-t", "1")); err != nil {
		t.Fatalf("SubmitTrailer right after SubmitResponse returned %v", err)
	}
	fs := rd.frames(srv.flush())
	if got := frameLines(fs); !slices.Equal(got, []string{"HEADERS", "DATA", "HEADERS+END_STREAM"}) || string(fs[1].Data) != "body" {
		t.Fatalf("the response went out as %q, want HEADERS, DATA \"body\", HEADERS+END_STREAM", got)
	}
}
