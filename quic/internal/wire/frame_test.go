package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func unhex(s string) []byte {
	s = strings.ReplaceAll(s, " ", "")
	b := make([]byte, len(s)/2)
	for i := range b {
		b[i] = fromHexDigit(s[2*i])<<4 | fromHexDigit(s[2*i+1])
	}
	return b
}

func fromHexDigit(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	panic("bad hex digit " + string(c))
}

var token16 = [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}

// frameTests: each wire encoding, the frame it parses to, and (unless
// noAppend) the same bytes from the frame's own Append function.
var frameTests = []struct {
	name   string
	hex    string
	n      int // bytes consumed; 0 means all
	want   Frame
	append func(b []byte) []byte
}{
	{name: "PADDING run", hex: "000000 01", n: 3,
		want:   Frame{Type: FramePadding, RawType: FramePadding, PaddingLen: 3},
		append: func(b []byte) []byte { return AppendPadding(b, 3) }},
	{name: "PING", hex: "01",
		want:   Frame{Type: FramePing, RawType: FramePing},
		append: AppendPing},
	{name: "ACK with three ranges", hex: "02 4064 05 02 03 01 02 00 00",
		want: Frame{Type: FrameAck, RawType: FrameAck, AckDelay: 5,
			AckRanges: []AckRange{{97, 100}, {92, 94}, {90, 90}}},
		append: func(b []byte) []byte {
			return AppendAckFrame(b, []AckRange{{97, 100}, {92, 94}, {90, 90}}, 5, nil)
		}},
	{name: "ACK_ECN", hex: "03 0a 00 00 00 01 02 03",
		want: Frame{Type: FrameAck, RawType: FrameAckECN, AckRanges: []AckRange{{10, 10}},
			HasECN: true, ECN: ECNCounts{1, 2, 3}},
		append: func(b []byte) []byte {
			return AppendAckFrame(b, []AckRange{{10, 10}}, 0, &ECNCounts{1, 2, 3})
		}},
	{name: "ACK of packet 0", hex: "02 00 00 00 00",
		want:   Frame{Type: FrameAck, RawType: FrameAck, AckRanges: []AckRange{{0, 0}}},
		append: func(b []byte) []byte { return AppendAckFrame(b, []AckRange{{0, 0}}, 0, nil) }},
	{name: "RESET_STREAM", hex: "04 04 4100 08",
		want:   Frame{Type: FrameResetStream, RawType: FrameResetStream, StreamID: 4, ErrorCode: 0x100, FinalSize: 8},
		append: func(b []byte) []byte { return AppendResetStream(b, 4, 0x100, 8) }},
	{name: "STOP_SENDING", hex: "05 08 11",
		want:   Frame{Type: FrameStopSending, RawType: FrameStopSending, StreamID: 8, ErrorCode: 0x11},
		append: func(b []byte) []byte { return AppendStopSending(b, 8, 0x11) }},
	{name: "CRYPTO", hex: "06 00 03 616263",
		want:   Frame{Type: FrameCrypto, RawType: FrameCrypto, Data: []byte("abc")},
		append: func(b []byte) []byte { return AppendCryptoFrame(b, 0, []byte("abc")) }},
	{name: "CRYPTO with offset", hex: "06 4400 02 6869",
		want:   Frame{Type: FrameCrypto, RawType: FrameCrypto, Offset: 0x400, Data: []byte("hi")},
		append: func(b []byte) []byte { return AppendCryptoFrame(b, 0x400, []byte("hi")) }},
	{name: "NEW_TOKEN", hex: "07 02 abcd",
		want:   Frame{Type: FrameNewToken, RawType: FrameNewToken, Data: []byte{0xab, 0xcd}},
		append: func(b []byte) []byte { return AppendNewToken(b, []byte{0xab, 0xcd}) }},
	{name: "STREAM 0x08 to end of packet", hex: "08 04 68656c6c6f",
		want:   Frame{Type: FrameStream, RawType: 0x08, StreamID: 4, Data: []byte("hello")},
		append: func(b []byte) []byte { return AppendStreamFrame(b, 4, 0, []byte("hello"), false, false) }},
	{name: "STREAM 0x0f off len fin", hex: "0f 04 40c8 05 68656c6c6f",
		want:   Frame{Type: FrameStream, RawType: 0x0f, StreamID: 4, Offset: 200, Fin: true, Data: []byte("hello")},
		append: func(b []byte) []byte { return AppendStreamFrame(b, 4, 200, []byte("hello"), true, true) }},
	{name: "STREAM 0x0b empty fin", hex: "0b 00 00",
		want:   Frame{Type: FrameStream, RawType: 0x0b, Fin: true, Data: []byte{}},
		append: func(b []byte) []byte { return AppendStreamFrame(b, 0, 0, nil, true, true) }},
	{name: "STREAM 0x0c offset no len", hex: "0c 4040 7fff 61",
		want:   Frame{Type: FrameStream, RawType: 0x0c, StreamID: 0x40, Offset: 0x3fff, Data: []byte("a")},
		append: func(b []byte) []byte { return AppendStreamFrame(b, 0x40, 0x3fff, []byte("a"), false, false) }},
	{name: "MAX_DATA", hex: "10 80010000",
		want:   Frame{Type: FrameMaxData, RawType: FrameMaxData, Max: 0x10000},
		append: func(b []byte) []byte { return AppendMaxData(b, 0x10000) }},
	{name: "MAX_STREAM_DATA", hex: "11 02 4400",
		want:   Frame{Type: FrameMaxStreamData, RawType: FrameMaxStreamData, StreamID: 2, Max: 0x400},
		append: func(b []byte) []byte { return AppendMaxStreamData(b, 2, 0x400) }},
	{name: "MAX_STREAMS bidi", hex: "12 4064",
		want:   Frame{Type: FrameMaxStreamsBidi, RawType: FrameMaxStreamsBidi, Max: 100, Bidi: true},
		append: func(b []byte) []byte { return AppendMaxStreams(b, true, 100) }},
	{name: "MAX_STREAMS uni at 2^60", hex: "13 d000000000000000",
		want:   Frame{Type: FrameMaxStreamsUni, RawType: FrameMaxStreamsUni, Max: 1 << 60},
		append: func(b []byte) []byte { return AppendMaxStreams(b, false, 1<<60) }},
	{name: "DATA_BLOCKED", hex: "14 4064",
		want:   Frame{Type: FrameDataBlocked, RawType: FrameDataBlocked, Max: 100},
		append: func(b []byte) []byte { return AppendDataBlocked(b, 100) }},
	{name: "STREAM_DATA_BLOCKED", hex: "15 01 0a",
		want:   Frame{Type: FrameStreamDataBlocked, RawType: FrameStreamDataBlocked, StreamID: 1, Max: 10},
		append: func(b []byte) []byte { return AppendStreamDataBlocked(b, 1, 10) }},
	{name: "STREAMS_BLOCKED bidi", hex: "16 05",
		want:   Frame{Type: FrameStreamsBlockedBidi, RawType: FrameStreamsBlockedBidi, Max: 5, Bidi: true},
		append: func(b []byte) []byte { return AppendStreamsBlocked(b, true, 5) }},
	{name: "STREAMS_BLOCKED uni", hex: "17 06",
		want:   Frame{Type: FrameStreamsBlockedUni, RawType: FrameStreamsBlockedUni, Max: 6},
		append: func(b []byte) []byte { return AppendStreamsBlocked(b, false, 6) }},
	{name: "NEW_CONNECTION_ID", hex: "18 02 01 04 aabbccdd 00112233445566778899aabbccddeeff",
		want: Frame{Type: FrameNewConnectionID, RawType: FrameNewConnectionID, SeqNum: 2, RetirePriorTo: 1,
			ConnID: []byte{0xaa, 0xbb, 0xcc, 0xdd}, StatelessResetToken: token16},
		append: func(b []byte) []byte {
			return AppendNewConnectionID(b, 2, 1, []byte{0xaa, 0xbb, 0xcc, 0xdd}, token16)
		}},
	{name: "RETIRE_CONNECTION_ID", hex: "19 03",
		want:   Frame{Type: FrameRetireConnectionID, RawType: FrameRetireConnectionID, SeqNum: 3},
		append: func(b []byte) []byte { return AppendRetireConnectionID(b, 3) }},
	{name: "PATH_CHALLENGE", hex: "1a 0102030405060708",
		want:   Frame{Type: FramePathChallenge, RawType: FramePathChallenge, PathData: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}},
		append: func(b []byte) []byte { return AppendPathChallenge(b, [8]byte{1, 2, 3, 4, 5, 6, 7, 8}) }},
	{name: "PATH_RESPONSE", hex: "1b 0807060504030201",
		want:   Frame{Type: FramePathResponse, RawType: FramePathResponse, PathData: [8]byte{8, 7, 6, 5, 4, 3, 2, 1}},
		append: func(b []byte) []byte { return AppendPathResponse(b, [8]byte{8, 7, 6, 5, 4, 3, 2, 1}) }},
	{name: "CONNECTION_CLOSE transport", hex: "1c 07 06 03 626164",
		want: Frame{Type: FrameConnectionClose, RawType: FrameConnectionClose, ErrorCode: 7,
			ErrorFrameType: 6, Reason: []byte("bad")},
		append: func(b []byte) []byte { return AppendConnectionClose(b, false, 7, 6, []byte("bad")) }},
	{name: "CONNECTION_CLOSE application", hex: "1d 4100 02 6869",
		want: Frame{Type: FrameConnectionCloseApp, RawType: FrameConnectionCloseApp, ErrorCode: 0x100,
			Reason: []byte("hi")},
		append: func(b []byte) []byte { return AppendConnectionClose(b, true, 0x100, 0, []byte("hi")) }},
	{name: "HANDSHAKE_DONE", hex: "1e",
		want:   Frame{Type: FrameHandshakeDone, RawType: FrameHandshakeDone},
		append: AppendHandshakeDone},
	{name: "DATAGRAM to end of packet", hex: "30 6869",
		want:   Frame{Type: FrameDatagram, RawType: FrameDatagram, Data: []byte("hi")},
		append: func(b []byte) []byte { return AppendDatagram(b, []byte("hi"), false) }},
	{name: "DATAGRAM with length", hex: "31 02 6869",
		want:   Frame{Type: FrameDatagram, RawType: FrameDatagramLen, Data: []byte("hi")},
		append: func(b []byte) []byte { return AppendDatagram(b, []byte("hi"), true) }},
}

