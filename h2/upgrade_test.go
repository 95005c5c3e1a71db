package h2

import (
	"encoding/binary"
	"errors"
	"testing"
)

func settingsPayload(iv ...SettingsEntry) []byte {
	var b []byte
	for _, e := range iv {
		b = binary.BigEndian.AppendUint16(b, uint16(e.ID))
		b = binary.BigEndian.AppendUint32(b, e.Value)
	}
	return b
}

// TestUpgrade2 runs an h2c upgrade on both sides: stream 1 carries the
// HTTP/1.1 request, the server answers it on stream 1, the client's next
// request uses stream 3, and the HTTP2-Settings values apply without an
// ACK.
func TestUpgrade2(t *testing.T) {
	c, s := newPair(t, nil, nil)
	payload := settingsPayload(SettingsEntry{SettingsInitialWindowSize, 1000}, SettingsEntry{SettingsMaxConcurrentStreams, 50})
	if err := c.s.Upgrade2(payload, false, "upgraded"); err != nil {
		t.Fatalf("client Upgrade2 returned %v, want nil", err)
	}
	if err := s.s.Upgrade2(payload, false, nil); err != nil {
		t.Fatalf("server Upgrade2 returned %v, want nil", err)
	}
	if got := s.s.StreamState(1); got != StreamStateHalfClosedRemote {
		t.Fatalf("server stream 1 is %v, want half-closed (remote)", got)
	}
	if got := c.s.StreamState(1); got != StreamStateHalfClosedLocal {
		t.Fatalf("client stream 1 is %v, want half-closed (local)", got)
	}
	if got := s.s.RemoteSetting(SettingsInitialWindowSize); got != 1000 {
		t.Fatalf("server sees the client's INITIAL_WINDOW_SIZE as %d, want 1000 from HTTP2-Settings", got)
	}
	if err := s.s.SubmitResponse(1, hdrs(":status", "200"), nil); err != nil {
		t.Fatalf("SubmitResponse(1) returned %v", err)
	}
	id, err := c.s.SubmitRequest(getRequest(), nil, nil)
	if err != nil || id != 3 {
		t.Fatalf("next request got stream %d, %v; want 3", id, err)
	}
	exchange(t, c, s)
	if c.recvErr != nil || s.recvErr != nil {
		t.Fatalf("errors after upgrade: client %v, server %v", c.recvErr, s.recvErr)
	}
	if got := c.headers[1]; len(got) != 1 || got[0] != ":status: 200" {
		t.Fatalf("client got %q on stream 1, want the response", got)
	}
	if _, ok := c.closed[1]; !ok {
		t.Fatalf("stream 1 did not close on the client after the response")
	}
	if got := s.headers[3]; len(got) == 0 {
		t.Fatalf("server did not get the request on stream 3")
	}
}

func TestUpgrade2Errors(t *testing.T) {
	s := newEndpoint(t).server(nil)
	if err := s.s.Upgrade2([]byte{0, 4, 0}, false, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a 3-octet payload gave %v, want ErrInvalidArgument", err)
	}
	bad := settingsPayload(SettingsEntry{SettingsInitialWindowSize, 1 << 31})
	if err := s.s.Upgrade2(bad, false, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("an out-of-range window gave %v, want ErrInvalidArgument", err)
	}
	if err := s.s.Upgrade2(nil, false, nil); err != nil {
		t.Fatalf("an empty payload gave %v, want nil", err)
	}
	if err := s.s.Upgrade2(nil, false, nil); !errors.Is(err, ErrProto) {
		t.Fatalf("a second Upgrade2 gave %v, want ErrProto", err)
	}
}
