package wire

import (
	"bytes"
	"encoding/binary"
	"math"
	"net/netip"
	"time"
)

// Transport parameter IDs (RFC 9000, Section 18.2; RFC 9368, Section 3;
// RFC 9221, Section 3; RFC 9287, Section 3).
const (
	tpOriginalDestinationConnectionID = 0x00
	tpMaxIdleTimeout                  = 0x01
	tpStatelessResetToken             = 0x02
	tpMaxUDPPayloadSize               = 0x03
	tpInitialMaxData                  = 0x04
	tpInitialMaxStreamDataBidiLocal   = 0x05
	tpInitialMaxStreamDataBidiRemote  = 0x06
	tpInitialMaxStreamDataUni         = 0x07
	tpInitialMaxStreamsBidi           = 0x08
	tpInitialMaxStreamsUni            = 0x09
	tpAckDelayExponent                = 0x0a
	tpMaxAckDelay                     = 0x0b
	tpDisableActiveMigration          = 0x0c
	tpPreferredAddress                = 0x0d
	tpActiveConnectionIDLimit         = 0x0e
	tpInitialSourceConnectionID       = 0x0f
	tpRetrySourceConnectionID         = 0x10
	tpVersionInformation              = 0x11
	tpMaxDatagramFrameSize            = 0x20
	tpGreaseQUICBit                   = 0x2ab2
)

// Defaults that apply when a parameter is absent (RFC 9000, Section 18.2).
const (
	DefaultMaxUDPPayloadSize       = 65527
	DefaultAckDelayExponent        = 3
	DefaultMaxAckDelay             = 25 * time.Millisecond
	DefaultActiveConnectionIDLimit = 2
)

// Limits on parameter values (RFC 9000, Section 18.2).
const (
	MinMaxUDPPayloadSize = 1200    // "Values below 1200 are invalid."
	MaxAckDelayExponent  = 20      // "Values above 20 are invalid."
	MaxMaxAckDelayMillis = 1 << 14 // "Values of 2^14 or greater are invalid."
)

// PreferredAddress is the server's preferred_address transport parameter
// (RFC 9000, Section 18.2). An unspecified family has an invalid
// netip.AddrPort (the wire carries zeros).
type PreferredAddress struct {
	IPv4                netip.AddrPort
	IPv6                netip.AddrPort
	ConnID              []byte
	StatelessResetToken [16]byte
}

// VersionInformation is the version_information transport parameter
// (RFC 9368, Section 3).
type VersionInformation struct {
	Chosen    Version
	Available []Version
}

// TransportParams are the QUIC transport parameters of one endpoint.
// The Has* flags record presence for parameters without a usable
// default. Durations travel in milliseconds on the wire.
type TransportParams struct {
	OriginalDestinationConnectionID    []byte // server only
	HasOriginalDestinationConnectionID bool
	MaxIdleTimeout                     time.Duration // 0: no idle timeout from this side
	StatelessResetToken                [16]byte      // server only
	HasStatelessResetToken             bool
	MaxUDPPayloadSize                  uint64
	InitialMaxData                     uint64
	InitialMaxStreamDataBidiLocal      uint64
	InitialMaxStreamDataBidiRemote     uint64
	InitialMaxStreamDataUni            uint64
	InitialMaxStreamsBidi              uint64
	InitialMaxStreamsUni               uint64
	AckDelayExponent                   uint64
	MaxAckDelay                        time.Duration
	DisableActiveMigration             bool
	PreferredAddress                   PreferredAddress // server only
	HasPreferredAddress                bool
	ActiveConnectionIDLimit            uint64
	InitialSourceConnectionID          []byte
	HasInitialSourceConnectionID       bool
	RetrySourceConnectionID            []byte // server only
	HasRetrySourceConnectionID         bool
	MaxDatagramFrameSize               uint64 // RFC 9221; 0: DATAGRAM not supported
	VersionInformation                 VersionInformation
	HasVersionInformation              bool
	GreaseQUICBit                      bool // RFC 9287
}

// DefaultTransportParams returns parameters with every RFC default set
// and every optional parameter absent.
func DefaultTransportParams() TransportParams {
	return TransportParams{
		MaxUDPPayloadSize:       DefaultMaxUDPPayloadSize,
		AckDelayExponent:        DefaultAckDelayExponent,
		MaxAckDelay:             DefaultMaxAckDelay,
		ActiveConnectionIDLimit: DefaultActiveConnectionIDLimit,
	}
}

