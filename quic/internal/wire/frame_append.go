package wire

// Frame writers. Each appends one frame to b and returns the extended
// slice; none allocates when b has room. Values are the caller's own
// (never peer input), so out-of-range arguments (a varint above
// MaxVarint) are programming errors and panic in AppendVarint.

// AppendPadding appends n PADDING bytes (RFC 9000, Section 19.1).
func AppendPadding(b []byte, n int) []byte {
	for range n {
		b = append(b, 0)
	}
	return b
}

// AppendPing appends a PING frame (RFC 9000, Section 19.2).
func AppendPing(b []byte) []byte { return append(b, byte(FramePing)) }

// AppendAckFrame appends an ACK frame, or ACK_ECN when ecn is not nil
// (RFC 9000, Section 19.3). ranges are disjoint, largest first, and
// separated by at least one unacknowledged packet; ackDelay is already
// scaled down by the ack_delay_exponent. ranges must not be empty.
func AppendAckFrame(b []byte, ranges []AckRange, ackDelay uint64, ecn *ECNCounts) []byte {
	t := FrameAck
	if ecn != nil {
		t = FrameAckECN
	}
	b = append(b, byte(t))
	b = AppendVarint(b, ranges[0].Largest)
	b = AppendVarint(b, ackDelay)
	b = AppendVarint(b, uint64(len(ranges)-1))
	b = AppendVarint(b, ranges[0].Largest-ranges[0].Smallest)
	for i := 1; i < len(ranges); i++ {
		// Gap: unacknowledged packets between this range and the previous
		// (smaller) one, minus one (RFC 9000, Section 19.3.1).
		b = AppendVarint(b, ranges[i-1].Smallest-ranges[i].Largest-2)
		b = AppendVarint(b, ranges[i].Largest-ranges[i].Smallest)
	}
	if ecn != nil {
		b = AppendVarint(b, ecn.ECT0)
		b = AppendVarint(b, ecn.ECT1)
		b = AppendVarint(b, ecn.CE)
	}
	return b
}

// AckFrameLen returns the size AppendAckFrame would write.
func AckFrameLen(ranges []AckRange, ackDelay uint64, ecn *ECNCounts) int {
	n := 1 + VarintLen(ranges[0].Largest) + VarintLen(ackDelay) +
		VarintLen(uint64(len(ranges)-1)) + VarintLen(ranges[0].Largest-ranges[0].Smallest)
	for i := 1; i < len(ranges); i++ {
		n += VarintLen(ranges[i-1].Smallest-ranges[i].Largest-2) + VarintLen(ranges[i].Largest-ranges[i].Smallest)
	}
	if ecn != nil {
		n += VarintLen(ecn.ECT0) + VarintLen(ecn.ECT1) + VarintLen(ecn.CE)
	}
	return n
}

// AppendResetStream appends RESET_STREAM (RFC 9000, Section 19.4).
func AppendResetStream(b []byte, id int64, code, finalSize uint64) []byte {
	b = append(b, byte(FrameResetStream))
	b = AppendVarint(b, uint64(id))
	b = AppendVarint(b, code)
	return AppendVarint(b, finalSize)
}

// AppendStopSending appends STOP_SENDING (RFC 9000, Section 19.5).
func AppendStopSending(b []byte, id int64, code uint64) []byte {
	b = append(b, byte(FrameStopSending))
	b = AppendVarint(b, uint64(id))
	return AppendVarint(b, code)
}

// AppendCryptoFrame appends CRYPTO (RFC 9000, Section 19.6).
func AppendCryptoFrame(b []byte, off uint64, data []byte) []byte {
	return append(AppendCryptoFrameHeader(b, off, len(data)), data...)
}

// AppendCryptoFrameHeader appends a CRYPTO frame without its data; the
// caller appends dataLen bytes next.
func AppendCryptoFrameHeader(b []byte, off uint64, dataLen int) []byte {
	b = append(b, byte(FrameCrypto))
	b = AppendVarint(b, off)
	return AppendVarint(b, uint64(dataLen))
}

// CryptoFrameOverhead returns the bytes a CRYPTO frame adds to dataLen
// bytes of data at offset off.
func CryptoFrameOverhead(off uint64, dataLen int) int {
	return 1 + VarintLen(off) + VarintLen(uint64(dataLen))
}

// AppendNewToken appends NEW_TOKEN (RFC 9000, Section 19.7).
func AppendNewToken(b []byte, token []byte) []byte {
	b = append(b, byte(FrameNewToken))
	b = AppendVarint(b, uint64(len(token)))
	return append(b, token...)
}

// AppendStreamFrame appends a STREAM frame (RFC 9000, Section 19.8). The
// OFF bit is set when off is not 0; the LEN bit when withLen is set (a
// frame without it runs to the end of the packet, so it must be last).
func AppendStreamFrame(b []byte, id int64, off uint64, data []byte, fin, withLen bool) []byte {
	b = AppendStreamFrameHeader(b, id, off, len(data), fin, withLen)
	return append(b, data...)
}

