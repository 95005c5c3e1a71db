package h2

// This file holds the frame vocabulary of RFC 9113 Section 4 and 6, plus the
// extension frames ALTSVC (RFC 7838), ORIGIN (RFC 8336) and PRIORITY_UPDATE
// (RFC 9218). Parsing lives in frame_parse.go, encoding in frame_append.go.

import "strconv"

// FrameHeaderLen is the size of the fixed frame header (RFC 9113, Section 4.1).
const FrameHeaderLen = 9

// FrameType is the 8-bit type of a frame (RFC 9113, Section 4.1).
type FrameType uint8

// Frame types. The first ten are RFC 9113 Section 6; the rest are extensions.
const (
	FrameData           FrameType = 0x0
	FrameHeaders        FrameType = 0x1
	FramePriority       FrameType = 0x2
	FrameRSTStream      FrameType = 0x3
	FrameSettings       FrameType = 0x4
	FramePushPromise    FrameType = 0x5
	FramePing           FrameType = 0x6
	FrameGoaway         FrameType = 0x7
	FrameWindowUpdate   FrameType = 0x8
	FrameContinuation   FrameType = 0x9
	FrameAltsvc         FrameType = 0xa  // RFC 7838, Section 4
	FrameOrigin         FrameType = 0xc  // RFC 8336, Section 2
	FramePriorityUpdate FrameType = 0x10 // RFC 9218, Section 7.1
)

var frameTypeNames = [...]string{
	FrameData:           "DATA",
	FrameHeaders:        "HEADERS",
	FramePriority:       "PRIORITY",
	FrameRSTStream:      "RST_STREAM",
	FrameSettings:       "SETTINGS",
	FramePushPromise:    "PUSH_PROMISE",
	FramePing:           "PING",
	FrameGoaway:         "GOAWAY",
	FrameWindowUpdate:   "WINDOW_UPDATE",
	FrameContinuation:   "CONTINUATION",
	FrameAltsvc:         "ALTSVC",
	FrameOrigin:         "ORIGIN",
	FramePriorityUpdate: "PRIORITY_UPDATE",
}

func (t FrameType) String() string {
	if int(t) < len(frameTypeNames) && frameTypeNames[t] != "" {
		return frameTypeNames[t]
	}
	return "UNKNOWN_FRAME_TYPE_" + strconv.Itoa(int(t))
}

// Known reports whether the codec understands frames of type t. Frames of an
// unknown type must be ignored by the receiver (RFC 9113, Section 4.1: "Implementations
// MUST ignore and discard frames of unknown types").
func (t FrameType) Known() bool {
	return int(t) < len(frameParsers) && frameParsers[t] != nil
}

// FrameFlags holds the 8-bit flags of a frame. Their meaning depends on the type.
type FrameFlags uint8

// Frame flags (RFC 9113, Section 6).
const (
	FlagNone       FrameFlags = 0x0
	FlagEndStream  FrameFlags = 0x1  // DATA, HEADERS
	FlagAck        FrameFlags = 0x1  // SETTINGS, PING
	FlagEndHeaders FrameFlags = 0x4  // HEADERS, PUSH_PROMISE, CONTINUATION
	FlagPadded     FrameFlags = 0x8  // DATA, HEADERS, PUSH_PROMISE
	FlagPriority   FrameFlags = 0x20 // HEADERS
)

// Has reports whether all bits of v are set in f.
func (f FrameFlags) Has(v FrameFlags) bool { return f&v == v }

// FrameHeader is the fixed 9-octet header that starts every frame.
type FrameHeader struct {
	Length   uint32 // payload length, 24 bits
	Type     FrameType
	Flags    FrameFlags
	StreamID int32 // 31 bits; the reserved bit is dropped on receipt
}

// SettingsID identifies a SETTINGS parameter (RFC 9113, Section 6.5.2).
type SettingsID uint16

// SETTINGS parameters known to the codec. Unknown identifiers are passed
// through: "An endpoint that receives a SETTINGS frame with any unknown or
// unsupported identifier MUST ignore that setting" (RFC 9113, Section 6.5.2).
const (
	SettingsHeaderTableSize       SettingsID = 0x1
	SettingsEnablePush            SettingsID = 0x2
	SettingsMaxConcurrentStreams  SettingsID = 0x3
	SettingsInitialWindowSize     SettingsID = 0x4
	SettingsMaxFrameSize          SettingsID = 0x5
	SettingsMaxHeaderListSize     SettingsID = 0x6
	SettingsEnableConnectProtocol SettingsID = 0x8 // RFC 8441, Section 3
	SettingsNoRFC7540Priorities   SettingsID = 0x9 // RFC 9218, Section 2.1
)

// SettingsEntry is one parameter of a SETTINGS frame.
type SettingsEntry struct {
	ID    SettingsID
	Value uint32
}

