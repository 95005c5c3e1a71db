package wire

// FrameType is a QUIC frame type (RFC 9000, Section 19; RFC 9221).
type FrameType uint64

// Frame types. STREAM occupies 0x08-0x0f (the low three bits are the
// OFF, LEN and FIN flags) and DATAGRAM 0x30-0x31 (the low bit is LEN).
const (
	FramePadding            FrameType = 0x00
	FramePing               FrameType = 0x01
	FrameAck                FrameType = 0x02
	FrameAckECN             FrameType = 0x03
	FrameResetStream        FrameType = 0x04
	FrameStopSending        FrameType = 0x05
	FrameCrypto             FrameType = 0x06
	FrameNewToken           FrameType = 0x07
	FrameStream             FrameType = 0x08
	FrameMaxData            FrameType = 0x10
	FrameMaxStreamData      FrameType = 0x11
	FrameMaxStreamsBidi     FrameType = 0x12
	FrameMaxStreamsUni      FrameType = 0x13
	FrameDataBlocked        FrameType = 0x14
	FrameStreamDataBlocked  FrameType = 0x15
	FrameStreamsBlockedBidi FrameType = 0x16
	FrameStreamsBlockedUni  FrameType = 0x17
	FrameNewConnectionID    FrameType = 0x18
	FrameRetireConnectionID FrameType = 0x19
	FramePathChallenge      FrameType = 0x1a
	FramePathResponse       FrameType = 0x1b
	FrameConnectionClose    FrameType = 0x1c // transport error
	FrameConnectionCloseApp FrameType = 0x1d // application error
	FrameHandshakeDone      FrameType = 0x1e
	FrameDatagram           FrameType = 0x30 // RFC 9221, no Length
	FrameDatagramLen        FrameType = 0x31 // RFC 9221, with Length
)

// STREAM frame type flag bits (RFC 9000, Section 19.8).
const (
	streamFlagFin = 0x01
	streamFlagLen = 0x02
	streamFlagOff = 0x04
)

var frameTypeNames = [...]string{
	FramePadding:            "PADDING",
	FramePing:               "PING",
	FrameAck:                "ACK",
	FrameAckECN:             "ACK_ECN",
	FrameResetStream:        "RESET_STREAM",
	FrameStopSending:        "STOP_SENDING",
	FrameCrypto:             "CRYPTO",
	FrameNewToken:           "NEW_TOKEN",
	FrameStream:             "STREAM",
	0x09:                    "STREAM",
	0x0a:                    "STREAM",
	0x0b:                    "STREAM",
	0x0c:                    "STREAM",
	0x0d:                    "STREAM",
	0x0e:                    "STREAM",
	0x0f:                    "STREAM",
	FrameMaxData:            "MAX_DATA",
	FrameMaxStreamData:      "MAX_STREAM_DATA",
	FrameMaxStreamsBidi:     "MAX_STREAMS",
	FrameMaxStreamsUni:      "MAX_STREAMS",
	FrameDataBlocked:        "DATA_BLOCKED",
	FrameStreamDataBlocked:  "STREAM_DATA_BLOCKED",
	FrameStreamsBlockedBidi: "STREAMS_BLOCKED",
	FrameStreamsBlockedUni:  "STREAMS_BLOCKED",
	FrameNewConnectionID:    "NEW_CONNECTION_ID",
	FrameRetireConnectionID: "RETIRE_CONNECTION_ID",
	FramePathChallenge:      "PATH_CHALLENGE",
	FramePathResponse:       "PATH_RESPONSE",
	FrameConnectionClose:    "CONNECTION_CLOSE",
	FrameConnectionCloseApp: "CONNECTION_CLOSE",
	FrameHandshakeDone:      "HANDSHAKE_DONE",
}

func (t FrameType) String() string {
	if t < FrameType(len(frameTypeNames)) {
		return frameTypeNames[t]
	}
	if t == FrameDatagram || t == FrameDatagramLen {
		return "DATAGRAM"
	}
	return "UNKNOWN"
}

// IsStream reports whether t is one of the STREAM types 0x08-0x0f.
func (t FrameType) IsStream() bool { return t >= 0x08 && t <= 0x0f }

// IsAckEliciting reports whether a frame of type t makes its packet
// ack-eliciting (RFC 9002, Section 2: all frames other than ACK, PADDING
// and CONNECTION_CLOSE).
func (t FrameType) IsAckEliciting() bool {
	switch t {
	case FramePadding, FrameAck, FrameAckECN, FrameConnectionClose, FrameConnectionCloseApp:
		return false
	}
	return true
}

