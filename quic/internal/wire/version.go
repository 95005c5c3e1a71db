package wire

import "encoding/binary"

// MinInitialDatagramSize is the smallest UDP payload that may carry a
// client Initial packet (RFC 9000, Section 14.1), and so the smallest
// datagram worth answering with Version Negotiation (Section 6.1: "A
// server MAY limit the number of Version Negotiation packets it sends";
// Section 14.1: a server "MUST discard an Initial packet that is carried
// in a UDP datagram with a payload that is smaller than ... 1200 bytes").
const MinInitialDatagramSize = 1200

// DecodeVersionCID extracts the version and connection IDs from the first
// packet of a datagram before any connection state exists, with the
// semantics of ngtcp2_pkt_decode_version_cid: a server uses it to route
// the datagram and to decide whether to answer with Version Negotiation.
// dcid and scid are views into b; scid is nil for a short header, and the
// version of a short header is 0. shortDCIDLen is the length of the
// connection IDs this endpoint issues.
//
// For a long header with a version this package does not support,
// connection IDs up to 255 bytes are accepted (RFC 8999, Section 5.1).
//
// Returns nil on success (including a Version Negotiation packet, whose
// version is 0), or one of:
// ErrInvalidArgument — b is empty or too short for its header, a v1/v2
// connection ID is longer than 20 bytes, or an unsupported version
// arrived in a datagram smaller than 1200 bytes (not worth answering);
// ErrVersionNegotiation — an unsupported version in a datagram of at
// least 1200 bytes: v, dcid and scid are set, and the caller should send
// Version Negotiation (AppendVersionNegotiation).
func DecodeVersionCID(b []byte, shortDCIDLen int) (v Version, dcid, scid []byte, err error) {
	if len(b) == 0 {
		return 0, nil, nil, ErrInvalidArgument
	}
	if !IsLongHeader(b[0]) {
		if shortDCIDLen < 0 || shortDCIDLen > MaxConnIDLen || len(b) < 1+shortDCIDLen {
			return 0, nil, nil, ErrInvalidArgument
		}
		return 0, b[1 : 1+shortDCIDLen : 1+shortDCIDLen], nil, nil
	}
	if len(b) < 7 {
		return 0, nil, nil, ErrInvalidArgument
	}
	dcidLen := int(b[5])
	if len(b) < 7+dcidLen {
		return 0, nil, nil, ErrInvalidArgument
	}
	scidLen := int(b[6+dcidLen])
	if len(b) < 7+dcidLen+scidLen {
		return 0, nil, nil, ErrInvalidArgument
	}
	v = Version(binary.BigEndian.Uint32(b[1:5]))
	supported := IsSupportedVersion(v)
	if supported && (dcidLen > MaxConnIDLen || scidLen > MaxConnIDLen) {
		return 0, nil, nil, ErrInvalidArgument
	}
	if v != 0 && !supported && len(b) < MinInitialDatagramSize {
		return 0, nil, nil, ErrInvalidArgument
	}
	dcid = b[6 : 6+dcidLen : 6+dcidLen]
	scid = b[7+dcidLen : 7+dcidLen+scidLen : 7+dcidLen+scidLen]
	if v != 0 && !supported {
		return v, dcid, scid, ErrVersionNegotiation
	}
	return v, dcid, scid, nil
}

// AppendVersionNegotiation appends a Version Negotiation packet
// (RFC 9000, Section 17.2.1). dcid and scid are the client's source and
// destination connection IDs, swapped (Section 6.1: "the server MUST ...
// set the Destination Connection ID to the Source Connection ID of the
// received packet"). The Unused bits are 0 except 0x40, which
// Section 17.2.1 says servers SHOULD set where QUIC is multiplexed
// (RFC 7983).
func AppendVersionNegotiation(b []byte, dcid, scid []byte, versions []Version) []byte {
	b = append(b, 0xc0, 0, 0, 0, 0)
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = append(b, byte(len(scid)))
	b = append(b, scid...)
	for _, v := range versions {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return b
}

// VersionList is the Supported Version list of a Version Negotiation
// packet, a view of 4-byte big-endian entries.
type VersionList []byte

// Len returns the number of versions.
func (l VersionList) Len() int { return len(l) / 4 }

// At returns the i-th version.
func (l VersionList) At(i int) Version { return Version(binary.BigEndian.Uint32(l[4*i:])) }

// Contains reports whether v is in the list.
func (l VersionList) Contains(v Version) bool {
	for i := 0; i+4 <= len(l); i += 4 {
		if Version(binary.BigEndian.Uint32(l[i:])) == v {
			return true
		}
	}
	return false
}

// ParseVersionNegotiation parses a Version Negotiation packet: its
// connection IDs and its Supported Version list, all views into b.
//
// Returns nil on success, or one of: ErrTruncated — b ends inside the
// header; ErrInvalidArgument — b is not a Version Negotiation packet
// (short header or non-zero version), or its version list is empty or not
// a multiple of 4 bytes, and the client drops it.
func ParseVersionNegotiation(b []byte) (dcid, scid []byte, versions VersionList, err error) {
	h, err := ParseHeader(b, 0)
	if err != nil && err != ErrUnsupportedVersion {
		return nil, nil, nil, err
	}
	if h.Type != PacketVersionNegotiation {
		return nil, nil, nil, ErrInvalidArgument
	}
	off := 7 + len(h.DstConnID) + len(h.SrcConnID)
	rest := b[off:]
	if len(rest) == 0 || len(rest)%4 != 0 {
		return nil, nil, nil, ErrInvalidArgument
	}
	return h.DstConnID, h.SrcConnID, VersionList(rest), nil
}
