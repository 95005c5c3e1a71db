package wire

import (
	"math"
	"testing"
	"time"
)

func TestDecodeAckDelay(t *testing.T) {
	tests := []struct {
		raw, exp uint64
		want     time.Duration
	}{
		{0, 3, 0},
		{125, 3, time.Millisecond},            // 125 << 3 = 1000 µs
		{1000, 0, time.Millisecond},           // exponent 0
		{1, 20, (1 << 20) * time.Microsecond}, // largest valid exponent
		{MaxVarint, 3, math.MaxInt64},         // would wrap without saturation
		{MaxVarint, 0, math.MaxInt64},
		{1 << 44, 20, math.MaxInt64},
		{1, 21, math.MaxInt64},
	}
	for _, tt := range tests {
		if got := DecodeAckDelay(tt.raw, tt.exp); got != tt.want {
			t.Errorf("DecodeAckDelay(%d, %d) = %v, want %v", tt.raw, tt.exp, got, tt.want)
		}
	}
	if got := EncodeAckDelay(time.Millisecond, 3); got != 125 {
		t.Errorf("EncodeAckDelay(1ms, 3) = %d, want 125", got)
	}
	if got := EncodeAckDelay(-time.Second, 3); got != 0 {
		t.Errorf("EncodeAckDelay(-1s) = %d, want 0", got)
	}
}
