package h2

// Frame parsing: the fixed header and one parser per frame type, dispatched
// from frameParsers (indexed by FrameType, as x/net/http2's frameParsers).
// Every rule of RFC 9113 Section 6 that can be judged from one frame alone is
// checked here; rules that need stream or connection state (CONTINUATION
// sequencing, stream states, flow-control windows, which side may send a
// frame) are the session's.

import (
	"encoding/binary"
	"errors"
)

// Named rule violations. Each is a package-level value so raising one does
// not allocate; the Name is stable for logs, metrics and tests.
var (
	errFrameTooLarge       = connErr(FrameSizeError, "frame_too_large")
	errFrameTooLargeStream = streamErr(FrameSizeError, "frame_too_large")
	errPayloadLength       = connErr(InternalError, "frame_payload_length_mismatch")

	errDataStreamID   = connErr(ProtocolError, "frame_data_stream_0")
	errDataPadShort   = connErr(FrameSizeError, "frame_data_pad_short")
	errDataPadTooBig  = connErr(ProtocolError, "frame_data_pad_too_big")
	errHeadersStream  = connErr(ProtocolError, "frame_headers_stream_0")
	errHeadersPadShrt = connErr(FrameSizeError, "frame_headers_pad_short")
	errHeadersPadBig  = connErr(ProtocolError, "frame_headers_pad_too_big")
	errHeadersPrioLen = connErr(FrameSizeError, "frame_headers_prio_short")
	errHeadersSelfDep = streamErr(ProtocolError, "frame_headers_prio_self_dependency")

	errPriorityStream  = connErr(ProtocolError, "frame_priority_stream_0")
	errPriorityLength  = streamErr(FrameSizeError, "frame_priority_length")
	errPrioritySelfDep = streamErr(ProtocolError, "frame_priority_self_dependency")

	errRSTStream = connErr(ProtocolError, "frame_rst_stream_stream_0")
	errRSTLength = connErr(FrameSizeError, "frame_rst_stream_length")

	errSettingsStream      = connErr(ProtocolError, "frame_settings_has_stream")
	errSettingsAckLength   = connErr(FrameSizeError, "frame_settings_ack_with_length")
	errSettingsLength      = connErr(FrameSizeError, "frame_settings_mod_6")
	errSettingsEnablePush  = connErr(ProtocolError, "frame_settings_enable_push")
	errSettingsWindowSize  = connErr(FlowControlError, "frame_settings_window_size_too_big")
	errSettingsFrameSize   = connErr(ProtocolError, "frame_settings_max_frame_size")
	errSettingsConnectProt = connErr(ProtocolError, "frame_settings_enable_connect_protocol")
	errSettingsNoRFC7540   = connErr(ProtocolError, "frame_settings_no_rfc7540_priorities")

	errPushStream    = connErr(ProtocolError, "frame_pushpromise_stream_0")
	errPushPadShort  = connErr(FrameSizeError, "frame_pushpromise_pad_short")
	errPushPadTooBig = connErr(ProtocolError, "frame_pushpromise_pad_too_big")
	errPushShort     = connErr(FrameSizeError, "frame_pushpromise_promiseid_short")
	errPushPromise0  = connErr(ProtocolError, "frame_pushpromise_promiseid_0")

	errPingStream = connErr(ProtocolError, "frame_ping_has_stream")
	errPingLength = connErr(FrameSizeError, "frame_ping_length")

	errGoawayStream = connErr(ProtocolError, "frame_goaway_has_stream")
	errGoawayShort  = connErr(FrameSizeError, "frame_goaway_short")

	errWindowUpdateLength     = connErr(FrameSizeError, "frame_windowupdate_bad_len")
	errWindowUpdateZeroConn   = connErr(ProtocolError, "frame_windowupdate_zero_inc_conn")
	errWindowUpdateZeroStream = streamErr(ProtocolError, "frame_windowupdate_zero_inc_stream")

	errContinuationStream = connErr(ProtocolError, "frame_continuation_stream_0")

	errAltsvcShort     = connErr(FrameSizeError, "frame_altsvc_short")
	errAltsvcOriginLen = connErr(FrameSizeError, "frame_altsvc_origin_len")

	errPriorityUpdateStream = connErr(ProtocolError, "frame_priority_update_has_stream")
	errPriorityUpdateShort  = connErr(FrameSizeError, "frame_priority_update_short")
	errPriorityUpdateID0    = connErr(ProtocolError, "frame_priority_update_prioritized_0")
)