func appendParamVarint(b []byte, id, v uint64) []byte {
	b = AppendVarint(b, id)
	b = AppendVarint(b, uint64(VarintLen(v)))
	return AppendVarint(b, v)
}

func appendParamBytes(b []byte, id uint64, v []byte) []byte {
	b = AppendVarint(b, id)
	b = AppendVarint(b, uint64(len(v)))
	return append(b, v...)
}

// Append encodes p as the quic_transport_parameters TLS extension body,
// in ascending parameter ID order. Parameters equal to their default are
// left out. isServer says who sends them: a client never writes the
// server-only parameters (original_destination_connection_id,
// stateless_reset_token, preferred_address, retry_source_connection_id)
// even if they are set (RFC 9000, Section 18.2: "A client MUST NOT
// include any server-only transport parameter").
func (p *TransportParams) Append(b []byte, isServer bool) []byte {
	if isServer && p.HasOriginalDestinationConnectionID {
		b = appendParamBytes(b, tpOriginalDestinationConnectionID, p.OriginalDestinationConnectionID)
	}
	if p.MaxIdleTimeout > 0 {
		b = appendParamVarint(b, tpMaxIdleTimeout, uint64(p.MaxIdleTimeout/time.Millisecond))
	}
	if isServer && p.HasStatelessResetToken {
		b = appendParamBytes(b, tpStatelessResetToken, p.StatelessResetToken[:])
	}
	if p.MaxUDPPayloadSize != DefaultMaxUDPPayloadSize && p.MaxUDPPayloadSize != 0 {
		b = appendParamVarint(b, tpMaxUDPPayloadSize, p.MaxUDPPayloadSize)
	}
	for _, e := range [...]struct {
		id uint64
		v  uint64
	}{
		{tpInitialMaxData, p.InitialMaxData},
		{tpInitialMaxStreamDataBidiLocal, p.InitialMaxStreamDataBidiLocal},
		{tpInitialMaxStreamDataBidiRemote, p.InitialMaxStreamDataBidiRemote},
		{tpInitialMaxStreamDataUni, p.InitialMaxStreamDataUni},
		{tpInitialMaxStreamsBidi, p.InitialMaxStreamsBidi},
		{tpInitialMaxStreamsUni, p.InitialMaxStreamsUni},
	} {
		if e.v != 0 {
			b = appendParamVarint(b, e.id, e.v)
		}
	}
	if p.AckDelayExponent != DefaultAckDelayExponent {
		b = appendParamVarint(b, tpAckDelayExponent, p.AckDelayExponent)
	}
	if p.MaxAckDelay != DefaultMaxAckDelay {
		b = appendParamVarint(b, tpMaxAckDelay, uint64(p.MaxAckDelay/time.Millisecond))
	}
	if p.DisableActiveMigration {
		b = appendParamBytes(b, tpDisableActiveMigration, nil)
	}
	if isServer && p.HasPreferredAddress {
		b = p.PreferredAddress.appendParam(b)
	}
	if p.ActiveConnectionIDLimit != DefaultActiveConnectionIDLimit && p.ActiveConnectionIDLimit != 0 {
		b = appendParamVarint(b, tpActiveConnectionIDLimit, p.ActiveConnectionIDLimit)
	}
	if p.HasInitialSourceConnectionID {
		b = appendParamBytes(b, tpInitialSourceConnectionID, p.InitialSourceConnectionID)
	}
	if isServer && p.HasRetrySourceConnectionID {
		b = appendParamBytes(b, tpRetrySourceConnectionID, p.RetrySourceConnectionID)
	}
	if p.HasVersionInformation {
		b = AppendVarint(b, tpVersionInformation)
		b = AppendVarint(b, uint64(4+4*len(p.VersionInformation.Available)))
		b = binary.BigEndian.AppendUint32(b, uint32(p.VersionInformation.Chosen))
		for _, v := range p.VersionInformation.Available {
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		}
	}
	if p.MaxDatagramFrameSize != 0 {
		b = appendParamVarint(b, tpMaxDatagramFrameSize, p.MaxDatagramFrameSize)
	}
	if p.GreaseQUICBit {
		b = appendParamBytes(b, tpGreaseQUICBit, nil)
	}
	return b
}

