package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestDecodeVersionCID(t *testing.T) {
	big := func(hexHdr string) []byte { return pad1200(unhex(hexHdr)) }
	tests := []struct {
		name     string
		in       []byte
		shortLen int
		wantV    Version
		wantDCID string
		wantSCID string
		wantErr  error
	}{
		{name: "empty", in: nil, wantErr: ErrInvalidArgument},
		{name: "v1 Initial", in: unhex("c0 00000001 04 aabbccdd 02 eeff 00"), wantV: Version1, wantDCID: "aabbccdd", wantSCID: "eeff"},
		{name: "v2 Handshake", in: unhex("f0 6b3343cf 01 aa 00"), wantV: Version2, wantDCID: "aa", wantSCID: ""},
		{name: "short header", in: unhex("40 0102030405060708 ff"), shortLen: 8, wantDCID: "0102030405060708"},
		{name: "short header truncated", in: unhex("40 01020304"), shortLen: 8, wantErr: ErrInvalidArgument},
		{name: "long truncated before SCID length", in: unhex("c0 00000001 04 aabbcc"), wantErr: ErrInvalidArgument},
		{name: "long truncated in SCID", in: unhex("c0 00000001 00 04 aabb"), wantErr: ErrInvalidArgument},
		{name: "too short for version", in: unhex("c0 000000"), wantErr: ErrInvalidArgument},
		{name: "v1 with 21-byte DCID", in: unhex("c0 00000001 15 000102030405060708090a0b0c0d0e0f1011121314 00"), wantErr: ErrInvalidArgument},
		{name: "unsupported version, small datagram", in: unhex("c0 abcdef01 01 aa 01 bb"), wantErr: ErrInvalidArgument},
		{name: "unsupported version, 1200 bytes", in: big("c0 abcdef01 01 aa 01 bb"), wantV: 0xabcdef01, wantDCID: "aa", wantSCID: "bb", wantErr: ErrVersionNegotiation},
		{name: "unsupported version with 21-byte DCID", in: big("c0 abcdef01 15 000102030405060708090a0b0c0d0e0f1011121314 00"), wantV: 0xabcdef01,
			wantDCID: "000102030405060708090a0b0c0d0e0f1011121314", wantSCID: "", wantErr: ErrVersionNegotiation},
		{name: "Version Negotiation packet", in: unhex("80 00000000 01 aa 01 bb 00000001"), wantV: 0, wantDCID: "aa", wantSCID: "bb"},
	}
	for _, tt := range tests {
		v, dcid, scid, err := DecodeVersionCID(tt.in, tt.shortLen)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil && err != ErrVersionNegotiation {
			continue
		}
		if v != tt.wantV || !bytes.Equal(dcid, unhex(tt.wantDCID)) || !bytes.Equal(scid, unhex(tt.wantSCID)) {
			t.Errorf("%s: got v=%#x dcid=%x scid=%x; want v=%#x dcid=%s scid=%s", tt.name, v, dcid, scid, tt.wantV, tt.wantDCID, tt.wantSCID)
		}
	}
}

func pad1200(b []byte) []byte {
	for len(b) < 1200 {
		b = append(b, 0)
	}
	return b
}

func TestVersionNegotiationRoundTrip(t *testing.T) {
	b := AppendVersionNegotiation(nil, []byte{1, 2}, []byte{3}, []Version{Version1, Version2, 0x1a2a3a4a})
	want := unhex("c0 00000000 02 0102 01 03 00000001 6b3343cf 1a2a3a4a")
	if !bytes.Equal(b, want) {
		t.Fatalf("AppendVersionNegotiation = %x, want %x", b, want)
	}
	dcid, scid, vl, err := ParseVersionNegotiation(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dcid, []byte{1, 2}) || !bytes.Equal(scid, []byte{3}) || vl.Len() != 3 || vl.At(1) != Version2 {
		t.Errorf("parsed dcid=%x scid=%x versions=%x", dcid, scid, []byte(vl))
	}
	if !vl.Contains(0x1a2a3a4a) || vl.Contains(0x00000002) {
		t.Error("VersionList.Contains wrong")
	}
	if !IsReservedVersion(0x1a2a3a4a) || IsReservedVersion(Version1) {
		t.Error("IsReservedVersion wrong")
	}
	h, err := ParseHeader(b, 0)
	if err != nil || h.Type != PacketVersionNegotiation || h.PacketLen != len(b) {
		t.Errorf("ParseHeader(VN) = %+v, %v", h, err)
	}
	for _, bad := range []string{
		"c0 00000000 00 00",          // empty list
		"c0 00000000 00 00 000000",   // not a multiple of 4
		"c0 00000001 00 00 00000001", // not VN
		"40 00000000",                // short header
	} {
		if _, _, _, err := ParseVersionNegotiation(unhex(bad)); err == nil {
			t.Errorf("ParseVersionNegotiation(%s) accepted", bad)
		}
	}
}

func TestAppendRetry(t *testing.T) {
	// RFC 9001, Appendix A.4: the Retry packet before its tag.
	b := AppendRetry(nil, Version1, nil, unhex("f067a5502a4262b5"), []byte("token"))
	if want := unhex("ff000000010008f067a5502a4262b5746f6b656e"); !bytes.Equal(b[1:], want[1:]) || b[0]&0xf0 != 0xf0 {
		t.Errorf("AppendRetry = %x, want %x (low 4 bits unused)", b, want)
	}
	b = AppendRetry(nil, Version2, nil, unhex("f067a5502a4262b5"), []byte("token"))
	if b[0]&0xf0 != 0xc0 {
		t.Errorf("v2 Retry first byte %#x, want type bits 0b00 (RFC 9369)", b[0])
	}
	b = append(b, make([]byte, RetryIntegrityTagLen)...)
	h, err := ParseHeader(b, 0)
	if err != nil || h.Type != PacketRetry || string(h.Token) != "token" || h.Version != Version2 {
		t.Errorf("ParseHeader(Retry) = %+v, %v", h, err)
	}
}

func TestStatelessReset(t *testing.T) {
	unpredictable := bytes.Repeat([]byte{0xff}, 20)
	b := AppendStatelessReset(nil, unpredictable, token16)
	if len(b) != 36 || b[0]&0xc0 != 0x40 {
		t.Fatalf("AppendStatelessReset = %x; want 36 bytes starting 0b01", b)
	}
	if !IsStatelessReset(b, token16) {
		t.Error("IsStatelessReset does not recognise its own reset")
	}
	other := token16
	other[15] ^= 1
	if IsStatelessReset(b, other) {
		t.Error("IsStatelessReset matches a different token")
	}
	if IsStatelessReset(b[len(b)-20:], token16) {
		t.Error("IsStatelessReset matches a 20-byte datagram")
	}
	long := append([]byte{0xc0}, b[1:]...)
	if IsStatelessReset(long, token16) {
		t.Error("IsStatelessReset matches a long header datagram")
	}
	defer func() {
		if recover() == nil {
			t.Error("AppendStatelessReset with 4 unpredictable bytes did not panic")
		}
	}()
	AppendStatelessReset(nil, []byte{1, 2, 3, 4}, token16)
}
