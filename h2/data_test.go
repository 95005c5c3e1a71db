package h2

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestDataProviderDeferredAndResumeData(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	ready := false
	dp := &DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
		if !ready {
			return 0, ErrDeferred
		}
		*flags |= DataFlagEOF
		return copy(buf, "late"), nil
	}}
	srv.s.SubmitResponse(1, hdrs(":status", "200"), dp)
	if got := frameLines(rd.frames(srv.flush())); !slices.Equal(got, []string{"HEADERS"}) || srv.s.WantWrite() {
		t.Fatalf("a deferred body sent %q with WantWrite %v, want only HEADERS and false", got, srv.s.WantWrite())
	}
	ready = true
	if err := srv.s.ResumeData(1); err != nil {
		t.Fatalf("ResumeData returned %v", err)
	}
	fs := rd.frames(srv.flush())
	if len(fs) != 1 || string(fs[0].Data) != "late" || !fs[0].Flags.Has(FlagEndStream) {
		t.Fatalf("after ResumeData the server sent%s, want DATA \"late\" with END_STREAM", summary(fs))
	}
	if err := srv.s.ResumeData(1); err != ErrInvalidArgument {
		t.Fatalf("ResumeData on a finished stream returned %v, want ErrInvalidArgument", err)
	}
}

func TestDataProviderNoCopyMatchesCopy(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 5000)
	var outs [2][]byte
	for i, noCopy := range []bool{false, true} {
		srv, _, _ := serverWithGet(t, nil)
		calls, sent := 0, 0
		srv.cb.SendData = func(s *Session, f *Frame, hd []byte, n int) error {
			calls++
			srv.wire.Write(hd)
			srv.wire.Write(body[sent : sent+n])
			sent += n
			return nil
		}
		srv.s.cb = srv.cb
		left := body
		dp := &DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
			n := min(len(left), len(buf))
			if noCopy {
				*flags |= DataFlagNoCopy
			} else {
				copy(buf, left[:n])
			}
			left = left[n:]
			if len(left) == 0 {
				*flags |= DataFlagEOF
			}
			return n, nil
		}}
		// The windows (65535) hold the whole 50000 octets.
		srv.s.SubmitResponse(1, hdrs(":status", "200"), dp)
		outs[i] = srv.flush()
		if noCopy && calls != 4 {
			t.Fatalf("SendData ran %d times for 50000 octets, want 4 frames", calls)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatalf("zero-copy DATA wrote %d octets that differ from the %d of copied DATA", len(outs[1]), len(outs[0]))
	}
}

func TestDataProviderTemporalFailureResetsTheStream(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitResponse(1, hdrs(":status", "200"), &DataProvider{Read: func(*Session, int32, []byte, *DataFlags) (int, error) {
		return 0, ErrTemporalCallbackFailure
	}})
	fs := rd.frames(srv.flush())
	if got := frameLines(fs); !slices.Equal(got, []string{"HEADERS", "RST_STREAM"}) || srv.closed[1] != InternalError {
		t.Fatalf("a temporal failure sent %q and closed with %v, want HEADERS, RST_STREAM INTERNAL_ERROR", got, srv.closed[1])
	}
}

func TestDataProviderErrorIsCallbackFailure(t *testing.T) {
	srv, _, _ := serverWithGet(t, nil)
	srv.s.SubmitResponse(1, hdrs(":status", "200"), &DataProvider{Read: func(*Session, int32, []byte, *DataFlags) (int, error) {
		return 0, errors.New("disk on fire")
	}})
	if err := srv.s.Send(); err != ErrCallbackFailure {
		t.Fatalf("Send with a failing DataProvider returned %v, want ErrCallbackFailure", err)
	}
}

