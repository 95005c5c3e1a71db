package h2

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// hdr builds a frame header byte by byte: 24-bit length, type, flags, and a
// 32-bit stream field (reserved bit included, so tests can set it).
func hdr(length int, t FrameType, flags FrameFlags, stream uint32) []byte {
	return []byte{byte(length >> 16), byte(length >> 8), byte(length), byte(t), byte(flags),
		byte(stream >> 24), byte(stream >> 16), byte(stream >> 8), byte(stream)}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// parseWhole parses one complete frame from b, as the session will.
func parseWhole(t *testing.T, b []byte) (*Frame, []byte, error) {
	t.Helper()
	if len(b) < FrameHeaderLen {
		t.Fatalf("test frame shorter than a header: %x", b)
	}
	f := &Frame{Hd: parseFrameHeader(b)}
	var buf [16]SettingsEntry
	frag, err := parseFramePayload(f, b[FrameHeaderLen:], buf[:0])
	return f, frag, err
}

func TestParseFrameHeader(t *testing.T) {
	got := parseFrameHeader([]byte{0x01, 0x02, 0x03, 0x08, 0xff, 0x80, 0x00, 0x00, 0x05})
	want := FrameHeader{Length: 0x010203, Type: FrameWindowUpdate, Flags: 0xff, StreamID: 5}
	if got != want {
		t.Fatalf("reserved bit must be dropped: got %+v, want %+v", got, want)
	}
	if b := appendFrameHeader(nil, FrameHeader{Length: 0x010203, Type: FrameWindowUpdate, Flags: 0xff, StreamID: -1}); b[5]&0x80 != 0 {
		t.Fatalf("reserved bit must be clear when sending: %x", b)
	}
}

// TestParseFrameValid checks the fields each parser fills in from a frame
// built byte by byte.
func TestParseFrameValid(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		want     Frame // Hd is taken from the input
		fragment []byte
	}{
		{"data", cat(hdr(3, FrameData, FlagEndStream, 1), []byte("abc")),
			Frame{Payload: []byte("abc")}, nil},
		{"data padded", cat(hdr(6, FrameData, FlagPadded, 3), []byte{2}, []byte("abc"), []byte{0, 0}),
			Frame{PadLen: 3, Payload: []byte("abc")}, nil},
		{"data padded all padding", cat(hdr(3, FrameData, FlagPadded, 3), []byte{2, 0, 0}),
			Frame{PadLen: 3, Payload: []byte{}}, nil},
		{"headers", cat(hdr(2, FrameHeaders, FlagEndHeaders, 1), []byte{0x82, 0x84}),
			Frame{}, []byte{0x82, 0x84}},
		{"headers padded priority", cat(hdr(1+5+2+1, FrameHeaders, FlagPadded|FlagPriority|FlagEndHeaders, 5),
			[]byte{1}, []byte{0x80, 0, 0, 3, 15}, []byte{0x82, 0x84}, []byte{0}),
			Frame{PadLen: 2, Priority: PrioritySpec{StreamID: 3, Weight: 15, Exclusive: true}}, []byte{0x82, 0x84}},
		{"priority", cat(hdr(5, FramePriority, 0, 5), []byte{0, 0, 0, 1, 200}),
			Frame{Priority: PrioritySpec{StreamID: 1, Weight: 200}}, nil},
		{"rst_stream", cat(hdr(4, FrameRSTStream, 0, 7), []byte{0, 0, 0, 8}),
			Frame{ErrorCode: Cancel}, nil},
		{"settings", cat(hdr(12, FrameSettings, 0, 0), []byte{0, 1, 0, 0, 0x10, 0}, []byte{0, 4, 0x7f, 0xff, 0xff, 0xff}),
			Frame{Settings: []SettingsEntry{{SettingsHeaderTableSize, 4096}, {SettingsInitialWindowSize, MaxWindowSize}}}, nil},
		{"settings unknown id kept", cat(hdr(6, FrameSettings, 0, 0), []byte{0xab, 0xcd, 0xff, 0xff, 0xff, 0xff}),
			Frame{Settings: []SettingsEntry{{0xabcd, 0xffffffff}}}, nil},
		{"settings repeated id updates in place", cat(hdr(18, FrameSettings, 0, 0),
			[]byte{0, 3, 0, 0, 0, 1}, []byte{0, 2, 0, 0, 0, 0}, []byte{0, 3, 0, 0, 0, 9}),
			Frame{Settings: []SettingsEntry{{SettingsMaxConcurrentStreams, 9}, {SettingsEnablePush, 0}}}, nil},
		{"settings max frame size bounds", cat(hdr(12, FrameSettings, 0, 0), []byte{0, 5, 0, 0, 0x40, 0}, []byte{0, 5, 0, 0xff, 0xff, 0xff}),
			Frame{Settings: []SettingsEntry{{SettingsMaxFrameSize, MaxMaxFrameSize}}}, nil},
		{"settings ack", hdr(0, FrameSettings, FlagAck, 0), Frame{}, nil},
		{"push_promise", cat(hdr(6, FramePushPromise, FlagEndHeaders, 1), []byte{0x80, 0, 0, 2}, []byte{0x82, 0x84}),
			Frame{PromisedStreamID: 2}, []byte{0x82, 0x84}},
		{"push_promise padded", cat(hdr(8, FramePushPromise, FlagPadded, 1), []byte{1}, []byte{0, 0, 0, 4}, []byte{0x82, 0x84}, []byte{0}),
			Frame{PadLen: 2, PromisedStreamID: 4}, []byte{0x82, 0x84}},
		{"ping", cat(hdr(8, FramePing, FlagAck, 0), []byte("12345678")),
			Frame{OpaqueData: [8]byte{'1', '2', '3', '4', '5', '6', '7', '8'}}, nil},
		{"goaway", cat(hdr(11, FrameGoaway, 0, 0), []byte{0x80, 0, 0, 9}, []byte{0, 0, 0, 0xb}, []byte("bye")),
			Frame{LastStreamID: 9, ErrorCode: EnhanceYourCalm, DebugData: []byte("bye")}, nil},
		{"goaway no debug", cat(hdr(8, FrameGoaway, 0, 0), []byte{0, 0, 0, 0}, []byte{0, 0, 0, 0}),
			Frame{}, nil},
		{"window_update conn", cat(hdr(4, FrameWindowUpdate, 0, 0), []byte{0xff, 0xff, 0xff, 0xff}),
			Frame{WindowSizeIncrement: MaxWindowSize}, nil},
		{"window_update stream", cat(hdr(4, FrameWindowUpdate, 0, 3), []byte{0, 0, 0, 1}),
			Frame{WindowSizeIncrement: 1}, nil},
		{"continuation", cat(hdr(2, FrameContinuation, FlagEndHeaders, 1), []byte{0x82, 0x84}),
			Frame{}, []byte{0x82, 0x84}},
		{"altsvc stream 0", cat(hdr(2+11+7, FrameAltsvc, 0, 0), []byte{0, 11}, []byte("example.com"), []byte(`h3=":1"`)),
			Frame{Origin: []byte("example.com"), FieldValue: []byte(`h3=":1"`)}, nil},
		{"altsvc on stream", cat(hdr(2+7, FrameAltsvc, 0, 1), []byte{0, 0}, []byte(`h3=":1"`)),
			Frame{Origin: []byte{}, FieldValue: []byte(`h3=":1"`)}, nil},
		{"origin", cat(hdr(2+5+2+3, FrameOrigin, 0, 0), []byte{0, 5}, []byte("https"), []byte{0, 3}, []byte("x:1")),
			Frame{Origin: cat([]byte{0, 5}, []byte("https"), []byte{0, 3}, []byte("x:1"))}, nil},
		{"priority_update", cat(hdr(4+4, FramePriorityUpdate, 0, 0), []byte{0, 0, 0, 5}, []byte("u=1,i")[:4]),
			Frame{PrioritizedStreamID: 5, FieldValue: []byte("u=1,")}, nil},
		{"unknown type", cat(hdr(3, 0xfe, 0xff, 0x80000001), []byte("xyz")),
			Frame{Payload: []byte("xyz")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, frag, err := parseWhole(t, tt.in)
			if err != nil {
				t.Fatalf("a valid %s frame must parse; got %v", tt.name, err)
			}
			tt.want.Hd = f.Hd
			if !reflect.DeepEqual(*f, tt.want) {
				t.Errorf("parsed fields differ\n got %+v\nwant %+v", *f, tt.want)
			}
			if !bytes.Equal(frag, tt.fragment) {
				t.Errorf("fragment: got %x, want %x", frag, tt.fragment)
			}
		})
	}
}