// Limits from RFC 9113 used by the codec.
const (
	// MinMaxFrameSize is the initial and smallest SETTINGS_MAX_FRAME_SIZE (2^14).
	MinMaxFrameSize = 1 << 14
	// MaxMaxFrameSize is the largest allowed SETTINGS_MAX_FRAME_SIZE (2^24-1).
	MaxMaxFrameSize = 1<<24 - 1
	// MaxWindowSize is the largest flow-control window (2^31-1), RFC 9113 Section 6.9.1.
	MaxWindowSize = 1<<31 - 1
)

// PrioritySpec is the RFC 7540 priority of HEADERS and PRIORITY frames. It is
// parsed and otherwise ignored (RFC 9113, Section 5.3.2 deprecates the scheme).
type PrioritySpec struct {
	StreamID  int32 // stream dependency
	Weight    uint8 // as on the wire (weight-1); 15 means weight 16
	Exclusive bool
}

// HeadersCategory says what a header block means for the stream it arrives on.
// The session sets it; the codec leaves it zero.
type HeadersCategory uint8

// Header block categories, as in nghttp2_headers_category.
const (
	HCatRequest      HeadersCategory = iota // opens a stream (server side)
	HCatResponse                            // first response header block (client side)
	HCatPushResponse                        // response on a pushed stream
	HCatHeaders                             // anything else: trailers, 1xx follow-ups
)

// Frame is a parsed or to-be-sent frame. The session owns it; slices in it
// are views into session memory and stay valid only during the callback that
// receives the frame.
type Frame struct {
	Hd                  FrameHeader
	PadLen              int             // DATA/HEADERS/PUSH_PROMISE: padding incl. the Pad Length octet
	Cat                 HeadersCategory // HEADERS: set by the session
	Priority            PrioritySpec    // HEADERS with FlagPriority, PRIORITY
	ErrorCode           ErrorCode       // RST_STREAM, GOAWAY
	Settings            []SettingsEntry // SETTINGS: view, valid during the callback
	PromisedStreamID    int32           // PUSH_PROMISE
	OpaqueData          [8]byte         // PING
	LastStreamID        int32           // GOAWAY
	DebugData           []byte          // GOAWAY: view, valid during the callback
	WindowSizeIncrement int32           // WINDOW_UPDATE
	PrioritizedStreamID int32           // PRIORITY_UPDATE
	FieldValue          []byte          // PRIORITY_UPDATE priority field value; ALTSVC Alt-Svc field value
	Origin              []byte          // ALTSVC origin; ORIGIN: the raw payload (origin entries)
	Payload             []byte          // unknown/extension frames: raw payload; DATA: the data without padding
}

// Type returns the frame type.
func (f *Frame) Type() FrameType { return f.Hd.Type }

// StreamID returns the stream identifier from the frame header.
func (f *Frame) StreamID() int32 { return f.Hd.StreamID }

// Flags returns the frame flags.
func (f *Frame) Flags() FrameFlags { return f.Hd.Flags }

// reset clears every per-type field so a reused Frame carries nothing over
// from the previous frame.
func (f *Frame) reset(hd FrameHeader) {
	*f = Frame{Hd: hd}
}

// NVFlag modifies how a header field is encoded.
type NVFlag uint8

// NV flags, as nghttp2_nv_flag.
const (
	NVFlagNone NVFlag = 0
	// NVFlagNoIndex encodes the field as a never-indexed literal
	// (RFC 7541, Section 6.2.3), for secrets such as cookies or tokens.
	NVFlagNoIndex NVFlag = 0x01
	// NVFlagNoCopyName promises the name stays valid until the frame is sent.
	NVFlagNoCopyName NVFlag = 0x02
	// NVFlagNoCopyValue promises the value stays valid until the frame is sent.
	NVFlagNoCopyValue NVFlag = 0x04
)

// NV is one header field (name/value pair) handed to Submit* functions.
type NV struct {
	Name, Value []byte
	Flags       NVFlag
}

// codecError is a frame or field rule violation. Name is stable and points at
// the rule that fired (x/net/http2 countError style) so tests, logs and
// metrics can tell rules apart. Stream says the violation is a stream error
// (RST_STREAM) rather than a connection error (GOAWAY), RFC 9113 Section 5.4.
type codecError struct {
	Code   ErrorCode
	Stream bool
	Name   string
}

func (e *codecError) Error() string {
	scope := "connection"
	if e.Stream {
		scope = "stream"
	}
	return "h2: " + scope + " error " + e.Code.String() + ": " + e.Name
}

// connErr and streamErr declare the package-level error values the codec
// returns, so raising one never allocates.
func connErr(code ErrorCode, name string) *codecError {
	return &codecError{Code: code, Name: name}
}

func streamErr(code ErrorCode, name string) *codecError {
	return &codecError{Code: code, Stream: true, Name: name}
}