// errIgnoreFrame is returned (not a *codecError: there is nothing to answer
// on the wire) for an extension frame the RFC says to drop silently: an
// ALTSVC whose origin does not fit its stream (RFC 7838, Section 4) or an
// ORIGIN frame off stream 0 or malformed (RFC 8336, Section 2).
var errIgnoreFrame = errors.New("h2: frame ignored as its RFC requires")

// parseFrameHeader decodes the 9-octet frame header at the start of b, which
// must hold at least FrameHeaderLen bytes. RFC 9113, Section 4.1: the
// reserved bit "MUST remain unset (0x0) when sending and MUST be ignored when
// receiving".
func parseFrameHeader(b []byte) FrameHeader {
	_ = b[8]
	return FrameHeader{
		Length:   uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
		Type:     FrameType(b[3]),
		Flags:    FrameFlags(b[4]),
		StreamID: int32(binary.BigEndian.Uint32(b[5:9]) & 0x7fffffff),
	}
}

// checkFrameSize applies SETTINGS_MAX_FRAME_SIZE (maxFrameSize, the value we
// advertised) to a received header. RFC 9113, Section 4.2: a frame that
// exceeds it draws FRAME_SIZE_ERROR, and "a frame size error in a frame that
// could alter the state of the entire connection MUST be treated as a
// connection error; this includes any frame carrying a field block (that is,
// HEADERS, PUSH_PROMISE, and CONTINUATION), a SETTINGS frame, and any frame
// with a stream identifier of 0". Returns nil if the length is acceptable.
func checkFrameSize(hd FrameHeader, maxFrameSize uint32) error {
	if hd.Length <= maxFrameSize {
		return nil
	}
	switch hd.Type {
	case FrameHeaders, FramePushPromise, FrameContinuation, FrameSettings:
		return errFrameTooLarge
	}
	if hd.StreamID == 0 {
		return errFrameTooLarge
	}
	return errFrameTooLargeStream
}

// frameParser fills the per-type fields of f from payload (which is exactly
// f.Hd.Length bytes). It returns the field block fragment for HEADERS,
// PUSH_PROMISE and CONTINUATION, as a view into payload.
type frameParser func(f *Frame, payload []byte, settingsBuf []SettingsEntry) ([]byte, error)

var frameParsers = [...]frameParser{
	FrameData:           parseData,
	FrameHeaders:        parseHeaders,
	FramePriority:       parsePriority,
	FrameRSTStream:      parseRSTStream,
	FrameSettings:       parseSettings,
	FramePushPromise:    parsePushPromise,
	FramePing:           parsePing,
	FrameGoaway:         parseGoaway,
	FrameWindowUpdate:   parseWindowUpdate,
	FrameContinuation:   parseContinuation,
	FrameAltsvc:         parseAltsvc,
	FrameOrigin:         parseOrigin,
	FramePriorityUpdate: parsePriorityUpdate,
}

