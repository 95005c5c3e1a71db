package wire

import "encoding/binary"

// MaxVarint is the largest value a QUIC variable-length integer can carry
// (RFC 9000, Section 16: 62 usable bits).
const MaxVarint = 1<<62 - 1

// VarintLen returns the number of bytes AppendVarint uses for v: 1, 2, 4
// or 8. Values above MaxVarint report 8 but cannot be encoded.
func VarintLen(v uint64) int {
	switch {
	case v < 1<<6:
		return 1
	case v < 1<<14:
		return 2
	case v < 1<<30:
		return 4
	default:
		return 8
	}
}

// AppendVarint appends v in the shortest form (RFC 9000, Section 16).
// v must not exceed MaxVarint; larger values are a caller bug and panic,
// since no peer input reaches this function unchecked.
func AppendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return append(b, 0x40|byte(v>>8), byte(v))
	case v < 1<<30:
		return append(b, 0x80|byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	case v <= MaxVarint:
		return append(b, 0xc0|byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	panic("wire: varint value exceeds 2^62-1")
}

// ConsumeVarint decodes the variable-length integer at the start of b and
// returns it with the number of bytes read. n is -1 when b is too short.
// Non-minimal encodings are accepted, as RFC 9000, Section 16 allows
// ("values do not need to be encoded on the minimum number of bytes").
func ConsumeVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, -1
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, -1
	}
	switch n {
	case 1:
		return uint64(b[0]), 1
	case 2:
		return uint64(binary.BigEndian.Uint16(b) & 0x3fff), 2
	case 4:
		return uint64(binary.BigEndian.Uint32(b) & 0x3fffffff), 4
	default:
		return binary.BigEndian.Uint64(b) & MaxVarint, 8
	}
}

// PutVarint2 writes v into b[0:2] as a 2-byte varint. It is used to patch a
// Length field reserved before the payload size was known. v must be below
// 2^14.
func PutVarint2(b []byte, v uint64) {
	_ = b[1]
	if v >= 1<<14 {
		panic("wire: value does not fit a 2-byte varint")
	}
	binary.BigEndian.PutUint16(b, 0x4000|uint16(v))
}

// PutVarint4 writes v into b[0:4] as a 4-byte varint. v must be below 2^30.
func PutVarint4(b []byte, v uint64) {
	_ = b[3]
	if v >= 1<<30 {
		panic("wire: value does not fit a 4-byte varint")
	}
	binary.BigEndian.PutUint32(b, 0x80000000|uint32(v))
}
