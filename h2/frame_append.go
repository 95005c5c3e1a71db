package h2

// Frame encoders. Each appends one complete frame (header and payload) to
// dst and returns the extended slice, like strconv.AppendInt: when dst has
// room, nothing is allocated. The caller is responsible for sizes: payloads
// must fit the peer's SETTINGS_MAX_FRAME_SIZE (the session splits DATA and
// field blocks), and stream IDs must fit 31 bits.

import "encoding/binary"

// zeroPad is the source of padding octets: "Padding octets MUST be set to
// zero when sending" (RFC 9113, Section 6.1). 255 is the most one frame can
// carry (the Pad Length field is one octet).
var zeroPad [255]byte

// MaxPadLen is the largest padLen the encoders accept: the Pad Length octet
// plus 255 octets of padding.
const MaxPadLen = 256

// appendFrameHeader appends the 9-octet frame header, reserved bit clear.
func appendFrameHeader(dst []byte, h FrameHeader) []byte {
	return append(dst,
		byte(h.Length>>16), byte(h.Length>>8), byte(h.Length),
		byte(h.Type), byte(h.Flags),
		byte(uint32(h.StreamID)>>24)&0x7f, byte(h.StreamID>>16), byte(h.StreamID>>8), byte(h.StreamID))
}

// appendRawFrame appends a frame of any type with payload as given; it is
// how extension frames registered by the user are sent.
func appendRawFrame(dst []byte, t FrameType, flags FrameFlags, streamID int32, payload []byte) []byte {
	dst = appendFrameHeader(dst, FrameHeader{Length: uint32(len(payload)), Type: t, Flags: flags, StreamID: streamID})
	return append(dst, payload...)
}

// padFlags normalizes the PADDED flag for a padLen (0: no padding; n>0: the
// Pad Length octet and n-1 octets of padding, capped at MaxPadLen).
func padFlags(flags FrameFlags, padLen int) (FrameFlags, int) {
	if padLen <= 0 {
		return flags &^ FlagPadded, 0
	}
	return flags | FlagPadded, min(padLen, MaxPadLen)
}

func appendPadding(dst []byte, padLen int) []byte {
	if padLen > 0 {
		dst = append(dst, zeroPad[:padLen-1]...)
	}
	return dst
}

// appendData appends a DATA frame (RFC 9113, Section 6.1). padLen counts the
// Pad Length octet and the padding, as Frame.PadLen; 0 sends no padding.
// Only FlagEndStream of flags is meaningful to the peer.
func appendData(dst []byte, streamID int32, flags FrameFlags, data []byte, padLen int) []byte {
	flags, padLen = padFlags(flags, padLen)
	dst = appendFrameHeader(dst, FrameHeader{Length: uint32(len(data) + padLen), Type: FrameData, Flags: flags, StreamID: streamID})
	if padLen > 0 {
		dst = append(dst, byte(padLen-1))
	}
	dst = append(dst, data...)
	return appendPadding(dst, padLen)
}

// appendHeadersFrame appends a HEADERS frame (RFC 9113, Section 6.2) carrying
// fragment. A non-nil pri adds the (deprecated) priority fields and sets
// FlagPriority; padLen works as for appendData.
func appendHeadersFrame(dst []byte, streamID int32, flags FrameFlags, pri *PrioritySpec, fragment []byte, padLen int) []byte {
	flags, padLen = padFlags(flags, padLen)
	n := len(fragment) + padLen
	if pri != nil {
		flags |= FlagPriority
		n += 5
	} else {
		flags &^= FlagPriority
	}
	dst = appendFrameHeader(dst, FrameHeader{Length: uint32(n), Type: FrameHeaders, Flags: flags, StreamID: streamID})
	if padLen > 0 {
		dst = append(dst, byte(padLen-1))
	}
	if pri != nil {
		dst = appendPrioritySpec(dst, *pri)
	}
	dst = append(dst, fragment...)
	return appendPadding(dst, padLen)
}

func appendPrioritySpec(dst []byte, p PrioritySpec) []byte {
	v := uint32(p.StreamID) & 0x7fffffff
	if p.Exclusive {
		v |= 0x80000000
	}
	return append(binary.BigEndian.AppendUint32(dst, v), p.Weight)
}

// appendContinuation appends a CONTINUATION frame (RFC 9113, Section 6.10).
func appendContinuation(dst []byte, streamID int32, endHeaders bool, fragment []byte) []byte {
	var flags FrameFlags
	if endHeaders {
		flags = FlagEndHeaders
	}
	return appendRawFrame(dst, FrameContinuation, flags, streamID, fragment)
}

// appendPriority appends a PRIORITY frame (RFC 9113, Section 6.3).
func appendPriority(dst []byte, streamID int32, pri PrioritySpec) []byte {
	dst = appendFrameHeader(dst, FrameHeader{Length: 5, Type: FramePriority, StreamID: streamID})
	return appendPrioritySpec(dst, pri)
}