// parseFramePayload decodes the payload of the frame whose header is f.Hd.
// Per-type fields of f are overwritten; slices in f and the returned fragment
// are views into payload (or settingsBuf for SETTINGS) and live as long as
// those. A frame of unknown type gets its payload in f.Payload and a nil
// error; the caller ignores it or hands it to a user callback (RFC 9113,
// Section 4.1).
//
// Returns nil on success, or one of: a *codecError naming the violated rule,
// with Stream set for stream errors (RST_STREAM on f.Hd.StreamID) and clear
// for connection errors (GOAWAY); errIgnoreFrame — an extension frame the
// RFC says to drop without an answer.
func parseFramePayload(f *Frame, payload []byte, settingsBuf []SettingsEntry) (fragment []byte, err error) {
	f.reset(f.Hd)
	if uint32(len(payload)) != f.Hd.Length {
		return nil, errPayloadLength
	}
	t := f.Hd.Type
	if int(t) >= len(frameParsers) || frameParsers[t] == nil {
		f.Payload = payload
		return nil, nil
	}
	return frameParsers[t](f, payload, settingsBuf)
}

// stripPadding removes the Pad Length octet and the padding of a PADDED
// frame. RFC 9113, Section 6.1: "If the length of the padding is the length
// of the frame payload or greater, the recipient MUST treat this as a
// connection error of type PROTOCOL_ERROR." A padded frame too short to hold
// the Pad Length octet (or the fixed fields after it, fixed) is a
// FRAME_SIZE_ERROR, as nghttp2 answers it.
func stripPadding(f *Frame, p []byte, fixed int, short, tooBig *codecError) ([]byte, error) {
	if !f.Hd.Flags.Has(FlagPadded) {
		return p, nil
	}
	if len(p) < 1+fixed {
		return nil, short
	}
	pad := int(p[0])
	if pad > len(p)-1-fixed {
		return nil, tooBig
	}
	f.PadLen = pad + 1
	return p[1 : len(p)-pad], nil
}

// parseData: RFC 9113, Section 6.1.
func parseData(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	// "If a DATA frame is received whose Stream Identifier field is 0x00, the
	// recipient MUST respond with a connection error of type PROTOCOL_ERROR."
	if f.Hd.StreamID == 0 {
		return nil, errDataStreamID
	}
	data, err := stripPadding(f, p, 0, errDataPadShort, errDataPadTooBig)
	if err != nil {
		return nil, err
	}
	f.Payload = data
	return nil, nil
}

// parseHeaders: RFC 9113, Section 6.2.
func parseHeaders(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	// "If a HEADERS frame is received whose Stream Identifier field is 0x00,
	// the recipient MUST respond with a connection error of type PROTOCOL_ERROR."
	if f.Hd.StreamID == 0 {
		return nil, errHeadersStream
	}
	fixed := 0
	if f.Hd.Flags.Has(FlagPriority) {
		fixed = 5
	}
	block, err := stripPadding(f, p, fixed, errHeadersPadShrt, errHeadersPadBig)
	if err != nil {
		return nil, err
	}
	if fixed > 0 {
		if len(block) < 5 {
			return nil, errHeadersPrioLen
		}
		f.Priority = parsePrioritySpec(block)
		block = block[5:]
		// RFC 9113, Section 5.3.1: "A stream cannot depend on itself. An
		// endpoint MUST treat this as a stream error of type PROTOCOL_ERROR."
		if f.Priority.StreamID == f.Hd.StreamID {
			return block, errHeadersSelfDep
		}
	}
	return block, nil
}

func parsePrioritySpec(b []byte) PrioritySpec {
	v := binary.BigEndian.Uint32(b)
	return PrioritySpec{
		StreamID:  int32(v & 0x7fffffff),
		Exclusive: v&0x80000000 != 0,
		Weight:    b[4],
	}
}

// parsePriority: RFC 9113, Section 6.3.
func parsePriority(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	// "If a PRIORITY frame is received with a stream identifier of 0x00, the
	// recipient MUST respond with a connection error of type PROTOCOL_ERROR."
	if f.Hd.StreamID == 0 {
		return nil, errPriorityStream
	}
	// "A PRIORITY frame with a length other than 5 octets MUST be treated as
	// a stream error of type FRAME_SIZE_ERROR."
	if len(p) != 5 {
		return nil, errPriorityLength
	}
	f.Priority = parsePrioritySpec(p)
	if f.Priority.StreamID == f.Hd.StreamID {
		return nil, errPrioritySelfDep
	}
	return nil, nil
}