// TestParseFrameErrors checks that each RFC 9113 Section 6 rule fires with
// its code, scope and name.
func TestParseFrameErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		want   *codecError
		stream bool // expected scope
	}{
		{"data on stream 0", cat(hdr(1, FrameData, 0, 0), []byte{1}), errDataStreamID, false},
		{"data padded empty", hdr(0, FrameData, FlagPadded, 1), errDataPadShort, false},
		{"data pad equals length", cat(hdr(3, FrameData, FlagPadded, 1), []byte{3, 0, 0}), errDataPadTooBig, false},
		{"data pad exceeds length", cat(hdr(1, FrameData, FlagPadded, 1), []byte{200}), errDataPadTooBig, false},
		{"headers on stream 0", cat(hdr(1, FrameHeaders, FlagEndHeaders, 0), []byte{0x82}), errHeadersStream, false},
		{"headers pad too big", cat(hdr(2, FrameHeaders, FlagPadded, 1), []byte{2, 0}), errHeadersPadBig, false},
		{"headers pad eats priority", cat(hdr(7, FrameHeaders, FlagPadded|FlagPriority, 1), []byte{2, 0, 0, 0, 0, 0, 0}), errHeadersPadBig, false},
		{"headers padded priority short", cat(hdr(5, FrameHeaders, FlagPadded|FlagPriority, 1), []byte{0, 0, 0, 0, 0}), errHeadersPadShrt, false},
		{"headers priority short", cat(hdr(4, FrameHeaders, FlagPriority, 1), []byte{0, 0, 0, 0}), errHeadersPrioLen, false},
		{"headers depends on itself", cat(hdr(5, FrameHeaders, FlagPriority|FlagEndHeaders, 3), []byte{0, 0, 0, 3, 0}), errHeadersSelfDep, true},
		{"priority on stream 0", cat(hdr(5, FramePriority, 0, 0), []byte{0, 0, 0, 1, 0}), errPriorityStream, false},
		{"priority length 4", cat(hdr(4, FramePriority, 0, 1), []byte{0, 0, 0, 3}), errPriorityLength, true},
		{"priority length 6", cat(hdr(6, FramePriority, 0, 1), []byte{0, 0, 0, 3, 0, 0}), errPriorityLength, true},
		{"priority depends on itself", cat(hdr(5, FramePriority, 0, 1), []byte{0x80, 0, 0, 1, 0}), errPrioritySelfDep, true},
		{"rst_stream on stream 0", cat(hdr(4, FrameRSTStream, 0, 0), []byte{0, 0, 0, 0}), errRSTStream, false},
		{"rst_stream length 3", cat(hdr(3, FrameRSTStream, 0, 1), []byte{0, 0, 0}), errRSTLength, false},
		{"settings on stream", cat(hdr(6, FrameSettings, 0, 1), []byte{0, 1, 0, 0, 0, 0}), errSettingsStream, false},
		{"settings ack with payload", cat(hdr(6, FrameSettings, FlagAck, 0), []byte{0, 1, 0, 0, 0, 0}), errSettingsAckLength, false},
		{"settings length 5", cat(hdr(5, FrameSettings, 0, 0), []byte{0, 1, 0, 0, 0}), errSettingsLength, false},
		{"settings enable_push 2", cat(hdr(6, FrameSettings, 0, 0), []byte{0, 2, 0, 0, 0, 2}), errSettingsEnablePush, false},
		{"settings initial window 2^31", cat(hdr(6, FrameSettings, 0, 0), []byte{0, 4, 0x80, 0, 0, 0}), errSettingsWindowSize, false},
		{"settings max frame size 2^14-1", cat(hdr(6, FrameSettings, 0, 0), []byte{0, 5, 0, 0, 0x3f, 0xff}), errSettingsFrameSize, false},
		{"settings max frame size 2^24", cat(hdr(6, FrameSettings, 0, 0), []byte{0, 5, 0x01, 0, 0, 0}), errSettingsFrameSize, false},
		{"settings enable_connect_protocol 2", cat(hdr(6, FrameSettings, 0, 0), []byte{0, 8, 0, 0, 0, 2}), errSettingsConnectProt, false},
		{"settings no_rfc7540_priorities 2", cat(hdr(6, FrameSettings, 0, 0), []byte{0, 9, 0, 0, 0, 2}), errSettingsNoRFC7540, false},
		{"push_promise on stream 0", cat(hdr(4, FramePushPromise, 0, 0), []byte{0, 0, 0, 2}), errPushStream, false},
		{"push_promise short", cat(hdr(3, FramePushPromise, 0, 1), []byte{0, 0, 2}), errPushShort, false},
		{"push_promise padded short", cat(hdr(4, FramePushPromise, FlagPadded, 1), []byte{0, 0, 0, 2}), errPushPadShort, false},
		{"push_promise pad too big", cat(hdr(6, FramePushPromise, FlagPadded, 1), []byte{2, 0, 0, 0, 2, 0}), errPushPadTooBig, false},
		{"push_promise promised 0", cat(hdr(4, FramePushPromise, 0, 1), []byte{0x80, 0, 0, 0}), errPushPromise0, false},
		{"ping on stream", cat(hdr(8, FramePing, 0, 1), make([]byte, 8)), errPingStream, false},
		{"ping length 7", cat(hdr(7, FramePing, 0, 0), make([]byte, 7)), errPingLength, false},
		{"ping length 9", cat(hdr(9, FramePing, FlagAck, 0), make([]byte, 9)), errPingLength, false},
		{"goaway on stream", cat(hdr(8, FrameGoaway, 0, 1), make([]byte, 8)), errGoawayStream, false},
		{"goaway short", cat(hdr(7, FrameGoaway, 0, 0), make([]byte, 7)), errGoawayShort, false},
		{"window_update length 5", cat(hdr(5, FrameWindowUpdate, 0, 0), []byte{0, 0, 0, 1, 0}), errWindowUpdateLength, false},
		{"window_update zero on connection", cat(hdr(4, FrameWindowUpdate, 0, 0), []byte{0x80, 0, 0, 0}), errWindowUpdateZeroConn, false},
		{"window_update zero on stream", cat(hdr(4, FrameWindowUpdate, 0, 1), []byte{0, 0, 0, 0}), errWindowUpdateZeroStream, true},
		{"continuation on stream 0", cat(hdr(1, FrameContinuation, FlagEndHeaders, 0), []byte{0x82}), errContinuationStream, false},
		{"altsvc short", cat(hdr(1, FrameAltsvc, 0, 0), []byte{0}), errAltsvcShort, false},
		{"altsvc origin overruns", cat(hdr(4, FrameAltsvc, 0, 0), []byte{0, 3, 'a', 'b'}), errAltsvcOriginLen, false},
		{"priority_update on stream", cat(hdr(4, FramePriorityUpdate, 0, 1), []byte{0, 0, 0, 1}), errPriorityUpdateStream, false},
		{"priority_update short", cat(hdr(3, FramePriorityUpdate, 0, 0), []byte{0, 0, 1}), errPriorityUpdateShort, false},
		{"priority_update prioritized 0", cat(hdr(4, FramePriorityUpdate, 0, 0), []byte{0, 0, 0, 0}), errPriorityUpdateID0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseWhole(t, tt.in)
			var ce *codecError
			if !errors.As(err, &ce) {
				t.Fatalf("want %s, got %v", tt.want.Name, err)
			}
			if ce != tt.want {
				t.Fatalf("want rule %q, got %q", tt.want.Name, ce.Name)
			}
			if ce.Stream != tt.stream {
				t.Fatalf("%s: stream scope = %v, want %v", ce.Name, ce.Stream, tt.stream)
			}
		})
	}
}

