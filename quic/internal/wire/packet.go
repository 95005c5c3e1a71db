package wire

import "encoding/binary"

// Version is a QUIC version number.
type Version uint32

// Versions this package speaks beyond the invariants.
const (
	Version1 Version = 0x00000001 // RFC 9000
	Version2 Version = 0x6b3343cf // RFC 9369
)

// MaxConnIDLen is the longest connection ID QUIC v1 and v2 allow
// (RFC 9000, Section 17.2).
const MaxConnIDLen = 20

// IsSupportedVersion reports whether v is a version whose packets this
// package parses: QUIC v1 and v2.
func IsSupportedVersion(v Version) bool { return v == Version1 || v == Version2 }

// IsReservedVersion reports whether v follows the 0x?a?a?a?a pattern that
// RFC 9000, Section 15 reserves for exercising version negotiation.
func IsReservedVersion(v Version) bool { return v&0x0f0f0f0f == 0x0a0a0a0a }

// PacketType is the kind of a QUIC packet. The zero value is not a valid
// packet type.
type PacketType uint8

// Packet types. Their numeric values are this package's own; the on-wire
// long packet type bits depend on the version (RFC 9369, Section 3.2) and
// are mapped by ParseHeader and AppendLongHeader.
const (
	PacketInitial PacketType = iota + 1
	Packet0RTT
	PacketHandshake
	PacketRetry
	Packet1RTT
	PacketVersionNegotiation
)

var packetTypeNames = [...]string{"invalid", "Initial", "0-RTT", "Handshake", "Retry", "1-RTT", "VersionNegotiation"}

func (t PacketType) String() string {
	if int(t) < len(packetTypeNames) {
		return packetTypeNames[t]
	}
	return "invalid"
}

// longTypeBits maps a packet type to its 2-bit long header type field.
func longTypeBits(v Version, t PacketType) byte {
	if v == Version2 {
		// RFC 9369, Section 3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11,
		// Retry 0b00.
		return byte(t) & 3
	}
	// RFC 9000, Table 5: Initial 0x00, 0-RTT 0x01, Handshake 0x02, Retry 0x03.
	return byte(t) - 1
}

// longTypeFromBits is the inverse of longTypeBits.
func longTypeFromBits(v Version, bits byte) PacketType {
	if v == Version2 {
		if bits == 0 {
			return PacketRetry
		}
		return PacketType(bits)
	}
	return PacketType(bits + 1)
}

// Header is a parsed QUIC packet header. Slices are views into the parsed
// packet. Parsing stops before the packet number, which header protection
// still covers.
type Header struct {
	Type      PacketType
	Version   Version // 0 for short headers and Version Negotiation
	DstConnID []byte
	SrcConnID []byte // long headers only
	Token     []byte // Initial: token; Retry: Retry Token (without the integrity tag)

	// Length is the long header Length field: packet number plus payload.
	Length uint64
	// PNOffset is the offset of the packet number from the packet start.
	// It is 0 for Retry and Version Negotiation packets.
	PNOffset int
	// PacketLen is the length of this packet within the datagram: for
	// Initial, 0-RTT and Handshake packets the header plus Length, so that
	// coalesced packets (RFC 9000, Section 12.2) follow at b[PacketLen:];
	// for every other packet the rest of the datagram.
	PacketLen int

	// SpinBit and KeyPhase are only meaningful for short headers, and
	// KeyPhase only after header protection has been removed from the
	// first byte (see ShortHeaderKeyPhase).
	SpinBit  bool
	KeyPhase bool
}

// IsLongHeader reports whether the first byte b0 starts a long header.
func IsLongHeader(b0 byte) bool { return b0&0x80 != 0 }

// ShortHeaderKeyPhase returns the Key Phase bit of an unprotected short
// header first byte (RFC 9000, Section 17.3.1).
func ShortHeaderKeyPhase(b0 byte) bool { return b0&0x04 != 0 }

// PacketNumberLenFromFirstByte returns the packet number length encoded in
// the low two bits of an unprotected first byte.
func PacketNumberLenFromFirstByte(b0 byte) int { return int(b0&0x03) + 1 }