func TestParseFrame(t *testing.T) {
	for _, tt := range frameTests {
		in := unhex(tt.hex)
		var f Frame
		n, err := ParseFrame(in, &f)
		if err != nil {
			t.Errorf("%s: ParseFrame(%s) error %v", tt.name, tt.hex, err)
			continue
		}
		wantN := tt.n
		if wantN == 0 {
			wantN = len(in)
		}
		if n != wantN {
			t.Errorf("%s: consumed %d bytes, want %d", tt.name, n, wantN)
		}
		if !reflect.DeepEqual(f, tt.want) {
			t.Errorf("%s: parsed\n  %+v\nwant\n  %+v", tt.name, f, tt.want)
		}
	}
}

func TestAppendFrame(t *testing.T) {
	for _, tt := range frameTests {
		want := unhex(tt.hex)
		if tt.n != 0 {
			want = want[:tt.n]
		}
		if got := tt.append([]byte{0xee}); !bytes.Equal(got[1:], want) || got[0] != 0xee {
			t.Errorf("%s: Append wrote %x, want %x", tt.name, got, want)
		}
		f := tt.want
		if got := AppendFrame(nil, &f); !bytes.Equal(got, want) {
			t.Errorf("%s: AppendFrame wrote %x, want %x", tt.name, got, want)
		}
	}
}

