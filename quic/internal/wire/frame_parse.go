package wire

// DefaultMaxAckRanges bounds the ACK ranges ParseFrame stores when the
// caller's Frame.AckRanges has no capacity of its own.
const DefaultMaxAckRanges = 64

// MaxStreams is the largest stream count a MAX_STREAMS or STREAMS_BLOCKED
// frame or an initial_max_streams parameter may carry (RFC 9000,
// Section 4.6: "a value greater than 2^60 ... would allow a maximum
// stream ID that cannot be expressed as a variable-length integer").
const MaxStreams = 1 << 60

// MaxStreamOffset is the largest final offset of a stream or CRYPTO data
// (RFC 9000, Section 19.8: "The largest offset delivered on a stream --
// the sum of the offset and data length -- cannot exceed 2^62-1").
const MaxStreamOffset = 1<<62 - 1

// frameReader walks a frame body. Any read past the end sets bad and
// returns zero values, so a parser checks once at the end.
type frameReader struct {
	b   []byte
	off int
	bad bool
}

func (r *frameReader) varint() uint64 {
	v, n := ConsumeVarint(r.b[r.off:])
	if n < 0 {
		r.bad = true
		return 0
	}
	r.off += n
	return v
}

func (r *frameReader) bytes(n uint64) []byte {
	if r.bad || uint64(len(r.b)-r.off) < n {
		r.bad = true
		return nil
	}
	s := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *frameReader) rest() []byte {
	s := r.b[r.off:len(r.b):len(r.b)]
	r.off = len(r.b)
	return s
}

// frameError builds the connection error for a malformed frame. reason is
// the stable name of the rule that fired.
func frameError(code TransportErrorCode, t FrameType, reason string) error {
	return &TransportError{Code: code, FrameType: uint64(t), Reason: reason}
}

// ParseFrame decodes the frame at the start of b (a decrypted packet
// payload) into f and returns the bytes consumed. Byte slices in f alias
// b. ACK ranges are appended to f.AckRanges[:0] up to its capacity (or
// DefaultMaxAckRanges if it has none), so a caller that reuses f with a
// preallocated AckRanges parses without allocating; ranges past the bound
// are validated but not stored, and counted in f.AckRangesDropped.
//
// Returns nil on success, or a *TransportError with one of:
// FrameEncodingError — an unknown frame type (RFC 9000, Section 12.4), a
// truncated frame, or a field outside its range (negative ACK packet
// numbers, a connection ID of length 0 or over 20, offsets past 2^62-1,
// stream counts over 2^60, an empty NEW_TOKEN, Retire Prior To above the
// Sequence Number);
// ProtocolViolation — a frame type not in its shortest encoding
// (RFC 9000, Section 12.4).
func ParseFrame(b []byte, f *Frame) (n int, err error) {
	*f = Frame{AckRanges: f.AckRanges[:0]}
	v, tn := ConsumeVarint(b)
	if tn < 0 {
		return 0, frameError(FrameEncodingError, 0, "frame_type_truncated")
	}
	t := FrameType(v)
	if tn != VarintLen(v) {
		// RFC 9000, Section 12.4-8: "an endpoint MAY treat the receipt of
		// a frame type that uses a longer encoding than necessary as a
		// connection error of type PROTOCOL_VIOLATION".
		return 0, frameError(ProtocolViolation, t, "frame_type_not_minimal")
	}
	f.RawType = t
	f.Type = t
	r := frameReader{b: b, off: tn}
	// A switch rather than a table of funcs: an indirect call would make
	// r (and the caller's f) escape to the heap, one allocation per frame.
	switch t {
	case FramePadding:
		err = parsePadding(&r, t, f)
	case FramePing, FrameHandshakeDone:
	case FrameAck, FrameAckECN:
		err = parseAck(&r, t, f)
	case FrameResetStream:
		err = parseResetStream(&r, t, f)
	case FrameStopSending:
		err = parseStopSending(&r, t, f)
	case FrameCrypto:
		err = parseCrypto(&r, t, f)
	case FrameNewToken:
		err = parseNewToken(&r, t, f)
	case 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f:
		err = parseStream(&r, t, f)
	case FrameMaxData, FrameDataBlocked:
		err = parseMax(&r, t, f)
	case FrameMaxStreamData, FrameStreamDataBlocked:
		err = parseStreamMax(&r, t, f)
	case FrameMaxStreamsBidi, FrameMaxStreamsUni, FrameStreamsBlockedBidi, FrameStreamsBlockedUni:
		err = parseStreamsMax(&r, t, f)
	case FrameNewConnectionID:
		err = parseNewConnectionID(&r, t, f)
	case FrameRetireConnectionID:
		err = parseRetireConnectionID(&r, t, f)
	case FramePathChallenge, FramePathResponse:
		err = parsePathData(&r, t, f)
	case FrameConnectionClose, FrameConnectionCloseApp:
		err = parseConnectionClose(&r, t, f)
	case FrameDatagram, FrameDatagramLen:
		err = parseDatagram(&r, t, f)
	default:
		// RFC 9000, Section 12.4-7: "An endpoint MUST treat the receipt of
		// a frame of unknown type as a connection error of type
		// FRAME_ENCODING_ERROR."
		return 0, frameError(FrameEncodingError, t, "frame_type_unknown")
	}
	if err != nil {
		return 0, err
	}
	if r.bad {
		return 0, frameError(FrameEncodingError, t, "frame_truncated")
	}
	return r.off, nil
}

