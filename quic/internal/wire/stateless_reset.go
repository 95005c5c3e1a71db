package wire

import "crypto/subtle"

// StatelessResetTokenLen is the size of a stateless reset token.
const StatelessResetTokenLen = 16

// MinStatelessResetLen is the smallest datagram that can be a Stateless
// Reset: RFC 9000, Section 10.3: "An endpoint MUST NOT send a Stateless
// Reset that is ... smaller than 21 bytes", 5 unpredictable bytes
// including the first, then the 16-byte token. Section 10.3.1: "an
// endpoint ... MUST NOT check for any stateless reset tokens" in a
// datagram that is too short.
const MinStatelessResetLen = 21

// StatelessResetTokenOf returns the trailing 16 bytes of a datagram, the
// place a Stateless Reset carries its token (RFC 9000, Section 10.3.1),
// and false when the datagram is too short or starts with a long header
// (a Stateless Reset looks like a short header packet).
func StatelessResetTokenOf(datagram []byte) (token [16]byte, ok bool) {
	if len(datagram) < MinStatelessResetLen || IsLongHeader(datagram[0]) {
		return token, false
	}
	copy(token[:], datagram[len(datagram)-StatelessResetTokenLen:])
	return token, true
}

// IsStatelessReset reports whether datagram ends with token, comparing in
// constant time. RFC 9000, Section 10.3.1: "When comparing a datagram to
// stateless reset token values, endpoints MUST perform the comparison
// without leaking information about the value of the token."
func IsStatelessReset(datagram []byte, token [16]byte) bool {
	t, ok := StatelessResetTokenOf(datagram)
	return ok && subtle.ConstantTimeCompare(t[:], token[:]) == 1
}

// AppendStatelessReset appends a Stateless Reset (RFC 9000, Section 10.3):
// the unpredictable bytes (at least 5; the caller draws them from a
// cryptographic source and sizes them so the reset is shorter than the
// packet that triggered it, Section 10.3.3) with the first byte forced to
// the short header form (0b01xxxxxx), then the token.
func AppendStatelessReset(b []byte, unpredictable []byte, token [16]byte) []byte {
	if len(unpredictable) < MinStatelessResetLen-StatelessResetTokenLen {
		panic("wire: a stateless reset needs at least 5 unpredictable bytes")
	}
	start := len(b)
	b = append(b, unpredictable...)
	b[start] = 0x40 | b[start]&0x3f
	return append(b, token[:]...)
}