// Packet kinds as bits, for the permission table.
const (
	inInitial = 1 << iota
	in0RTT
	inHandshake
	in1RTT
)

// AllowedIn reports whether a frame of type t may appear in a packet of
// type pt, following RFC 9000, Section 12.4, Table 3 (and RFC 9221,
// Section 4 for DATAGRAM: 0-RTT and 1-RTT only). A frame outside its
// permitted packet types is a PROTOCOL_VIOLATION (RFC 9000, Section 12.4).
// Unknown frame types report false.
func (t FrameType) AllowedIn(pt PacketType) bool {
	var mask uint8
	switch {
	case t == FramePadding, t == FramePing:
		mask = inInitial | inHandshake | in0RTT | in1RTT // IH01
	case t == FrameAck, t == FrameAckECN, t == FrameCrypto:
		mask = inInitial | inHandshake | in1RTT // IH_1
	case t == FrameConnectionClose:
		mask = inInitial | inHandshake | in0RTT | in1RTT // ih01
	case t == FrameNewToken, t == FramePathResponse, t == FrameHandshakeDone:
		mask = in1RTT // ___1
	case t == FrameResetStream, t == FrameStopSending, t.IsStream(),
		t >= FrameMaxData && t <= FramePathChallenge,
		t == FrameConnectionCloseApp, t == FrameDatagram, t == FrameDatagramLen:
		mask = in0RTT | in1RTT // __01
	default:
		return false
	}
	switch pt {
	case PacketInitial:
		return mask&inInitial != 0
	case Packet0RTT:
		return mask&in0RTT != 0
	case PacketHandshake:
		return mask&inHandshake != 0
	case Packet1RTT:
		return mask&in1RTT != 0
	}
	return false
}

// AckRange is an inclusive range of acknowledged packet numbers.
type AckRange struct {
	Smallest, Largest uint64
}

// ECNCounts are the ECN counters of an ACK_ECN frame (RFC 9000,
// Section 19.3.2).
type ECNCounts struct {
	ECT0, ECT1, CE uint64
}

// Frame is one decoded frame. Which fields are set depends on Type; byte
// slices are views into the parsed packet, valid while it is.
//
// Type is the wire frame type, except that the STREAM types 0x08-0x0f are
// reported as FrameStream (flags in Fin, and in the Offset/Data fields),
// ACK_ECN as FrameAck with HasECN set, and DATAGRAM 0x30/0x31 as
// FrameDatagram. RawType keeps the type as it appeared on the wire.
type Frame struct {
	Type    FrameType
	RawType FrameType

	// STREAM, RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA,
	// STREAM_DATA_BLOCKED.
	StreamID int64
	// STREAM and CRYPTO: offset of Data.
	Offset uint64
	// STREAM: the FIN bit.
	Fin bool
	// STREAM, CRYPTO, DATAGRAM: the payload; NEW_TOKEN: the token.
	Data []byte

	// ACK: ranges, largest first, appended into AckRanges[:0] and bounded
	// by cap(AckRanges) (or MaxAckRanges when it is 0).
	AckRanges        []AckRange
	AckRangesDropped int    // ranges validated but past the bound
	AckDelay         uint64 // raw, before scaling by the ack_delay_exponent
	HasECN           bool
	ECN              ECNCounts

	// RESET_STREAM, STOP_SENDING, CONNECTION_CLOSE.
	ErrorCode uint64
	// RESET_STREAM: the final size.
	FinalSize uint64
	// MAX_DATA, MAX_STREAM_DATA, MAX_STREAMS: the new limit;
	// DATA_BLOCKED, STREAM_DATA_BLOCKED, STREAMS_BLOCKED: the limit hit.
	Max uint64
	// MAX_STREAMS, STREAMS_BLOCKED: bidirectional (0x12, 0x16) or not.
	Bidi bool

	// NEW_CONNECTION_ID, RETIRE_CONNECTION_ID: sequence number.
	SeqNum uint64
	// NEW_CONNECTION_ID.
	RetirePriorTo       uint64
	ConnID              []byte
	StatelessResetToken [16]byte

	// PATH_CHALLENGE, PATH_RESPONSE.
	PathData [8]byte

	// CONNECTION_CLOSE 0x1c: the frame type that triggered the error.
	ErrorFrameType uint64
	// CONNECTION_CLOSE: the reason phrase.
	Reason []byte

	// PADDING: number of consecutive padding bytes consumed.
	PaddingLen int
}
