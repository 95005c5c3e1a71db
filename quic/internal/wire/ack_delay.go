package wire

import (
	"math"
	"time"
)

// DecodeAckDelay turns the ACK Delay field of an ACK frame into a
// duration: RFC 9000, Section 19.3: "the value of the ACK Delay field is
// scaled by multiplying the encoded value by 2 to the power of the value
// of the ack_delay_exponent transport parameter", in microseconds.
//
// The field is peer input of up to 2^62-1, so the shift and the
// conversion to nanoseconds saturate at the largest Duration instead of
// wrapping to a small or negative value that would corrupt RTT estimates.
// exponents above 20 (invalid, RFC 9000, Section 18.2) saturate too.
func DecodeAckDelay(raw, exponent uint64) time.Duration {
	const maxMicros = uint64(math.MaxInt64 / int64(time.Microsecond))
	if exponent > MaxAckDelayExponent || raw > maxMicros>>exponent {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(raw<<exponent) * time.Microsecond
}

// EncodeAckDelay is the inverse of DecodeAckDelay for the sender: the
// delay in microseconds, scaled down by the exponent. Negative delays
// encode as 0.
func EncodeAckDelay(d time.Duration, exponent uint64) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64(d/time.Microsecond) >> exponent
}
