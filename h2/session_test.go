package h2

import (
	"bytes"
	"slices"
	"testing"
)

func TestSessionGetRoundTrip(t *testing.T) {
	c, s := newPair(t, nil, nil)
	s.cb.OnFrameRecv = func(ss *Session, f *Frame) error {
		if f.Type() == FrameHeaders && f.Cat == HCatRequest && f.Flags().Has(FlagEndStream) {
			return ss.SubmitResponse(f.StreamID(), hdrs(":status", "200", "content-type", "text/plain"), bytesProvider([]byte("hello")))
		}
		return nil
	}
	s.s.cb = s.cb
	id, err := c.s.SubmitRequest(getRequest(), nil, "req")
	if err != nil || id != 1 {
		t.Fatalf("SubmitRequest returned (%d, %v), want (1, nil)", id, err)
	}
	exchange(t, c, s)
	if c.recvErr != nil || s.recvErr != nil {
		t.Fatalf("MemRecv errors: client %v, server %v", c.recvErr, s.recvErr)
	}
	if got := s.headers[1]; !slices.Equal(got, []string{":method: GET", ":scheme: https", ":path: /", ":authority: example.org"}) {
		t.Errorf("server saw request fields %q", got)
	}
	if got := c.headers[1]; !slices.Equal(got, []string{":status: 200", "content-type: text/plain"}) {
		t.Errorf("client saw response fields %q", got)
	}
	if !bytes.Equal(c.body[1], []byte("hello")) {
		t.Errorf("client received body %q, want %q", c.body[1], "hello")
	}
	if code, ok := c.closed[1]; !ok || code != NoError {
		t.Errorf("client stream 1 close: (%v, %v), want closed with NO_ERROR", code, ok)
	}
	if code, ok := s.closed[1]; !ok || code != NoError {
		t.Errorf("server stream 1 close: (%v, %v), want closed with NO_ERROR", code, ok)
	}
	if c.s.NumActiveStreams() != 0 || s.s.NumActiveStreams() != 0 {
		t.Errorf("active streams after the exchange: client %d, server %d, want 0 and 0", c.s.NumActiveStreams(), s.s.NumActiveStreams())
	}
}

// bytesProvider serves b as a body in one or more reads.
func bytesProvider(b []byte) *DataProvider {
	return &DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
		n := copy(buf, b)
		b = b[n:]
		if len(b) == 0 {
			*flags |= DataFlagEOF
		}
		return n, nil
	}}
}