func TestParseFrameIgnored(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []byte
	}{
		{"altsvc on stream 0 without origin", cat(hdr(2, FrameAltsvc, 0, 0), []byte{0, 0})},
		{"altsvc on stream with origin", cat(hdr(3, FrameAltsvc, 0, 1), []byte{0, 1, 'a'})},
		{"origin on stream", cat(hdr(3, FrameOrigin, 0, 1), []byte{0, 1, 'a'})},
		{"origin truncated entry", cat(hdr(3, FrameOrigin, 0, 0), []byte{0, 2, 'a'})},
		{"origin lone length octet", cat(hdr(4, FrameOrigin, 0, 0), []byte{0, 1, 'a', 0})},
	} {
		if _, _, err := parseWhole(t, tt.in); err != errIgnoreFrame {
			t.Errorf("%s: RFC says ignore; got %v", tt.name, err)
		}
	}
}

func TestParseFramePayloadLengthMismatch(t *testing.T) {
	f := &Frame{Hd: FrameHeader{Length: 4, Type: FramePing}}
	if _, err := parseFramePayload(f, make([]byte, 3), nil); err != errPayloadLength {
		t.Fatalf("a payload not matching the header length is a caller bug and must be reported; got %v", err)
	}
}

func TestParseFrameResetsPreviousFields(t *testing.T) {
	f := &Frame{Hd: FrameHeader{Length: 8, Type: FramePing}, LastStreamID: 7, DebugData: []byte("x"), PadLen: 3}
	if _, err := parseFramePayload(f, make([]byte, 8), nil); err != nil {
		t.Fatal(err)
	}
	if f.LastStreamID != 0 || f.DebugData != nil || f.PadLen != 0 {
		t.Fatalf("a reused Frame must not carry fields from the previous frame: %+v", f)
	}
}

