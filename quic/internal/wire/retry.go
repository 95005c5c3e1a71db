package wire

import "encoding/binary"

// RetryIntegrityTagLen is the size of the Retry Integrity Tag
// (RFC 9001, Section 5.8).
const RetryIntegrityTagLen = 16

// AppendRetry appends a Retry packet without its integrity tag
// (RFC 9000, Section 17.2.5): dcid is the client's Source Connection ID,
// scid the new connection ID the server chose, token the Retry Token.
// The caller appends the tag (package protect, RetryIntegrityTag) over
// the bytes written here. The Unused bits are 0.
func AppendRetry(b []byte, v Version, dcid, scid, token []byte) []byte {
	b = append(b, 0xc0|longTypeBits(v, PacketRetry)<<4)
	b = binary.BigEndian.AppendUint32(b, uint32(v))
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = append(b, byte(len(scid)))
	b = append(b, scid...)
	return append(b, token...)
}