// parsePadding folds a run of PADDING bytes into one frame, so that a
// packet padded to 1200 bytes costs one call.
func parsePadding(r *frameReader, _ FrameType, f *Frame) error {
	for r.off < len(r.b) && r.b[r.off] == 0 {
		r.off++
	}
	f.PaddingLen = r.off
	return nil
}

// parseAck decodes ACK and ACK_ECN (RFC 9000, Section 19.3).
func parseAck(r *frameReader, t FrameType, f *Frame) error {
	f.Type = FrameAck
	largest := r.varint()
	f.AckDelay = r.varint()
	count := r.varint()
	first := r.varint()
	if r.bad {
		return nil
	}
	// RFC 9000, Section 19.3.1-5: "If any computed packet number is
	// negative, an endpoint MUST generate a connection error of type
	// FRAME_ENCODING_ERROR."
	if first > largest {
		return frameError(FrameEncodingError, t, "ack_first_range_underflow")
	}
	// Each further range takes at least two bytes; a count that cannot fit
	// the rest of the frame is malformed, and checking it here bounds the
	// loop below by the input size.
	if count > uint64(len(r.b)-r.off)/2 {
		return frameError(FrameEncodingError, t, "ack_range_count_too_large")
	}
	limit := cap(f.AckRanges)
	if limit == 0 {
		limit = DefaultMaxAckRanges
	}
	smallest := largest - first
	f.AckRanges = append(f.AckRanges, AckRange{Smallest: smallest, Largest: largest})
	for i := uint64(0); i < count; i++ {
		gap := r.varint()
		length := r.varint()
		if r.bad {
			return nil
		}
		// RFC 9000, Section 19.3.1: largest = previous smallest - gap - 2;
		// smallest = largest - ACK Range Length.
		if smallest < gap+2 {
			return frameError(FrameEncodingError, t, "ack_gap_underflow")
		}
		largest = smallest - gap - 2
		if length > largest {
			return frameError(FrameEncodingError, t, "ack_range_underflow")
		}
		smallest = largest - length
		if len(f.AckRanges) < limit {
			f.AckRanges = append(f.AckRanges, AckRange{Smallest: smallest, Largest: largest})
		} else {
			f.AckRangesDropped++
		}
	}
	if t == FrameAckECN {
		f.HasECN = true
		f.ECN.ECT0 = r.varint()
		f.ECN.ECT1 = r.varint()
		f.ECN.CE = r.varint()
	}
	return nil
}

// parseResetStream decodes RESET_STREAM (RFC 9000, Section 19.4).
func parseResetStream(r *frameReader, _ FrameType, f *Frame) error {
	f.StreamID = int64(r.varint())
	f.ErrorCode = r.varint()
	f.FinalSize = r.varint()
	return nil
}

// parseStopSending decodes STOP_SENDING (RFC 9000, Section 19.5).
func parseStopSending(r *frameReader, _ FrameType, f *Frame) error {
	f.StreamID = int64(r.varint())
	f.ErrorCode = r.varint()
	return nil
}

// parseCrypto decodes CRYPTO (RFC 9000, Section 19.6).
func parseCrypto(r *frameReader, t FrameType, f *Frame) error {
	f.Offset = r.varint()
	length := r.varint()
	f.Data = r.bytes(length)
	if !r.bad && f.Offset+length > MaxStreamOffset {
		return frameError(FrameEncodingError, t, "crypto_offset_too_large")
	}
	return nil
}

// parseNewToken decodes NEW_TOKEN (RFC 9000, Section 19.7).
func parseNewToken(r *frameReader, t FrameType, f *Frame) error {
	length := r.varint()
	f.Data = r.bytes(length)
	// RFC 9000, Section 19.7-4: "An endpoint MUST treat receipt of a
	// NEW_TOKEN frame with an empty Token field as a connection error of
	// type FRAME_ENCODING_ERROR."
	if !r.bad && length == 0 {
		return frameError(FrameEncodingError, t, "new_token_empty")
	}
	return nil
}

