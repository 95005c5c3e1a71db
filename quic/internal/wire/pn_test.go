package wire

import (
	"bytes"
	"testing"
)

func TestPacketNumberLen(t *testing.T) {
	tests := []struct {
		pn, largestAcked int64
		want             int
	}{
		// RFC 9000, Appendix A.2 examples.
		{0xac5c02, 0xabe8b3, 2},
		{0xace8fe, 0xabe8b3, 3},
		{0, -1, 1},
		{126, -1, 1},
		{127, -1, 2},
		{1 << 30, 1<<30 - 1, 1},
		{1 << 30, 0, 4},
	}
	for _, tt := range tests {
		if got := PacketNumberLen(tt.pn, tt.largestAcked); got != tt.want {
			t.Errorf("PacketNumberLen(%#x, %#x) = %d, want %d", tt.pn, tt.largestAcked, got, tt.want)
		}
	}
}

func TestDecodePacketNumber(t *testing.T) {
	tests := []struct {
		largest   int64
		truncated uint64
		nbits     int
		want      int64
	}{
		// RFC 9000, Appendix A.3 example.
		{0xa82f30ea, 0x9b32, 16, 0xa82f9b32},
		{-1, 0, 8, 0},
		{-1, 0xff, 8, 0xff},
		{0xff, 0x00, 8, 0x100},
		{0x100, 0xff, 8, 0xff},
		{0x17f, 0x00, 8, 0x200},
		{0x180, 0x00, 8, 0x200},
		// Near 2^62: never step past the largest packet number.
		{MaxPacketNumber - 1, 0xff, 8, MaxPacketNumber},
		{MaxPacketNumber - 200, 0x00, 8, MaxPacketNumber - 0xff},
	}
	for _, tt := range tests {
		if got := DecodePacketNumber(tt.largest, tt.truncated, tt.nbits); got != tt.want {
			t.Errorf("DecodePacketNumber(%#x, %#x, %d) = %#x, want %#x", tt.largest, tt.truncated, tt.nbits, got, tt.want)
		}
	}
}

func TestPacketNumberRoundTrip(t *testing.T) {
	for _, largest := range []int64{-1, 0, 1000, 0x7fffff, 1 << 40} {
		for d := int64(1); d < 1<<20; d = d*3 + 1 {
			pn := largest + d
			l := PacketNumberLen(pn, largest)
			b := AppendPacketNumber(nil, uint64(pn), l)
			var tr uint64
			for _, c := range b {
				tr = tr<<8 | uint64(c)
			}
			if got := DecodePacketNumber(largest, tr, l*8); got != pn {
				t.Fatalf("largest %d pn %d len %d: decoded %d", largest, pn, l, got)
			}
		}
	}
	if got := AppendPacketNumber(nil, 0x01020304, 3); !bytes.Equal(got, []byte{2, 3, 4}) {
		t.Errorf("AppendPacketNumber 3 bytes = %x", got)
	}
}