// ParseHeader parses the header at the start of b, which holds a datagram
// or the remainder of one after earlier coalesced packets. shortDCIDLen is
// the length of the connection IDs this endpoint issued (short headers do
// not encode it). It does not allocate.
//
// Returns nil on success, or one of:
// ErrTruncated — b ends inside the header;
// ErrFixedBit — the fixed bit is zero in a v1/v2 packet;
// ErrConnIDLen — a v1/v2 connection ID longer than 20 bytes;
// ErrLength — the Length field runs past the end of b;
// ErrUnsupportedVersion — a long header of another version: Version,
// DstConnID and SrcConnID are still filled in from the invariant fields
// and PacketLen is len(b), so the caller can answer with Version
// Negotiation.
func ParseHeader(b []byte, shortDCIDLen int) (Header, error) {
	var h Header
	if len(b) == 0 {
		return h, ErrTruncated
	}
	b0 := b[0]
	if !IsLongHeader(b0) {
		// RFC 9000, Section 17.3.1: 1-RTT packet.
		if b0&0x40 == 0 {
			return h, ErrFixedBit
		}
		if shortDCIDLen < 0 || shortDCIDLen > MaxConnIDLen {
			return h, ErrConnIDLen
		}
		off := 1 + shortDCIDLen
		if len(b) < off {
			return h, ErrTruncated
		}
		h.Type = Packet1RTT
		h.DstConnID = b[1:off:off]
		h.PNOffset = off
		h.PacketLen = len(b)
		h.SpinBit = b0&0x20 != 0
		h.KeyPhase = b0&0x04 != 0
		return h, nil
	}

	// Long header invariants (RFC 8999, Section 5.1).
	if len(b) < 7 {
		return h, ErrTruncated
	}
	h.Version = Version(binary.BigEndian.Uint32(b[1:5]))
	off := 5
	dcidLen := int(b[off])
	off++
	if len(b) < off+dcidLen+1 {
		return h, ErrTruncated
	}
	h.DstConnID = b[off : off+dcidLen : off+dcidLen]
	off += dcidLen
	scidLen := int(b[off])
	off++
	if len(b) < off+scidLen {
		return h, ErrTruncated
	}
	h.SrcConnID = b[off : off+scidLen : off+scidLen]
	off += scidLen
	h.PacketLen = len(b)

	if h.Version == 0 {
		// RFC 9000, Section 17.2.1: Version Negotiation; the rest of the
		// packet is a list of 32-bit versions.
		h.Type = PacketVersionNegotiation
		return h, nil
	}
	if !IsSupportedVersion(h.Version) {
		return h, ErrUnsupportedVersion
	}
	if dcidLen > MaxConnIDLen || scidLen > MaxConnIDLen {
		return h, ErrConnIDLen
	}
	if b0&0x40 == 0 {
		return h, ErrFixedBit
	}
	h.Type = longTypeFromBits(h.Version, (b0>>4)&3)

	switch h.Type {
	case PacketRetry:
		// RFC 9000, Section 17.2.5: Retry Token then a 16-byte Retry
		// Integrity Tag, to the end of the datagram.
		if len(b)-off < RetryIntegrityTagLen {
			return h, ErrTruncated
		}
		end := len(b) - RetryIntegrityTagLen
		h.Token = b[off:end:end]
		return h, nil
	case PacketInitial:
		tl, n := ConsumeVarint(b[off:])
		if n < 0 {
			return h, ErrTruncated
		}
		off += n
		if uint64(len(b)-off) < tl {
			return h, ErrTruncated
		}
		end := off + int(tl)
		h.Token = b[off:end:end]
		off = end
	}
	length, n := ConsumeVarint(b[off:])
	if n < 0 {
		return h, ErrTruncated
	}
	off += n
	if uint64(len(b)-off) < length {
		return h, ErrLength
	}
	h.Length = length
	h.PNOffset = off
	h.PacketLen = off + int(length)
	return h, nil
}

// PacketLen returns the length of the first packet in the datagram b, so
// that a receiver can walk coalesced packets (RFC 9000, Section 12.2)
// without parsing more than it must. It returns the same errors as
// ParseHeader; for an unsupported version it returns len(b).
func PacketLen(b []byte, shortDCIDLen int) (int, error) {
	h, err := ParseHeader(b, shortDCIDLen)
	if err != nil && err != ErrUnsupportedVersion {
		return 0, err
	}
	return h.PacketLen, err
}

// AppendLongHeader appends an Initial, 0-RTT or Handshake long header up to
// and including a 2-byte Length placeholder. token is written only for
// Initial packets. The first byte carries the version's type bits, the
// fixed bit and pnLen; reserved bits are 0 (RFC 9000, Section 17.2).
//
// The caller then appends the packet number and payload and patches the
// Length field (packet number + payload + AEAD tag) with
// PutVarint2(out[lengthOff:], n). Length must stay below 16384.
func AppendLongHeader(b []byte, typ PacketType, v Version, dcid, scid, token []byte, pnLen int) (out []byte, lengthOff int) {
	b = append(b, 0xc0|longTypeBits(v, typ)<<4|byte(pnLen-1))
	b = binary.BigEndian.AppendUint32(b, uint32(v))
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = append(b, byte(len(scid)))
	b = append(b, scid...)
	if typ == PacketInitial {
		b = AppendVarint(b, uint64(len(token)))
		b = append(b, token...)
	}
	lengthOff = len(b)
	b = append(b, 0x40, 0x00)
	return b, lengthOff
}

// LongHeaderLen returns the bytes AppendLongHeader writes (without the
// packet number).
func LongHeaderLen(typ PacketType, dcid, scid, token []byte) int {
	n := 1 + 4 + 1 + len(dcid) + 1 + len(scid) + 2
	if typ == PacketInitial {
		n += VarintLen(uint64(len(token))) + len(token)
	}
	return n
}

// AppendShortHeader appends a 1-RTT header up to the packet number: the
// first byte (fixed bit, spin bit 0, reserved bits 0, key phase, pnLen)
// and the destination connection ID (RFC 9000, Section 17.3.1).
func AppendShortHeader(b []byte, dcid []byte, pnLen int, keyPhase bool) []byte {
	b0 := 0x40 | byte(pnLen-1)
	if keyPhase {
		b0 |= 0x04
	}
	b = append(b, b0)
	return append(b, dcid...)
}