// AppendStreamFrameHeader appends everything of a STREAM frame but its
// data: the type with its OFF, LEN and FIN bits, the stream ID, the
// offset when not 0 and, when withLen is set, dataLen as the Length. The
// caller appends dataLen bytes of data next, for example from two pieces
// of a ring buffer.
func AppendStreamFrameHeader(b []byte, id int64, off uint64, dataLen int, fin, withLen bool) []byte {
	t := byte(FrameStream)
	if off != 0 {
		t |= streamFlagOff
	}
	if withLen {
		t |= streamFlagLen
	}
	if fin {
		t |= streamFlagFin
	}
	b = append(b, t)
	b = AppendVarint(b, uint64(id))
	if off != 0 {
		b = AppendVarint(b, off)
	}
	if withLen {
		b = AppendVarint(b, uint64(dataLen))
	}
	return b
}

// StreamFrameOverhead returns the bytes AppendStreamFrame adds to dataLen
// bytes of data.
func StreamFrameOverhead(id int64, off uint64, dataLen int, withLen bool) int {
	n := 1 + VarintLen(uint64(id))
	if off != 0 {
		n += VarintLen(off)
	}
	if withLen {
		n += VarintLen(uint64(dataLen))
	}
	return n
}

// appendTypeVarint appends a one-byte frame type and one varint, the
// shape of MAX_DATA, MAX_STREAMS, DATA_BLOCKED and STREAMS_BLOCKED.
func appendTypeVarint(b []byte, t FrameType, v uint64) []byte {
	return AppendVarint(append(b, byte(t)), v)
}

// appendTypeStreamVarint appends a frame type, a stream ID and one varint,
// the shape of MAX_STREAM_DATA and STREAM_DATA_BLOCKED.
func appendTypeStreamVarint(b []byte, t FrameType, id int64, v uint64) []byte {
	return AppendVarint(AppendVarint(append(b, byte(t)), uint64(id)), v)
}

// pick returns bidi when isBidi, else uni: the frame types of MAX_STREAMS
// and STREAMS_BLOCKED come in pairs.
func pick(isBidi bool, bidi, uni FrameType) FrameType {
	if isBidi {
		return bidi
	}
	return uni
}

// AppendMaxData appends MAX_DATA (RFC 9000, Section 19.9).
func AppendMaxData(b []byte, max uint64) []byte { return appendTypeVarint(b, FrameMaxData, max) }

// AppendMaxStreamData appends MAX_STREAM_DATA (RFC 9000, Section 19.10).
func AppendMaxStreamData(b []byte, id int64, max uint64) []byte {
	return appendTypeStreamVarint(b, FrameMaxStreamData, id, max)
}

// AppendMaxStreams appends MAX_STREAMS (RFC 9000, Section 19.11), type
// 0x12 for bidirectional streams and 0x13 for unidirectional ones.
func AppendMaxStreams(b []byte, bidi bool, max uint64) []byte {
	return appendTypeVarint(b, pick(bidi, FrameMaxStreamsBidi, FrameMaxStreamsUni), max)
}

// AppendDataBlocked appends DATA_BLOCKED (RFC 9000, Section 19.12).
func AppendDataBlocked(b []byte, max uint64) []byte {
	return appendTypeVarint(b, FrameDataBlocked, max)
}

// AppendStreamDataBlocked appends STREAM_DATA_BLOCKED (RFC 9000,
// Section 19.13).
func AppendStreamDataBlocked(b []byte, id int64, max uint64) []byte {
	return appendTypeStreamVarint(b, FrameStreamDataBlocked, id, max)
}

// AppendStreamsBlocked appends STREAMS_BLOCKED (RFC 9000, Section 19.14).
func AppendStreamsBlocked(b []byte, bidi bool, max uint64) []byte {
	return appendTypeVarint(b, pick(bidi, FrameStreamsBlockedBidi, FrameStreamsBlockedUni), max)
}

// AppendNewConnectionID appends NEW_CONNECTION_ID (RFC 9000,
// Section 19.15). cid must be 1 to 20 bytes.
func AppendNewConnectionID(b []byte, seq, retirePriorTo uint64, cid []byte, token [16]byte) []byte {
	b = append(b, byte(FrameNewConnectionID))
	b = AppendVarint(b, seq)
	b = AppendVarint(b, retirePriorTo)
	b = append(b, byte(len(cid)))
	b = append(b, cid...)
	return append(b, token[:]...)
}

// AppendRetireConnectionID appends RETIRE_CONNECTION_ID (RFC 9000,
// Section 19.16).
func AppendRetireConnectionID(b []byte, seq uint64) []byte {
	return appendTypeVarint(b, FrameRetireConnectionID, seq)
}

// AppendPathChallenge appends PATH_CHALLENGE (RFC 9000, Section 19.17).
func AppendPathChallenge(b []byte, data [8]byte) []byte {
	return append(append(b, byte(FramePathChallenge)), data[:]...)
}