func (a *PreferredAddress) appendParam(b []byte) []byte {
	b = AppendVarint(b, tpPreferredAddress)
	b = AppendVarint(b, uint64(4+2+16+2+1+len(a.ConnID)+16))
	var v4 [4]byte
	var v4port uint16
	if a.IPv4.IsValid() {
		v4 = a.IPv4.Addr().As4()
		v4port = a.IPv4.Port()
	}
	b = append(b, v4[:]...)
	b = binary.BigEndian.AppendUint16(b, v4port)
	var v6 [16]byte
	var v6port uint16
	if a.IPv6.IsValid() {
		v6 = a.IPv6.Addr().As16()
		v6port = a.IPv6.Port()
	}
	b = append(b, v6[:]...)
	b = binary.BigEndian.AppendUint16(b, v6port)
	b = append(b, byte(len(a.ConnID)))
	b = append(b, a.ConnID...)
	return append(b, a.StatelessResetToken[:]...)
}

// paramError is the TRANSPORT_PARAMETER_ERROR for a rule named reason.
func paramError(reason string) error {
	return &TransportError{Code: TransportParameterError, Reason: reason}
}

// ParseTransportParams decodes and validates a peer's transport
// parameters (RFC 9000, Sections 7.4, 18 and 18.2). fromServer says the
// peer is the server. Absent parameters take their defaults; unknown
// parameters, including reserved (GREASE) IDs of the form 31*N+27, are
// ignored (Section 18.1). Connection IDs and versions are copied, so the
// result does not alias b.
//
// Returns nil on success, or a *TransportError with code
// TransportParameterError and one of these reasons:
// "truncated" — an ID, length or value runs past the end;
// "duplicate" — a known parameter appears twice (Section 7.4: "An
// endpoint SHOULD treat receipt of duplicate transport parameters as a
// connection error of type TRANSPORT_PARAMETER_ERROR");
// "server_only_from_client" — a client sent
// original_destination_connection_id, stateless_reset_token,
// preferred_address or retry_source_connection_id;
// "bad_length" — a value whose encoding does not fill its length exactly,
// a token that is not 16 bytes, a connection ID over 20 bytes, a
// non-empty disable_active_migration or grease_quic_bit;
// "max_udp_payload_size_too_small" (below 1200),
// "ack_delay_exponent_too_large" (above 20),
// "max_ack_delay_too_large" (2^14 ms or more),
// "active_connection_id_limit_too_small" (below 2),
// "max_streams_too_large" (initial_max_streams_* above 2^60),
// "preferred_address_bad" (zero-length or over-long connection ID),
// "version_information_bad" (empty, not a multiple of 4, or a zero
// version; RFC 9368, Section 4);
// "missing_initial_source_connection_id",
// "missing_original_destination_connection_id" (server only) — Section
// 7.3: "An endpoint MUST treat the absence of the
// initial_source_connection_id transport parameter from either endpoint
// or the absence of the original_destination_connection_id transport
// parameter from the server as a connection error of type
// TRANSPORT_PARAMETER_ERROR."
func ParseTransportParams(b []byte, fromServer bool) (TransportParams, error) {
	p := DefaultTransportParams()
	var seen uint64 // bit i: known parameter ID i seen (IDs mapped into 0..63)
	for len(b) > 0 {
		id, n := ConsumeVarint(b)
		if n < 0 {
			return p, paramError("truncated")
		}
		b = b[n:]
		l, n := ConsumeVarint(b)
		if n < 0 || uint64(len(b)-n) < l {
			return p, paramError("truncated")
		}
		val := b[n : n+int(l)]
		b = b[n+int(l):]

		bit, known := paramBit(id)
		if !known {
			continue // RFC 9000, Section 7.4.2: unknown parameters are ignored
		}
		if seen&bit != 0 {
			return p, paramError("duplicate")
		}
		seen |= bit
		if err := p.parseParam(id, val, fromServer); err != nil {
			return p, err
		}
	}
	if !p.HasInitialSourceConnectionID {
		return p, paramError("missing_initial_source_connection_id")
	}
	if fromServer && !p.HasOriginalDestinationConnectionID {
		return p, paramError("missing_original_destination_connection_id")
	}
	return p, nil
}

