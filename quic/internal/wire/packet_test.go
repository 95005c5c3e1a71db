package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseHeaderLongRoundTrip(t *testing.T) {
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	scid := []byte{9, 10, 11}
	token := []byte("tok")
	for _, v := range []Version{Version1, Version2} {
		for _, typ := range []PacketType{PacketInitial, Packet0RTT, PacketHandshake} {
			b, lo := AppendLongHeader(nil, typ, v, dcid, scid, token, 2)
			if len(b) != LongHeaderLen(typ, dcid, scid, token) {
				t.Errorf("%v %v: LongHeaderLen = %d, header is %d bytes", v, typ, LongHeaderLen(typ, dcid, scid, token), len(b))
			}
			b = AppendPacketNumber(b, 0x1234, 2)
			b = append(b, "payload-and-tag-area"...)
			PutVarint2(b[lo:], uint64(len(b)-lo-2))
			next := append(b, 0xff, 0xee) // a coalesced tail
			h, err := ParseHeader(next, 8)
			if err != nil {
				t.Fatalf("%v %v: %v", v, typ, err)
			}
			if h.Type != typ || h.Version != v || !bytes.Equal(h.DstConnID, dcid) || !bytes.Equal(h.SrcConnID, scid) {
				t.Errorf("%v %v: parsed %+v", v, typ, h)
			}
			if typ == PacketInitial && !bytes.Equal(h.Token, token) {
				t.Errorf("%v %v: token %q", v, typ, h.Token)
			}
			if typ != PacketInitial && h.Token != nil {
				t.Errorf("%v %v: token %q on non-Initial", v, typ, h.Token)
			}
			if h.PNOffset != lo+2 || h.PacketLen != len(b) || h.Length != uint64(len(b)-lo-2) {
				t.Errorf("%v %v: PNOffset %d PacketLen %d Length %d; want %d %d %d",
					v, typ, h.PNOffset, h.PacketLen, h.Length, lo+2, len(b), len(b)-lo-2)
			}
			if n, err := PacketLen(next, 8); err != nil || n != len(b) {
				t.Errorf("%v %v: PacketLen = %d, %v", v, typ, n, err)
			}
		}
	}
}

func TestParseHeaderLongTypeBits(t *testing.T) {
	// First-byte type bits differ between v1 (RFC 9000, Table 5) and v2
	// (RFC 9369, Section 3.2).
	tests := []struct {
		v    Version
		typ  PacketType
		want byte
	}{
		{Version1, PacketInitial, 0xc0}, {Version1, Packet0RTT, 0xd0},
		{Version1, PacketHandshake, 0xe0}, {Version1, PacketRetry, 0xf0},
		{Version2, PacketInitial, 0xd0}, {Version2, Packet0RTT, 0xe0},
		{Version2, PacketHandshake, 0xf0}, {Version2, PacketRetry, 0xc0},
	}
	for _, tt := range tests {
		if got := 0xc0 | longTypeBits(tt.v, tt.typ)<<4; got != tt.want {
			t.Errorf("%#x %v: first byte %#x, want %#x", tt.v, tt.typ, got, tt.want)
		}
		if got := longTypeFromBits(tt.v, (tt.want>>4)&3); got != tt.typ {
			t.Errorf("%#x %#x: type %v, want %v", tt.v, tt.want, got, tt.typ)
		}
	}
}

func TestParseHeaderShort(t *testing.T) {
	dcid := []byte{0xaa, 0xbb, 0xcc, 0xdd}
	b := AppendShortHeader(nil, dcid, 3, true)
	b = append(b, 1, 2, 3, 4, 5)
	h, err := ParseHeader(b, 4)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != Packet1RTT || !bytes.Equal(h.DstConnID, dcid) || h.PNOffset != 5 || h.PacketLen != len(b) || !h.KeyPhase || h.SpinBit {
		t.Errorf("parsed %+v", h)
	}
	if PacketNumberLenFromFirstByte(b[0]) != 3 {
		t.Errorf("pn len from %#x = %d", b[0], PacketNumberLenFromFirstByte(b[0]))
	}
}

func TestParseHeaderErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", ErrTruncated},
		{"short without fixed bit", "0001020304", ErrFixedBit},
		{"short dcid truncated", "40010203", ErrTruncated},
		{"long truncated in version", "c00000", ErrTruncated},
		{"long truncated in dcid", "c0000000010801020304", ErrTruncated},
		{"long without fixed bit", "80000000010000" + "0000", ErrFixedBit},
		{"dcid of 21 bytes v1", "c00000000115" + "000102030405060708090a0b0c0d0e0f1011121314" + "00" + "0000", ErrConnIDLen},
		{"unknown version", "c0abcdef0001aa0102", ErrUnsupportedVersion},
		{"initial token truncated", "c000000001000005aa", ErrTruncated},
		{"initial length past end", "c00000000100000005aaaa", ErrLength},
		{"initial length varint truncated", "c0000000010000004", ErrTruncated},
		{"retry without tag", "f0000000010000" + "00112233445566778899aabbccddee", ErrTruncated},
	}
	for _, tt := range tests {
		b, err := hex.DecodeString(tt.hex)
		if err != nil {
			// odd-length hex marks a deliberately truncated nibble; trim it
			b, _ = hex.DecodeString(tt.hex[:len(tt.hex)-1])
		}
		_, err = ParseHeader(b, 4)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestParseHeaderUnsupportedVersionKeepsCIDs(t *testing.T) {
	b := mustHex(t, "c0abcdef00"+"02aabb"+"01cc"+"0102")
	h, err := ParseHeader(b, 4)
	if err != ErrUnsupportedVersion {
		t.Fatalf("err = %v", err)
	}
	if h.Version != 0xabcdef00 || !bytes.Equal(h.DstConnID, []byte{0xaa, 0xbb}) || !bytes.Equal(h.SrcConnID, []byte{0xcc}) || h.PacketLen != len(b) {
		t.Errorf("parsed %+v", h)
	}
}