func TestAppendFrameHeaders(t *testing.T) {
	data := []byte("hello")
	for _, off := range []uint64{0, 200} {
		for _, fin := range []bool{false, true} {
			for _, withLen := range []bool{false, true} {
				want := AppendStreamFrame(nil, 4, off, data, fin, withLen)
				got := append(AppendStreamFrameHeader(nil, 4, off, len(data), fin, withLen), "hel"...)
				got = append(got, "lo"...)
				if !bytes.Equal(got, want) {
					t.Errorf("off=%d fin=%v len=%v: header+data %x, frame %x", off, fin, withLen, got, want)
				}
			}
		}
		if got, want := append(AppendCryptoFrameHeader(nil, off, 5), data...), AppendCryptoFrame(nil, off, data); !bytes.Equal(got, want) {
			t.Errorf("CRYPTO off=%d: header+data %x, frame %x", off, got, want)
		}
	}
}

func TestFrameLenHelpers(t *testing.T) {
	ranges := []AckRange{{97, 100}, {92, 94}, {90, 90}}
	for _, ecn := range []*ECNCounts{nil, {1, 300, 1 << 40}} {
		if got, want := AckFrameLen(ranges, 1000, ecn), len(AppendAckFrame(nil, ranges, 1000, ecn)); got != want {
			t.Errorf("AckFrameLen = %d, frame is %d bytes", got, want)
		}
	}
	for _, app := range []bool{false, true} {
		if got, want := ConnectionCloseLen(app, 0x100, 6, 5), len(AppendConnectionClose(nil, app, 0x100, 6, []byte("abcde"))); got != want {
			t.Errorf("ConnectionCloseLen(app=%v) = %d, frame is %d bytes", app, got, want)
		}
	}
	data := make([]byte, 300)
	for _, off := range []uint64{0, 1, 1 << 20} {
		for _, withLen := range []bool{false, true} {
			got := StreamFrameOverhead(77, off, len(data), withLen)
			if want := len(AppendStreamFrame(nil, 77, off, data, false, withLen)) - len(data); got != want {
				t.Errorf("StreamFrameOverhead(off=%d, len=%v) = %d, want %d", off, withLen, got, want)
			}
		}
		if got, want := CryptoFrameOverhead(off, len(data)), len(AppendCryptoFrame(nil, off, data))-len(data); got != want {
			t.Errorf("CryptoFrameOverhead(off=%d) = %d, want %d", off, got, want)
		}
	}
}