// parseRSTStream: RFC 9113, Section 6.4.
func parseRSTStream(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	// "A RST_STREAM frame with a length other than 4 octets MUST be treated
	// as a connection error of type FRAME_SIZE_ERROR."
	if len(p) != 4 {
		return nil, errRSTLength
	}
	// "If a RST_STREAM frame is received with a stream identifier of 0x00,
	// the recipient MUST treat this as a connection error of type PROTOCOL_ERROR."
	if f.Hd.StreamID == 0 {
		return nil, errRSTStream
	}
	f.ErrorCode = ErrorCode(binary.BigEndian.Uint32(p))
	return nil, nil
}

// parseSettings: RFC 9113, Section 6.5. Entries are parsed into settingsBuf
// (its capacity, not its length, is used) and f.Settings is a view of it.
// A frame may legally repeat a parameter ("the values are processed in the
// order in which they appear", Section 6.5.3); only the last value of a
// known parameter can have an effect, so a repeated known parameter updates
// its earlier entry in place rather than using more storage. Unknown
// parameters, which the receiver MUST ignore, are kept while room remains.
// A capacity of at least 8 therefore never loses a known parameter.
func parseSettings(f *Frame, p []byte, buf []SettingsEntry) ([]byte, error) {
	// "If an endpoint receives a SETTINGS frame whose Stream Identifier field
	// is anything other than 0x00, the endpoint MUST respond with a
	// connection error of type PROTOCOL_ERROR."
	if f.Hd.StreamID != 0 {
		return nil, errSettingsStream
	}
	if f.Hd.Flags.Has(FlagAck) {
		// "Receipt of a SETTINGS frame with the ACK flag set and a length
		// field value other than 0 MUST be treated as a connection error of
		// type FRAME_SIZE_ERROR."
		if len(p) != 0 {
			return nil, errSettingsAckLength
		}
		return nil, nil
	}
	// "A SETTINGS frame with a length other than a multiple of 6 octets MUST
	// be treated as a connection error of type FRAME_SIZE_ERROR."
	if len(p)%6 != 0 {
		return nil, errSettingsLength
	}
	buf = buf[:0]
	for ; len(p) > 0; p = p[6:] {
		e := SettingsEntry{ID: SettingsID(binary.BigEndian.Uint16(p)), Value: binary.BigEndian.Uint32(p[2:])}
		if err := checkSetting(e); err != nil {
			return nil, err
		}
		buf = addSetting(buf, e)
	}
	f.Settings = buf
	return nil, nil
}

func addSetting(buf []SettingsEntry, e SettingsEntry) []SettingsEntry {
	known := e.ID >= SettingsHeaderTableSize && e.ID <= SettingsNoRFC7540Priorities && e.ID != 7
	if known {
		for i := range buf {
			if buf[i].ID == e.ID {
				buf[i].Value = e.Value
				return buf
			}
		}
	}
	if len(buf) < cap(buf) {
		return append(buf, e)
	}
	if known {
		// Make room by dropping the last unknown entry; there is always one
		// when the capacity is at least the number of known parameters.
		for i := len(buf) - 1; i >= 0; i-- {
			id := buf[i].ID
			if id < SettingsHeaderTableSize || id > SettingsNoRFC7540Priorities || id == 7 {
				copy(buf[i:], buf[i+1:])
				buf[len(buf)-1] = e
				return buf
			}
		}
	}
	return buf
}