func TestParseSettingsBufferFull(t *testing.T) {
	// 10 unknown parameters, then every known one twice: with room for 8
	// entries, all known parameters survive with their last values.
	var p []byte
	for i := range 10 {
		p = append(p, 0x10, byte(i), 0, 0, 0, 1)
	}
	known := []SettingsID{1, 2, 3, 4, 5, 6, 8, 9}
	for round := range 2 {
		for _, id := range known {
			v := uint32(MinMaxFrameSize + round)
			if id == SettingsEnablePush || id == SettingsEnableConnectProtocol || id == SettingsNoRFC7540Priorities {
				v = uint32(round)
			}
			p = append(p, 0, byte(id), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
		}
	}
	f := &Frame{Hd: FrameHeader{Length: uint32(len(p)), Type: FrameSettings}}
	var buf [8]SettingsEntry
	if _, err := parseFramePayload(f, p, buf[:0]); err != nil {
		t.Fatal(err)
	}
	if len(f.Settings) != 8 {
		t.Fatalf("want the 8 known parameters, got %v", f.Settings)
	}
	for _, e := range f.Settings {
		want := uint32(MinMaxFrameSize + 1)
		if e.ID == SettingsEnablePush || e.ID == SettingsEnableConnectProtocol || e.ID == SettingsNoRFC7540Priorities {
			want = 1
		}
		if e.Value != want {
			t.Errorf("setting %d: last value must win, got %d want %d", e.ID, e.Value, want)
		}
	}
}

func TestCheckFrameSize(t *testing.T) {
	for _, tt := range []struct {
		hd   FrameHeader
		want error
	}{
		{FrameHeader{Length: MinMaxFrameSize, Type: FrameData, StreamID: 1}, nil},
		{FrameHeader{Length: MinMaxFrameSize + 1, Type: FrameData, StreamID: 1}, errFrameTooLargeStream},
		{FrameHeader{Length: MinMaxFrameSize + 1, Type: FrameHeaders, StreamID: 1}, errFrameTooLarge},
		{FrameHeader{Length: MinMaxFrameSize + 1, Type: FrameContinuation, StreamID: 1}, errFrameTooLarge},
		{FrameHeader{Length: MinMaxFrameSize + 1, Type: FramePushPromise, StreamID: 1}, errFrameTooLarge},
		{FrameHeader{Length: MinMaxFrameSize + 1, Type: FrameSettings}, errFrameTooLarge},
		{FrameHeader{Length: MinMaxFrameSize + 1, Type: FrameWindowUpdate}, errFrameTooLarge},
		{FrameHeader{Length: MinMaxFrameSize + 1, Type: 0xee}, errFrameTooLarge},
	} {
		if got := checkFrameSize(tt.hd, MinMaxFrameSize); got != tt.want {
			t.Errorf("%v on stream %d, length %d: got %v, want %v", tt.hd.Type, tt.hd.StreamID, tt.hd.Length, got, tt.want)
		}
	}
}

// TestAppendParseRoundTrip encodes every frame type and parses it back.
func TestAppendParseRoundTrip(t *testing.T) {
	pri := &PrioritySpec{StreamID: 1, Weight: 7, Exclusive: true}
	tests := []struct {
		name     string
		b        []byte
		want     Frame
		fragment []byte
	}{
		{"data", appendData(nil, 1, FlagEndStream, []byte("hello"), 0),
			Frame{Hd: FrameHeader{5, FrameData, FlagEndStream, 1}, Payload: []byte("hello")}, nil},
		{"data padded", appendData(nil, 1, 0, []byte("hello"), 4),
			Frame{Hd: FrameHeader{9, FrameData, FlagPadded, 1}, PadLen: 4, Payload: []byte("hello")}, nil},
		{"data pad capped", appendData(nil, 1, 0, nil, 1000),
			Frame{Hd: FrameHeader{MaxPadLen, FrameData, FlagPadded, 1}, PadLen: MaxPadLen, Payload: []byte{}}, nil},
		{"headers", appendHeadersFrame(nil, 3, FlagEndHeaders|FlagPadded, nil, []byte{0x82}, 0),
			Frame{Hd: FrameHeader{1, FrameHeaders, FlagEndHeaders, 3}}, []byte{0x82}},
		{"headers prio padded", appendHeadersFrame(nil, 3, FlagEndStream, pri, []byte{0x82}, 2),
			Frame{Hd: FrameHeader{8, FrameHeaders, FlagEndStream | FlagPriority | FlagPadded, 3}, PadLen: 2, Priority: *pri}, []byte{0x82}},
		{"continuation", appendContinuation(nil, 3, true, []byte{0x84}),
			Frame{Hd: FrameHeader{1, FrameContinuation, FlagEndHeaders, 3}}, []byte{0x84}},
		{"priority", appendPriority(nil, 3, *pri),
			Frame{Hd: FrameHeader{5, FramePriority, 0, 3}, Priority: *pri}, nil},
		{"rst", appendRSTStream(nil, 3, RefusedStream),
			Frame{Hd: FrameHeader{4, FrameRSTStream, 0, 3}, ErrorCode: RefusedStream}, nil},
		{"settings", appendSettings(nil, false, []SettingsEntry{{SettingsMaxFrameSize, 1 << 20}}),
			Frame{Hd: FrameHeader{6, FrameSettings, 0, 0}, Settings: []SettingsEntry{{SettingsMaxFrameSize, 1 << 20}}}, nil},
		{"settings ack", appendSettings(nil, true, []SettingsEntry{{1, 1}}),
			Frame{Hd: FrameHeader{0, FrameSettings, FlagAck, 0}}, nil},
		{"push_promise", appendPushPromise(nil, 1, FlagEndHeaders, 2, []byte{0x82}, 1),
			Frame{Hd: FrameHeader{6, FramePushPromise, FlagEndHeaders | FlagPadded, 1}, PadLen: 1, PromisedStreamID: 2}, []byte{0x82}},
		{"ping", appendPing(nil, true, [8]byte{1, 2, 3, 4, 5, 6, 7, 8}),
			Frame{Hd: FrameHeader{8, FramePing, FlagAck, 0}, OpaqueData: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}, nil},
		{"goaway", appendGoaway(nil, 5, ProtocolError, []byte("why")),
			Frame{Hd: FrameHeader{11, FrameGoaway, 0, 0}, LastStreamID: 5, ErrorCode: ProtocolError, DebugData: []byte("why")}, nil},
		{"window_update", appendWindowUpdate(nil, 0, MaxWindowSize),
			Frame{Hd: FrameHeader{4, FrameWindowUpdate, 0, 0}, WindowSizeIncrement: MaxWindowSize}, nil},
		{"priority_update", appendPriorityUpdate(nil, 5, []byte("u=2")),
			Frame{Hd: FrameHeader{7, FramePriorityUpdate, 0, 0}, PrioritizedStreamID: 5, FieldValue: []byte("u=2")}, nil},
		{"altsvc", appendAltsvc(nil, 0, []byte("o"), []byte("clear")),
			Frame{Hd: FrameHeader{8, FrameAltsvc, 0, 0}, Origin: []byte("o"), FieldValue: []byte("clear")}, nil},
		{"origin", appendOrigin(nil, [][]byte{[]byte("https://a"), []byte("https://b")}),
			Frame{Hd: FrameHeader{22, FrameOrigin, 0, 0}, Origin: cat([]byte{0, 9}, []byte("https://a"), []byte{0, 9}, []byte("https://b"))}, nil},
		{"raw", appendRawFrame(nil, 0xf0, 0x3, 9, []byte("ext")),
			Frame{Hd: FrameHeader{3, 0xf0, 0x3, 9}, Payload: []byte("ext")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, frag, err := parseWhole(t, tt.b)
			if err != nil {
				t.Fatalf("our own encoding must parse: %v (%x)", err, tt.b)
			}
			if !reflect.DeepEqual(*f, tt.want) {
				t.Errorf("round trip differs\n got %+v\nwant %+v", *f, tt.want)
			}
			if !bytes.Equal(frag, tt.fragment) {
				t.Errorf("fragment: got %x, want %x", frag, tt.fragment)
			}
		})
	}
}

func TestAppendPaddingIsZero(t *testing.T) {
	b := appendData(nil, 1, 0, []byte("x"), 10)
	if !bytes.Equal(b[FrameHeaderLen+2:], make([]byte, 9)) {
		t.Fatalf("padding octets MUST be zero (RFC 9113, Section 6.1): %x", b)
	}
}

func TestAppendFramesDoNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 64<<10)
	data := make([]byte, 16<<10)
	frag := make([]byte, 100)
	iv := []SettingsEntry{{SettingsMaxFrameSize, 1 << 20}, {SettingsInitialWindowSize, 1 << 20}}
	pri := &PrioritySpec{StreamID: 1}
	n := testing.AllocsPerRun(100, func() {
		b := appendData(dst[:0], 1, FlagEndStream, data, 10)
		b = appendHeadersFrame(b, 1, FlagEndHeaders, pri, frag, 3)
		b = appendContinuation(b, 1, true, frag)
		b = appendSettings(b, false, iv)
		b = appendPing(b, false, [8]byte{})
		b = appendGoaway(b, 1, NoError, nil)
		b = appendWindowUpdate(b, 1, 1)
		b = appendRSTStream(b, 1, Cancel)
		_ = appendPriorityUpdate(b, 1, frag[:3])
	})
	if n != 0 {
		t.Fatalf("encoders must not allocate when dst has room; got %v allocs", n)
	}
}