func TestParseFrameErrors(t *testing.T) {
	tests := []struct {
		name   string
		hex    string
		code   TransportErrorCode
		reason string
	}{
		{"empty", "", FrameEncodingError, "frame_type_truncated"},
		{"unknown type", "20", FrameEncodingError, "frame_type_unknown"},
		{"unknown 2-byte type", "4100", FrameEncodingError, "frame_type_unknown"},
		{"non-minimal type", "4001", ProtocolViolation, "frame_type_not_minimal"},
		{"ACK truncated", "02 0a", FrameEncodingError, "frame_truncated"},
		{"ACK first range below 0", "02 01 00 00 02", FrameEncodingError, "ack_first_range_underflow"},
		{"ACK gap below 0", "02 05 00 01 00 05 00", FrameEncodingError, "ack_gap_underflow"},
		{"ACK range below 0", "02 0a 00 01 00 00 09", FrameEncodingError, "ack_range_underflow"},
		{"ACK range count larger than frame", "02 0a 00 3f 00", FrameEncodingError, "ack_range_count_too_large"},
		{"ACK range truncated", "02 0a 00 01 00 00 40", FrameEncodingError, "frame_truncated"},
		{"ACK_ECN without counts", "03 0a 00 00 00 01 02", FrameEncodingError, "frame_truncated"},
		{"RESET_STREAM truncated", "04 04 00", FrameEncodingError, "frame_truncated"},
		{"STOP_SENDING truncated", "05 04", FrameEncodingError, "frame_truncated"},
		{"CRYPTO data truncated", "06 00 05 6162", FrameEncodingError, "frame_truncated"},
		{"CRYPTO past 2^62-1", "06 ffffffffffffffff 01 61", FrameEncodingError, "crypto_offset_too_large"},
		{"NEW_TOKEN empty", "07 00", FrameEncodingError, "new_token_empty"},
		{"NEW_TOKEN truncated", "07 04 00", FrameEncodingError, "frame_truncated"},
		{"STREAM past 2^62-1", "0c 00 ffffffffffffffff 61", FrameEncodingError, "stream_offset_too_large"},
		{"STREAM length truncated", "0a 00 05 6162", FrameEncodingError, "frame_truncated"},
		{"STREAM id truncated", "08", FrameEncodingError, "frame_truncated"},
		{"MAX_DATA truncated", "10 80", FrameEncodingError, "frame_truncated"},
		{"MAX_STREAM_DATA truncated", "11 01", FrameEncodingError, "frame_truncated"},
		{"MAX_STREAMS over 2^60", "12 d000000000000001", FrameEncodingError, "max_streams_too_large"},
		{"STREAMS_BLOCKED over 2^60", "17 d000000000000001", FrameEncodingError, "max_streams_too_large"},
		{"NEW_CONNECTION_ID length 0", "18 01 00 00 00112233445566778899aabbccddeeff", FrameEncodingError, "new_connection_id_bad_length"},
		{"NEW_CONNECTION_ID length 21", "18 01 00 15", FrameEncodingError, "new_connection_id_bad_length"},
		{"NEW_CONNECTION_ID retire above seq", "18 01 02 01 aa 00112233445566778899aabbccddeeff", FrameEncodingError, "retire_prior_to_above_sequence"},
		{"NEW_CONNECTION_ID token truncated", "18 01 00 01 aa 0011", FrameEncodingError, "frame_truncated"},
		{"RETIRE_CONNECTION_ID truncated", "19", FrameEncodingError, "frame_truncated"},
		{"PATH_CHALLENGE truncated", "1a 0102", FrameEncodingError, "frame_truncated"},
		{"PATH_RESPONSE truncated", "1b", FrameEncodingError, "frame_truncated"},
		{"CONNECTION_CLOSE reason truncated", "1c 00 00 05 61", FrameEncodingError, "frame_truncated"},
		{"CONNECTION_CLOSE app truncated", "1d 00", FrameEncodingError, "frame_truncated"},
		{"DATAGRAM length truncated", "31 05 61", FrameEncodingError, "frame_truncated"},
	}
	for _, tt := range tests {
		var f Frame
		n, err := ParseFrame(unhex(tt.hex), &f)
		var te *TransportError
		if !errors.As(err, &te) {
			t.Errorf("%s: err = %v (n=%d), want a *TransportError", tt.name, err, n)
			continue
		}
		if te.Code != tt.code || te.Reason != tt.reason || !errors.Is(err, tt.code) {
			t.Errorf("%s: err = %v, want %v %s", tt.name, err, tt.code, tt.reason)
		}
	}
}