// parseStream decodes STREAM 0x08-0x0f (RFC 9000, Section 19.8).
func parseStream(r *frameReader, t FrameType, f *Frame) error {
	f.Type = FrameStream
	f.StreamID = int64(r.varint())
	if t&streamFlagOff != 0 {
		f.Offset = r.varint()
	}
	if t&streamFlagLen != 0 {
		f.Data = r.bytes(r.varint())
	} else {
		f.Data = r.rest()
	}
	f.Fin = t&streamFlagFin != 0
	if !r.bad && f.Offset+uint64(len(f.Data)) > MaxStreamOffset {
		return frameError(FrameEncodingError, t, "stream_offset_too_large")
	}
	return nil
}

// parseMax decodes MAX_DATA and DATA_BLOCKED (RFC 9000, Sections 19.9
// and 19.12).
func parseMax(r *frameReader, _ FrameType, f *Frame) error {
	f.Max = r.varint()
	return nil
}

// parseStreamMax decodes MAX_STREAM_DATA and STREAM_DATA_BLOCKED
// (RFC 9000, Sections 19.10 and 19.13).
func parseStreamMax(r *frameReader, _ FrameType, f *Frame) error {
	f.StreamID = int64(r.varint())
	f.Max = r.varint()
	return nil
}

// parseStreamsMax decodes MAX_STREAMS and STREAMS_BLOCKED (RFC 9000,
// Sections 19.11 and 19.14).
func parseStreamsMax(r *frameReader, t FrameType, f *Frame) error {
	f.Max = r.varint()
	f.Bidi = t == FrameMaxStreamsBidi || t == FrameStreamsBlockedBidi
	// RFC 9000, Section 19.11-5: a count over 2^60 in a frame is a
	// FRAME_ENCODING_ERROR; Section 19.14 allows the same for
	// STREAMS_BLOCKED.
	if f.Max > MaxStreams {
		return frameError(FrameEncodingError, t, "max_streams_too_large")
	}
	return nil
}

// parseNewConnectionID decodes NEW_CONNECTION_ID (RFC 9000, Section 19.15).
func parseNewConnectionID(r *frameReader, t FrameType, f *Frame) error {
	f.SeqNum = r.varint()
	f.RetirePriorTo = r.varint()
	l := r.bytes(1)
	if r.bad {
		return nil
	}
	// RFC 9000, Section 19.15-6.6: "Values less than 1 and greater than 20
	// are invalid and MUST be treated as a connection error of type
	// FRAME_ENCODING_ERROR."
	if l[0] < 1 || l[0] > MaxConnIDLen {
		return frameError(FrameEncodingError, t, "new_connection_id_bad_length")
	}
	f.ConnID = r.bytes(uint64(l[0]))
	copy(f.StatelessResetToken[:], r.bytes(16))
	// RFC 9000, Section 19.15-6.4: "Receipt of a value greater than the
	// Sequence Number MUST be treated as a connection error of type
	// FRAME_ENCODING_ERROR."
	if !r.bad && f.RetirePriorTo > f.SeqNum {
		return frameError(FrameEncodingError, t, "retire_prior_to_above_sequence")
	}
	return nil
}

// parseRetireConnectionID decodes RETIRE_CONNECTION_ID (RFC 9000,
// Section 19.16).
func parseRetireConnectionID(r *frameReader, _ FrameType, f *Frame) error {
	f.SeqNum = r.varint()
	return nil
}

// parsePathData decodes PATH_CHALLENGE and PATH_RESPONSE (RFC 9000,
// Sections 19.17 and 19.18).
func parsePathData(r *frameReader, _ FrameType, f *Frame) error {
	copy(f.PathData[:], r.bytes(8))
	return nil
}

// parseConnectionClose decodes CONNECTION_CLOSE 0x1c and 0x1d (RFC 9000,
// Section 19.19); only 0x1c carries a Frame Type field.
func parseConnectionClose(r *frameReader, t FrameType, f *Frame) error {
	f.ErrorCode = r.varint()
	if t == FrameConnectionClose {
		f.ErrorFrameType = r.varint()
	}
	f.Reason = r.bytes(r.varint())
	return nil
}

// parseDatagram decodes DATAGRAM 0x30 and 0x31 (RFC 9221, Section 4).
func parseDatagram(r *frameReader, t FrameType, f *Frame) error {
	f.Type = FrameDatagram
	if t == FrameDatagramLen {
		f.Data = r.bytes(r.varint())
	} else {
		f.Data = r.rest()
	}
	return nil
}