// checkSetting applies the value ranges of RFC 9113, Section 6.5.2, RFC 8441
// Section 3 and RFC 9218 Section 2.1. Whether SETTINGS_ENABLE_PUSH=1 is
// acceptable depends on who sent it (a client MUST treat 1 from a server as
// PROTOCOL_ERROR); that is the session's rule.
func checkSetting(e SettingsEntry) error {
	switch e.ID {
	case SettingsEnablePush:
		// "Any value other than 0 or 1 MUST be treated as a connection error
		// of type PROTOCOL_ERROR."
		if e.Value > 1 {
			return errSettingsEnablePush
		}
	case SettingsInitialWindowSize:
		// "Values above the maximum flow-control window size of 2^31-1 MUST
		// be treated as a connection error of type FLOW_CONTROL_ERROR."
		if e.Value > MaxWindowSize {
			return errSettingsWindowSize
		}
	case SettingsMaxFrameSize:
		// "Values outside this range MUST be treated as a connection error
		// of type PROTOCOL_ERROR."
		if e.Value < MinMaxFrameSize || e.Value > MaxMaxFrameSize {
			return errSettingsFrameSize
		}
	case SettingsEnableConnectProtocol:
		if e.Value > 1 {
			return errSettingsConnectProt
		}
	case SettingsNoRFC7540Priorities:
		if e.Value > 1 {
			return errSettingsNoRFC7540
		}
	}
	return nil
}

// parsePushPromise: RFC 9113, Section 6.6.
func parsePushPromise(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	// "If the Stream Identifier field specifies the value 0x00, a recipient
	// MUST respond with a connection error of type PROTOCOL_ERROR."
	if f.Hd.StreamID == 0 {
		return nil, errPushStream
	}
	block, err := stripPadding(f, p, 4, errPushPadShort, errPushPadTooBig)
	if err != nil {
		return nil, err
	}
	if len(block) < 4 {
		return nil, errPushShort
	}
	f.PromisedStreamID = int32(binary.BigEndian.Uint32(block) & 0x7fffffff)
	// Stream 0 cannot be promised (RFC 9113, Section 5.1.1: streams are
	// numbered from 1); whether the ID is the next valid even one is the
	// session's rule.
	if f.PromisedStreamID == 0 {
		return nil, errPushPromise0
	}
	return block[4:], nil
}

// parsePing: RFC 9113, Section 6.7.
func parsePing(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	// "Receipt of a PING frame with a length field value other than 8 MUST
	// be treated as a connection error of type FRAME_SIZE_ERROR."
	if len(p) != 8 {
		return nil, errPingLength
	}
	// "If a PING frame is received with a Stream Identifier field value
	// other than 0x00, the recipient MUST respond with a connection error of
	// type PROTOCOL_ERROR."
	if f.Hd.StreamID != 0 {
		return nil, errPingStream
	}
	copy(f.OpaqueData[:], p)
	return nil, nil
}

// parseGoaway: RFC 9113, Section 6.8.
func parseGoaway(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	// "An endpoint MUST treat a GOAWAY frame with a stream identifier other
	// than 0x00 as a connection error of type PROTOCOL_ERROR."
	if f.Hd.StreamID != 0 {
		return nil, errGoawayStream
	}
	// Last-Stream-ID and Error Code are mandatory: 8 octets at least.
	if len(p) < 8 {
		return nil, errGoawayShort
	}
	f.LastStreamID = int32(binary.BigEndian.Uint32(p) & 0x7fffffff)
	f.ErrorCode = ErrorCode(binary.BigEndian.Uint32(p[4:]))
	if len(p) > 8 {
		f.DebugData = p[8:]
	}
	return nil, nil
}

// parseWindowUpdate: RFC 9113, Section 6.9.
func parseWindowUpdate(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	// "A WINDOW_UPDATE frame with a length other than 4 octets MUST be
	// treated as a connection error of type FRAME_SIZE_ERROR."
	if len(p) != 4 {
		return nil, errWindowUpdateLength
	}
	f.WindowSizeIncrement = int32(binary.BigEndian.Uint32(p) & 0x7fffffff)
	// "A receiver MUST treat the receipt of a WINDOW_UPDATE frame with a
	// flow-control window increment of 0 as a stream error of type
	// PROTOCOL_ERROR; errors on the connection flow-control window MUST be
	// treated as a connection error."
	if f.WindowSizeIncrement == 0 {
		if f.Hd.StreamID == 0 {
			return nil, errWindowUpdateZeroConn
		}
		return nil, errWindowUpdateZeroStream
	}
	return nil, nil
}

