// Package wire is the QUIC wire codec: variable-length integers, long and
// short packet headers, packet number encoding, every RFC 9000 frame plus
// DATAGRAM (RFC 9221), transport parameters, Version Negotiation and Retry
// packets.
//
// Nothing here keeps state or allocates on the hot path. Parsers return
// views into the caller's buffer ([]byte fields alias the input), and
// appenders take a destination slice and return it extended, in the style
// of strconv.AppendInt:
//
//	b = wire.AppendShortHeader(b[:0], dcid, 2, false)
//	pnOff := len(b) - 2
//	b = wire.AppendPacketNumber(b[:pnOff], pn, 2)
//	b = wire.AppendStreamFrame(b, 0, 0, data, true, false)
//
// Header parsing stops before the packet number, which is still covered by
// header protection at that point; package protect removes it.
package wire