func TestMemSendProducesTheSameBytesAsSend(t *testing.T) {
	var outs [2][]byte
	for i := range outs {
		srv, _, _ := serverWithGet(t, nil)
		srv.s.SubmitResponse(1, hdrs(":status", "200"), bytesProvider(make([]byte, 40000)))
		srv.s.SubmitPing(FlagNone, nil)
		if i == 0 {
			outs[i] = srv.flush()
			continue
		}
		var b []byte
		for {
			chunk, err := srv.s.MemSend()
			if err != nil {
				t.Fatalf("MemSend returned %v", err)
			}
			if chunk == nil {
				break
			}
			b = append(b, chunk...)
		}
		outs[i] = b
		if _, ok := srv.closed[1]; !ok || srv.s.WantWrite() {
			t.Fatalf("after MemSend drained the queue stream 1 closed=%v WantWrite=%v, want closed and false", ok, srv.s.WantWrite())
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatalf("MemSend produced %d octets differing from Send's %d", len(outs[1]), len(outs[0]))
	}
}

func TestSubmitDataAttachesABody(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitHeaders(FlagNone, 1, hdrs(":status", "200"), nil)
	if err := srv.s.SubmitData(FlagEndStream, 1, bytesProvider([]byte("abc"))); err != nil {
		t.Fatalf("SubmitData returned %v", err)
	}
	if err := srv.s.SubmitData(FlagEndStream, 1, bytesProvider([]byte("abc"))); err != ErrDataExist {
		t.Fatalf("a second SubmitData returned %v, want ErrDataExist", err)
	}
	if got := frameLines(rd.frames(srv.flush())); !slices.Equal(got, []string{"HEADERS", "DATA+END_STREAM"}) {
		t.Fatalf("SubmitData sent %q, want HEADERS, DATA+END_STREAM", got)
	}
	if err := srv.s.SubmitData(FlagNone, 1, bytesProvider(nil)); err != ErrStreamClosed {
		t.Fatalf("SubmitData on a closed stream returned %v, want ErrStreamClosed", err)
	}
}

func TestSessionLargeBodiesBothWays(t *testing.T) {
	c, s := newPair(t, nil, nil)
	up := bytes.Repeat([]byte("u"), 1<<20)
	down := bytes.Repeat([]byte("d"), 1<<20)
	s.cb.OnFrameRecv = func(ss *Session, f *Frame) error {
		if f.Flags().Has(FlagEndStream) && (f.Type() == FrameData || f.Type() == FrameHeaders) {
			return ss.SubmitResponse(f.StreamID(), hdrs(":status", "200"), bytesProvider(down))
		}
		return nil
	}
	s.s.cb = s.cb
	c.s.SubmitRequest(hdrs(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a"), bytesProvider(up), nil)
	exchange(t, c, s)
	if !bytes.Equal(s.body[1], up) || !bytes.Equal(c.body[1], down) {
		t.Fatalf("1 MiB each way: the server got %d octets, the client %d; want %d each", len(s.body[1]), len(c.body[1]), 1<<20)
	}
	if c.recvErr != nil || s.recvErr != nil {
		t.Fatalf("errors during the transfer: client %v, server %v", c.recvErr, s.recvErr)
	}
}

func TestDataChunkPauseStopsMemRecvAfterTheFrame(t *testing.T) {
	srv, w, _ := serverWithStreams(t, nil, 1)
	pauses := 0
	srv.cb.OnDataChunkRecv = func(s *Session, fl FrameFlags, id int32, d []byte) error {
		srv.body[id] = append(srv.body[id], d...)
		pauses++
		return ErrPause
	}
	srv.s.cb = srv.cb
	w.fr.WriteData(1, false, []byte("one"))
	first := len(w.buf.Bytes())
	w.fr.WriteData(1, true, []byte("two"))
	in := w.take()
	n, err := srv.s.MemRecv(in)
	if err != nil || n != first || string(srv.body[1]) != "one" {
		t.Fatalf("MemRecv with ErrPause returned (%d, %v) and delivered %q, want (%d, nil) and \"one\"", n, err, srv.body[1], first)
	}
	n2, err := srv.s.MemRecv(in[n:])
	if err != nil || n2 != len(in)-n || string(srv.body[1]) != "onetwo" {
		t.Fatalf("the second MemRecv returned (%d, %v) and delivered %q, want the rest", n2, err, srv.body[1])
	}
}

func TestSendDataTemporalFailureResetsTheStream(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	srv.cb.SendData = func(*Session, *Frame, []byte, int) error { return ErrTemporalCallbackFailure }
	srv.s.cb = srv.cb
	srv.s.SubmitResponse(1, hdrs(":status", "200"), &DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
		*flags |= DataFlagNoCopy | DataFlagEOF
		return 10, nil
	}})
	if got := frameLines(rd.frames(srv.flush())); !slices.Equal(got, []string{"HEADERS", "RST_STREAM"}) || srv.closed[1] != InternalError {
		t.Fatalf("a failing SendData sent %q and closed with %v, want HEADERS, RST_STREAM and INTERNAL_ERROR", got, srv.closed[1])
	}
}

func TestSubmitDataOnARequestNotSentYet(t *testing.T) {
	c, _, rd := clientReady(t, nil)
	id, _ := c.s.SubmitHeaders(FlagNone, -1, hdrs(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a"), nil)
	if err := c.s.SubmitData(FlagEndStream, id, bytesProvider([]byte("payload"))); err != nil {
		t.Fatalf("SubmitData after SubmitHeaders(-1) returned %v", err)
	}
	fs := rd.frames(c.flush())
	if got := frameLines(fs); !slices.Equal(got, []string{"HEADERS", "DATA+END_STREAM"}) || string(fs[1].Data) != "payload" {
		t.Fatalf("the request went out as %q, want HEADERS then DATA \"payload\" with END_STREAM", got)
	}
	id2, _ := c.s.SubmitHeaders(FlagEndStream, -1, getRequest(), nil)
	if err := c.s.SubmitData(FlagNone, id2, bytesProvider(nil)); err != ErrStreamShutWr {
		t.Fatalf("SubmitData on a request submitted with END_STREAM returned %v, want ErrStreamShutWr", err)
	}
}

func TestSubmitDataWithoutEndStreamKeepsTheStreamOpen(t *testing.T) {
	srv, _, rd := serverWithGet(t, nil)
	srv.s.SubmitHeaders(FlagNone, 1, hdrs(":status", "200"), nil)
	srv.s.SubmitData(FlagNone, 1, bytesProvider([]byte("part one")))
	if got := frameLines(rd.frames(srv.flush())); !slices.Equal(got, []string{"HEADERS", "DATA"}) || srv.s.StreamState(1) != StreamStateHalfClosedRemote {
		t.Fatalf("SubmitData without FlagEndStream sent %q leaving the stream %v, want HEADERS, DATA and the stream still open for sending", got, srv.s.StreamState(1))
	}
	srv.s.SubmitData(FlagEndStream, 1, bytesProvider([]byte("part two")))
	if got := frameLines(rd.frames(srv.flush())); !slices.Equal(got, []string{"DATA+END_STREAM"}) {
		t.Fatalf("a second SubmitData with FlagEndStream sent %q, want DATA+END_STREAM", got)
	}
}