// parseContinuation: RFC 9113, Section 6.10. Whether a CONTINUATION is
// expected at all is the session's rule (Section 6.10: a CONTINUATION not
// preceded by HEADERS, PUSH_PROMISE or CONTINUATION without END_HEADERS is
// a connection error of type PROTOCOL_ERROR).
func parseContinuation(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	// "If a CONTINUATION frame is received with a Stream Identifier field of
	// 0x00, the recipient MUST respond with a connection error of type
	// PROTOCOL_ERROR."
	if f.Hd.StreamID == 0 {
		return nil, errContinuationStream
	}
	return p, nil
}

// parseAltsvc: RFC 7838, Section 4. A payload too short for its Origin-Len
// is a FRAME_SIZE_ERROR, as nghttp2 answers it.
func parseAltsvc(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	if len(p) < 2 {
		return nil, errAltsvcShort
	}
	n := int(binary.BigEndian.Uint16(p))
	if n > len(p)-2 {
		return nil, errAltsvcOriginLen
	}
	f.Origin = p[2 : 2+n]
	f.FieldValue = p[2+n:]
	// "An ALTSVC frame on stream 0 with empty (length 0) "Origin" information
	// is invalid and MUST be ignored. An ALTSVC frame on a stream other than
	// stream 0 containing non-empty "Origin" information is invalid and MUST
	// be ignored."
	if (f.Hd.StreamID == 0) == (n == 0) {
		return nil, errIgnoreFrame
	}
	return nil, nil
}

// parseOrigin: RFC 8336, Section 2. "The ORIGIN frame MUST be sent on
// stream 0; an ORIGIN frame on any other stream is invalid and MUST be
// ignored." A payload whose Origin-Entry lengths do not add up is ignored as
// well, as nghttp2 does. Iterate the entries with nextOrigin.
func parseOrigin(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	if f.Hd.StreamID != 0 {
		return nil, errIgnoreFrame
	}
	for rest := p; len(rest) > 0; {
		var ok bool
		if _, rest, ok = nextOrigin(rest); !ok {
			return nil, errIgnoreFrame
		}
	}
	f.Origin = p
	return nil, nil
}

// nextOrigin splits the first Origin-Entry (16-bit length, ASCII origin) off
// an ORIGIN payload. ok is false when the entry is truncated.
func nextOrigin(p []byte) (origin, rest []byte, ok bool) {
	if len(p) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(p))
	if n > len(p)-2 {
		return nil, nil, false
	}
	return p[2 : 2+n], p[2+n:], true
}

// parsePriorityUpdate: RFC 9218, Section 7.1.
func parsePriorityUpdate(f *Frame, p []byte, _ []SettingsEntry) ([]byte, error) {
	// "The PRIORITY_UPDATE frame MUST be sent on stream 0 ... If a
	// PRIORITY_UPDATE frame is received with a Stream Identifier other than
	// 0x0, the recipient MUST respond with a connection error of type
	// PROTOCOL_ERROR."
	if f.Hd.StreamID != 0 {
		return nil, errPriorityUpdateStream
	}
	// The Prioritized Stream ID is mandatory.
	if len(p) < 4 {
		return nil, errPriorityUpdateShort
	}
	f.PrioritizedStreamID = int32(binary.BigEndian.Uint32(p) & 0x7fffffff)
	// "If a PRIORITY_UPDATE frame is received with a Prioritized Stream ID of
	// 0x0, the recipient MUST respond with a connection error of type
	// PROTOCOL_ERROR."
	if f.PrioritizedStreamID == 0 {
		return nil, errPriorityUpdateID0
	}
	f.FieldValue = p[4:]
	return nil, nil
}
