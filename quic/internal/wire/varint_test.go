package wire

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// RFC 9000, Appendix A.1 examples plus the boundaries of each width.
var varintTests = []struct {
	hex string
	v   uint64
}{
	{"c2197c5eff14e88c", 151288809941952652},
	{"9d7f3e7d", 494878333},
	{"7bbd", 15293},
	{"25", 37},
	{"00", 0},
	{"3f", 63},
	{"4040", 64},
	{"7fff", 16383},
	{"80004000", 16384},
	{"bfffffff", 1<<30 - 1},
	{"c000000040000000", 1 << 30},
	{"ffffffffffffffff", MaxVarint},
}

func TestVarintRoundTrip(t *testing.T) {
	for _, tt := range varintTests {
		want, _ := hex.DecodeString(tt.hex)
		got := AppendVarint(nil, tt.v)
		if !bytes.Equal(got, want) {
			t.Errorf("AppendVarint(%d) = %x, want %s", tt.v, got, tt.hex)
		}
		if VarintLen(tt.v) != len(want) {
			t.Errorf("VarintLen(%d) = %d, want %d", tt.v, VarintLen(tt.v), len(want))
		}
		v, n := ConsumeVarint(want)
		if v != tt.v || n != len(want) {
			t.Errorf("ConsumeVarint(%s) = %d, %d; want %d, %d", tt.hex, v, n, tt.v, len(want))
		}
		if _, n := ConsumeVarint(want[:len(want)-1]); n != -1 {
			t.Errorf("ConsumeVarint(truncated %s) n = %d, want -1", tt.hex, n)
		}
	}
}

func TestConsumeVarintNonMinimal(t *testing.T) {
	// RFC 9000, Appendix A.1: "the two-byte sequence 0x4025 decodes to 37".
	v, n := ConsumeVarint([]byte{0x40, 0x25})
	if v != 37 || n != 2 {
		t.Fatalf("ConsumeVarint(4025) = %d, %d; want 37, 2", v, n)
	}
}

func TestPutVarintFixed(t *testing.T) {
	b := make([]byte, 4)
	PutVarint2(b, 1200)
	if v, n := ConsumeVarint(b); v != 1200 || n != 2 {
		t.Errorf("PutVarint2(1200) decodes to %d, %d", v, n)
	}
	PutVarint4(b, 1<<20)
	if v, n := ConsumeVarint(b); v != 1<<20 || n != 4 {
		t.Errorf("PutVarint4(1<<20) decodes to %d, %d", v, n)
	}
}

func TestAppendVarintTooLargePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("AppendVarint(2^62) did not panic")
		}
	}()
	AppendVarint(nil, 1<<62)
}