// paramBit maps a known parameter ID to its bit in the duplicate mask.
func paramBit(id uint64) (uint64, bool) {
	switch {
	case id <= tpVersionInformation:
		return 1 << id, true
	case id == tpMaxDatagramFrameSize:
		return 1 << 40, true
	case id == tpGreaseQUICBit:
		return 1 << 41, true
	}
	return 0, false
}

// paramVarint decodes a varint that must fill val exactly.
func paramVarint(val []byte) (uint64, error) {
	v, n := ConsumeVarint(val)
	if n < 0 || n != len(val) {
		return 0, paramError("bad_length")
	}
	return v, nil
}

func paramConnID(val []byte) ([]byte, error) {
	if len(val) > MaxConnIDLen {
		return nil, paramError("bad_length")
	}
	return append([]byte{}, val...), nil
}

func (p *TransportParams) parseParam(id uint64, val []byte, fromServer bool) error {
	switch id {
	case tpOriginalDestinationConnectionID, tpStatelessResetToken, tpPreferredAddress, tpRetrySourceConnectionID:
		// RFC 9000, Section 18.2: "A server MUST treat receipt of any of
		// these transport parameters as a connection error of type
		// TRANSPORT_PARAMETER_ERROR."
		if !fromServer {
			return paramError("server_only_from_client")
		}
	}
	var err error
	var v uint64
	switch id {
	case tpOriginalDestinationConnectionID:
		p.OriginalDestinationConnectionID, err = paramConnID(val)
		p.HasOriginalDestinationConnectionID = true
	case tpInitialSourceConnectionID:
		p.InitialSourceConnectionID, err = paramConnID(val)
		p.HasInitialSourceConnectionID = true
	case tpRetrySourceConnectionID:
		p.RetrySourceConnectionID, err = paramConnID(val)
		p.HasRetrySourceConnectionID = true
	case tpStatelessResetToken:
		if len(val) != StatelessResetTokenLen {
			return paramError("bad_length")
		}
		copy(p.StatelessResetToken[:], val)
		p.HasStatelessResetToken = true
	case tpMaxIdleTimeout:
		if v, err = paramVarint(val); err == nil {
			p.MaxIdleTimeout = millis(v)
		}
	case tpMaxUDPPayloadSize:
		if v, err = paramVarint(val); err == nil {
			if v < MinMaxUDPPayloadSize {
				return paramError("max_udp_payload_size_too_small")
			}
			p.MaxUDPPayloadSize = v
		}
	case tpInitialMaxData:
		p.InitialMaxData, err = paramVarint(val)
	case tpInitialMaxStreamDataBidiLocal:
		p.InitialMaxStreamDataBidiLocal, err = paramVarint(val)
	case tpInitialMaxStreamDataBidiRemote:
		p.InitialMaxStreamDataBidiRemote, err = paramVarint(val)
	case tpInitialMaxStreamDataUni:
		p.InitialMaxStreamDataUni, err = paramVarint(val)
	case tpInitialMaxStreamsBidi, tpInitialMaxStreamsUni:
		if v, err = paramVarint(val); err == nil {
			// RFC 9000, Section 18.2: "If this transport parameter
			// [initial_max_streams_*] ... the value ... cannot exceed
			// 2^60"; Section 4.6: such a value is a
			// TRANSPORT_PARAMETER_ERROR.
			if v > MaxStreams {
				return paramError("max_streams_too_large")
			}
			if id == tpInitialMaxStreamsBidi {
				p.InitialMaxStreamsBidi = v
			} else {
				p.InitialMaxStreamsUni = v
			}
		}
	case tpAckDelayExponent:
		if v, err = paramVarint(val); err == nil {
			if v > MaxAckDelayExponent {
				return paramError("ack_delay_exponent_too_large")
			}
			p.AckDelayExponent = v
		}
	case tpMaxAckDelay:
		if v, err = paramVarint(val); err == nil {
			if v >= MaxMaxAckDelayMillis {
				return paramError("max_ack_delay_too_large")
			}
			p.MaxAckDelay = time.Duration(v) * time.Millisecond
		}
	case tpDisableActiveMigration:
		if len(val) != 0 {
			return paramError("bad_length")
		}
		p.DisableActiveMigration = true
	case tpPreferredAddress:
		err = p.PreferredAddress.parse(val)
		p.HasPreferredAddress = true
	case tpActiveConnectionIDLimit:
		if v, err = paramVarint(val); err == nil {
			// RFC 9000, Section 18.2: "The value of the
			// active_connection_id_limit parameter MUST be at least 2. An
			// endpoint that receives a value less than 2 MUST close the
			// connection with an error of type TRANSPORT_PARAMETER_ERROR."
			if v < 2 {
				return paramError("active_connection_id_limit_too_small")
			}
			p.ActiveConnectionIDLimit = v
		}
	case tpMaxDatagramFrameSize:
		p.MaxDatagramFrameSize, err = paramVarint(val)
	case tpVersionInformation:
		err = p.VersionInformation.parse(val)
		p.HasVersionInformation = true
	case tpGreaseQUICBit:
		// RFC 9287, Section 3: "This transport parameter has a
		// zero-length value"; otherwise TRANSPORT_PARAMETER_ERROR.
		if len(val) != 0 {
			return paramError("bad_length")
		}
		p.GreaseQUICBit = true
	}
	return err
}