// appendRSTStream appends a RST_STREAM frame (RFC 9113, Section 6.4).
func appendRSTStream(dst []byte, streamID int32, code ErrorCode) []byte {
	dst = appendFrameHeader(dst, FrameHeader{Length: 4, Type: FrameRSTStream, StreamID: streamID})
	return binary.BigEndian.AppendUint32(dst, uint32(code))
}

// appendSettings appends a SETTINGS frame (RFC 9113, Section 6.5); an ACK
// carries no entries, so iv is ignored when ack is set.
func appendSettings(dst []byte, ack bool, iv []SettingsEntry) []byte {
	if ack {
		return appendFrameHeader(dst, FrameHeader{Type: FrameSettings, Flags: FlagAck})
	}
	dst = appendFrameHeader(dst, FrameHeader{Length: uint32(6 * len(iv)), Type: FrameSettings})
	for _, e := range iv {
		dst = binary.BigEndian.AppendUint16(dst, uint16(e.ID))
		dst = binary.BigEndian.AppendUint32(dst, e.Value)
	}
	return dst
}

// appendPushPromise appends a PUSH_PROMISE frame (RFC 9113, Section 6.6).
func appendPushPromise(dst []byte, streamID int32, flags FrameFlags, promisedID int32, fragment []byte, padLen int) []byte {
	flags, padLen = padFlags(flags, padLen)
	dst = appendFrameHeader(dst, FrameHeader{Length: uint32(4 + len(fragment) + padLen), Type: FramePushPromise, Flags: flags, StreamID: streamID})
	if padLen > 0 {
		dst = append(dst, byte(padLen-1))
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(promisedID)&0x7fffffff)
	dst = append(dst, fragment...)
	return appendPadding(dst, padLen)
}

// appendPing appends a PING frame (RFC 9113, Section 6.7).
func appendPing(dst []byte, ack bool, data [8]byte) []byte {
	var flags FrameFlags
	if ack {
		flags = FlagAck
	}
	dst = appendFrameHeader(dst, FrameHeader{Length: 8, Type: FramePing, Flags: flags})
	return append(dst, data[:]...)
}

// appendGoaway appends a GOAWAY frame (RFC 9113, Section 6.8).
func appendGoaway(dst []byte, lastStreamID int32, code ErrorCode, debug []byte) []byte {
	dst = appendFrameHeader(dst, FrameHeader{Length: uint32(8 + len(debug)), Type: FrameGoaway})
	dst = binary.BigEndian.AppendUint32(dst, uint32(lastStreamID)&0x7fffffff)
	dst = binary.BigEndian.AppendUint32(dst, uint32(code))
	return append(dst, debug...)
}

// appendWindowUpdate appends a WINDOW_UPDATE frame (RFC 9113, Section 6.9).
func appendWindowUpdate(dst []byte, streamID int32, increment int32) []byte {
	dst = appendFrameHeader(dst, FrameHeader{Length: 4, Type: FrameWindowUpdate, StreamID: streamID})
	return binary.BigEndian.AppendUint32(dst, uint32(increment)&0x7fffffff)
}

// appendPriorityUpdate appends a PRIORITY_UPDATE frame (RFC 9218, Section
// 7.1) for the request stream prioritizedID; fieldValue is the Priority
// field value (for example "u=1, i").
func appendPriorityUpdate(dst []byte, prioritizedID int32, fieldValue []byte) []byte {
	dst = appendFrameHeader(dst, FrameHeader{Length: uint32(4 + len(fieldValue)), Type: FramePriorityUpdate})
	dst = binary.BigEndian.AppendUint32(dst, uint32(prioritizedID)&0x7fffffff)
	return append(dst, fieldValue...)
}

// appendAltsvc appends an ALTSVC frame (RFC 7838, Section 4). On stream 0
// origin must be non-empty; on another stream it must be empty.
func appendAltsvc(dst []byte, streamID int32, origin, fieldValue []byte) []byte {
	dst = appendFrameHeader(dst, FrameHeader{Length: uint32(2 + len(origin) + len(fieldValue)), Type: FrameAltsvc, StreamID: streamID})
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(origin)))
	dst = append(dst, origin...)
	return append(dst, fieldValue...)
}

// appendOrigin appends an ORIGIN frame (RFC 8336, Section 2) on stream 0
// with one Origin-Entry per element of origins.
func appendOrigin(dst []byte, origins [][]byte) []byte {
	n := 0
	for _, o := range origins {
		n += 2 + len(o)
	}
	dst = appendFrameHeader(dst, FrameHeader{Length: uint32(n), Type: FrameOrigin})
	for _, o := range origins {
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(o)))
		dst = append(dst, o...)
	}
	return dst
}