// ackWithRanges builds an ACK frame with count extra one-packet ranges.
func ackWithRanges(count int) []byte {
	ranges := make([]AckRange, count+1)
	pn := uint64(10 * (count + 2))
	for i := range ranges {
		ranges[i] = AckRange{Smallest: pn, Largest: pn}
		pn -= 3
	}
	return AppendAckFrame(nil, ranges, 0, nil)
}

func TestParseAckRangesBounded(t *testing.T) {
	in := ackWithRanges(100)
	f := Frame{AckRanges: make([]AckRange, 0, 8)}
	n, err := ParseFrame(in, &f)
	if err != nil || n != len(in) {
		t.Fatalf("ParseFrame = %d, %v", n, err)
	}
	if len(f.AckRanges) != 8 || f.AckRangesDropped != 93 {
		t.Errorf("stored %d ranges, dropped %d; want 8 stored and 93 dropped", len(f.AckRanges), f.AckRangesDropped)
	}
	if cap(f.AckRanges) != 8 {
		t.Errorf("AckRanges grew to cap %d, want the caller's 8", cap(f.AckRanges))
	}
	var g Frame
	if _, err := ParseFrame(in, &g); err != nil || len(g.AckRanges) != DefaultMaxAckRanges {
		t.Errorf("without capacity: %d ranges, %v; want %d", len(g.AckRanges), err, DefaultMaxAckRanges)
	}
}