// AppendPathResponse appends PATH_RESPONSE (RFC 9000, Section 19.18).
func AppendPathResponse(b []byte, data [8]byte) []byte {
	return append(append(b, byte(FramePathResponse)), data[:]...)
}

// AppendConnectionClose appends CONNECTION_CLOSE (RFC 9000,
// Section 19.19): type 0x1d with an application error code when app is
// set, else type 0x1c with a transport error code and the frame type that
// caused it (0 when unknown).
func AppendConnectionClose(b []byte, app bool, code, frameType uint64, reason []byte) []byte {
	if app {
		b = append(b, byte(FrameConnectionCloseApp))
		b = AppendVarint(b, code)
	} else {
		b = append(b, byte(FrameConnectionClose))
		b = AppendVarint(b, code)
		b = AppendVarint(b, frameType)
	}
	b = AppendVarint(b, uint64(len(reason)))
	return append(b, reason...)
}

// ConnectionCloseLen returns the size AppendConnectionClose would write.
func ConnectionCloseLen(app bool, code, frameType uint64, reasonLen int) int {
	n := 1 + VarintLen(code) + VarintLen(uint64(reasonLen)) + reasonLen
	if !app {
		n += VarintLen(frameType)
	}
	return n
}

// AppendHandshakeDone appends HANDSHAKE_DONE (RFC 9000, Section 19.20).
func AppendHandshakeDone(b []byte) []byte { return append(b, byte(FrameHandshakeDone)) }

// AppendDatagram appends a DATAGRAM frame (RFC 9221, Section 4): type
// 0x31 with a Length field when withLen is set, else 0x30, which runs to
// the end of the packet.
func AppendDatagram(b []byte, data []byte, withLen bool) []byte {
	if withLen {
		b = append(b, byte(FrameDatagramLen))
		b = AppendVarint(b, uint64(len(data)))
	} else {
		b = append(b, byte(FrameDatagram))
	}
	return append(b, data...)
}

// AppendFrame re-encodes a parsed frame. It reproduces the input of
// ParseFrame byte for byte when that input used minimal varints, which the
// fuzz round trip relies on. STREAM and DATAGRAM frames keep the LEN and
// OFF choices recorded in RawType.
func AppendFrame(b []byte, f *Frame) []byte {
	switch f.Type {
	case FramePadding:
		return AppendPadding(b, f.PaddingLen)
	case FramePing:
		return AppendPing(b)
	case FrameAck:
		var ecn *ECNCounts
		if f.HasECN {
			ecn = &f.ECN
		}
		return AppendAckFrame(b, f.AckRanges, f.AckDelay, ecn)
	case FrameResetStream:
		return AppendResetStream(b, f.StreamID, f.ErrorCode, f.FinalSize)
	case FrameStopSending:
		return AppendStopSending(b, f.StreamID, f.ErrorCode)
	case FrameCrypto:
		return AppendCryptoFrame(b, f.Offset, f.Data)
	case FrameNewToken:
		return AppendNewToken(b, f.Data)
	case FrameStream:
		t := byte(f.RawType)
		if t&0xf8 != byte(FrameStream) {
			t = byte(FrameStream) | streamFlagLen
			if f.Offset != 0 {
				t |= streamFlagOff
			}
			if f.Fin {
				t |= streamFlagFin
			}
		}
		b = append(b, t)
		b = AppendVarint(b, uint64(f.StreamID))
		if t&streamFlagOff != 0 {
			b = AppendVarint(b, f.Offset)
		}
		if t&streamFlagLen != 0 {
			b = AppendVarint(b, uint64(len(f.Data)))
		}
		return append(b, f.Data...)
	case FrameMaxData:
		return AppendMaxData(b, f.Max)
	case FrameMaxStreamData:
		return AppendMaxStreamData(b, f.StreamID, f.Max)
	case FrameMaxStreamsBidi, FrameMaxStreamsUni:
		return AppendMaxStreams(b, f.Bidi, f.Max)
	case FrameDataBlocked:
		return AppendDataBlocked(b, f.Max)
	case FrameStreamDataBlocked:
		return AppendStreamDataBlocked(b, f.StreamID, f.Max)
	case FrameStreamsBlockedBidi, FrameStreamsBlockedUni:
		return AppendStreamsBlocked(b, f.Bidi, f.Max)
	case FrameNewConnectionID:
		return AppendNewConnectionID(b, f.SeqNum, f.RetirePriorTo, f.ConnID, f.StatelessResetToken)
	case FrameRetireConnectionID:
		return AppendRetireConnectionID(b, f.SeqNum)
	case FramePathChallenge:
		return AppendPathChallenge(b, f.PathData)
	case FramePathResponse:
		return AppendPathResponse(b, f.PathData)
	case FrameConnectionClose, FrameConnectionCloseApp:
		return AppendConnectionClose(b, f.Type == FrameConnectionCloseApp, f.ErrorCode, f.ErrorFrameType, f.Reason)
	case FrameHandshakeDone:
		return AppendHandshakeDone(b)
	case FrameDatagram:
		return AppendDatagram(b, f.Data, f.RawType != FrameDatagram)
	}
	return b
}