// millis converts a millisecond count to a Duration, saturating at the
// largest whole number of milliseconds a Duration holds (about 292 years)
// instead of overflowing, so that the value re-encodes to itself.
func millis(v uint64) time.Duration {
	const maxMillis = math.MaxInt64 / int64(time.Millisecond)
	if v > uint64(maxMillis) {
		return time.Duration(maxMillis) * time.Millisecond
	}
	return time.Duration(v) * time.Millisecond
}

// parse decodes preferred_address (RFC 9000, Section 18.2):
// IPv4 Address (32), IPv4 Port (16), IPv6 Address (128), IPv6 Port (16),
// Connection ID Length (8), Connection ID, Stateless Reset Token (128).
func (a *PreferredAddress) parse(val []byte) error {
	const fixed = 4 + 2 + 16 + 2 + 1
	if len(val) < fixed+16 {
		return paramError("preferred_address_bad")
	}
	cidLen := int(val[fixed-1])
	// RFC 9000, Section 18.2: "a server MUST NOT include a zero-length
	// connection ID in this transport parameter".
	if cidLen == 0 || cidLen > MaxConnIDLen || len(val) != fixed+cidLen+16 {
		return paramError("preferred_address_bad")
	}
	v4 := netip.AddrFrom4([4]byte(val[0:4]))
	if p := binary.BigEndian.Uint16(val[4:6]); p != 0 || !v4.IsUnspecified() {
		a.IPv4 = netip.AddrPortFrom(v4, p)
	}
	v6 := netip.AddrFrom16([16]byte(val[6:22]))
	if p := binary.BigEndian.Uint16(val[22:24]); p != 0 || !v6.IsUnspecified() {
		a.IPv6 = netip.AddrPortFrom(v6, p)
	}
	a.ConnID = bytes.Clone(val[fixed : fixed+cidLen])
	copy(a.StatelessResetToken[:], val[fixed+cidLen:])
	return nil
}

// parse decodes version_information (RFC 9368, Section 3): Chosen
// Version (32) then Available Versions (32) ... . RFC 9368, Section 4:
// an endpoint treats a malformed parameter, for instance with a length
// that is not a multiple of 4 or a Chosen Version of 0, as a
// TRANSPORT_PARAMETER_ERROR.
func (vi *VersionInformation) parse(val []byte) error {
	if len(val) < 4 || len(val)%4 != 0 {
		return paramError("version_information_bad")
	}
	vi.Chosen = Version(binary.BigEndian.Uint32(val))
	if vi.Chosen == 0 {
		return paramError("version_information_bad")
	}
	vi.Available = make([]Version, 0, len(val)/4-1)
	for i := 4; i < len(val); i += 4 {
		v := Version(binary.BigEndian.Uint32(val[i:]))
		if v == 0 {
			return paramError("version_information_bad")
		}
		vi.Available = append(vi.Available, v)
	}
	return nil
}