func TestParseFrameAllocs(t *testing.T) {
	ack := ackWithRanges(20)
	stream := AppendStreamFrame(nil, 4, 1000, make([]byte, 1000), true, true)
	f := Frame{AckRanges: make([]AckRange, 0, 32)}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseFrame(ack, &f); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseFrame(stream, &f); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ParseFrame of ACK and STREAM allocates %.1f times per run, want 0", allocs)
	}
	buf := make([]byte, 0, 2048)
	ranges := []AckRange{{90, 100}, {50, 60}, {1, 2}}
	allocs = testing.AllocsPerRun(100, func() {
		b := AppendAckFrame(buf[:0], ranges, 10, nil)
		_ = AppendStreamFrame(b, 4, 1000, stream[:500], false, true)
	})
	if allocs != 0 {
		t.Errorf("Append of ACK and STREAM allocates %.1f times per run, want 0", allocs)
	}
}

func TestFrameAllowedIn(t *testing.T) {
	// RFC 9000, Table 3, as strings in the order Initial, 0-RTT, Handshake, 1-RTT.
	tests := []struct {
		t    FrameType
		want string
	}{
		{FramePadding, "I0H1"}, {FramePing, "I0H1"},
		{FrameAck, "I_H1"}, {FrameAckECN, "I_H1"},
		{FrameResetStream, "_0_1"}, {FrameStopSending, "_0_1"},
		{FrameCrypto, "I_H1"}, {FrameNewToken, "___1"},
		{0x08, "_0_1"}, {0x0f, "_0_1"},
		{FrameMaxData, "_0_1"}, {FrameMaxStreamData, "_0_1"},
		{FrameMaxStreamsBidi, "_0_1"}, {FrameMaxStreamsUni, "_0_1"},
		{FrameDataBlocked, "_0_1"}, {FrameStreamDataBlocked, "_0_1"},
		{FrameStreamsBlockedBidi, "_0_1"}, {FrameStreamsBlockedUni, "_0_1"},
		{FrameNewConnectionID, "_0_1"}, {FrameRetireConnectionID, "_0_1"},
		{FramePathChallenge, "_0_1"}, {FramePathResponse, "___1"},
		{FrameConnectionClose, "I0H1"}, {FrameConnectionCloseApp, "_0_1"},
		{FrameHandshakeDone, "___1"},
		{FrameDatagram, "_0_1"}, {FrameDatagramLen, "_0_1"},
		{0x1f, "____"}, {0x40, "____"},
	}
	pts := []PacketType{PacketInitial, Packet0RTT, PacketHandshake, Packet1RTT}
	for _, tt := range tests {
		var got []byte
		for i, pt := range pts {
			if tt.t.AllowedIn(pt) {
				got = append(got, "I0H1"[i])
			} else {
				got = append(got, '_')
			}
		}
		if string(got) != tt.want {
			t.Errorf("%v (%#x): allowed in %s, want %s", tt.t, uint64(tt.t), got, tt.want)
		}
		if tt.t.AllowedIn(PacketRetry) || tt.t.AllowedIn(PacketVersionNegotiation) {
			t.Errorf("%v allowed in a packet type without frames", tt.t)
		}
	}
}

func TestTransportErrorNames(t *testing.T) {
	tests := []struct {
		c    TransportErrorCode
		want string
	}{
		{NoError, "NO_ERROR"}, {FrameEncodingError, "FRAME_ENCODING_ERROR"},
		{NoViablePath, "NO_VIABLE_PATH"}, {VersionNegotiationError, "VERSION_NEGOTIATION_ERROR"},
		{CryptoError(0x2a), "CRYPTO_ERROR(0x12a)"}, {0x4242, "0x4242"},
	}
	for _, tt := range tests {
		if got := tt.c.Name(); got != tt.want {
			t.Errorf("Name(%#x) = %q, want %q", uint64(tt.c), got, tt.want)
		}
	}
	err := error(&TransportError{Code: FlowControlError, FrameType: 0x08, Reason: "stream_over_limit"})
	if !errors.Is(err, FlowControlError) || errors.Is(err, FrameEncodingError) {
		t.Errorf("errors.Is does not match by code: %v", err)
	}
	if got := err.Error(); got != "quic: FLOW_CONTROL_ERROR in frame 0x8: stream_over_limit" {
		t.Errorf("Error() = %q", got)
	}
}