func TestParseFramesDoNotAllocate(t *testing.T) {
	frames := [][]byte{
		appendData(nil, 1, 0, make([]byte, 1000), 5),
		appendHeadersFrame(nil, 1, FlagEndHeaders, &PrioritySpec{StreamID: 3}, []byte{0x82}, 2),
		appendSettings(nil, false, []SettingsEntry{{1, 4096}, {4, 65535}}),
		appendGoaway(nil, 1, NoError, []byte("bye")),
		cat(hdr(4, FrameWindowUpdate, 0, 1), []byte{0, 0, 0, 0}), // an error path
	}
	var f Frame
	var buf [8]SettingsEntry
	n := testing.AllocsPerRun(100, func() {
		for _, b := range frames {
			f.Hd = parseFrameHeader(b)
			_, _ = parseFramePayload(&f, b[FrameHeaderLen:], buf[:0])
		}
	})
	if n != 0 {
		t.Fatalf("parsing (including raising an error) must not allocate; got %v allocs", n)
	}
}

func TestFrameTypeString(t *testing.T) {
	if FramePriorityUpdate.String() != "PRIORITY_UPDATE" || FrameType(0xb).String() != "UNKNOWN_FRAME_TYPE_11" {
		t.Fatalf("names: %s %s", FramePriorityUpdate, FrameType(0xb))
	}
	if FrameType(0xb).Known() || !FrameOrigin.Known() || FrameType(0xff).Known() {
		t.Fatal("Known must follow the parser table")
	}
}

func TestCodecErrorMessage(t *testing.T) {
	if got := errWindowUpdateZeroStream.Error(); got != "h2: stream error PROTOCOL_ERROR: frame_windowupdate_zero_inc_stream" {
		t.Fatalf("stream-scope message: %q", got)
	}
	if got := errPingLength.Error(); got != "h2: connection error FRAME_SIZE_ERROR: frame_ping_length" {
		t.Fatalf("connection-scope message: %q", got)
	}
}
