package h2

import (
	"reflect"
	"testing"
)

// FuzzFrameParse feeds arbitrary bytes to the header and payload parsers.
// Properties: no panic; the payload length check holds; a frame that parses
// re-encodes (through the encoders) to a frame that parses to the same
// fields.
func FuzzFrameParse(f *testing.F) {
	f.Add(appendData(nil, 1, FlagEndStream, []byte("hello"), 3))
	f.Add(appendHeadersFrame(nil, 1, FlagEndHeaders, &PrioritySpec{StreamID: 3, Weight: 9}, []byte{0x82, 0x86}, 2))
	f.Add(appendSettings(nil, false, []SettingsEntry{{SettingsMaxFrameSize, 1 << 20}, {0x77, 1}}))
	f.Add(appendGoaway(nil, 3, ProtocolError, []byte("debug")))
	f.Add(appendOrigin(nil, [][]byte{[]byte("https://a.example")}))
	f.Add(appendAltsvc(nil, 0, []byte("a.example"), []byte(`h2=":443"`)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < FrameHeaderLen {
			return
		}
		hd := parseFrameHeader(b)
		body := b[FrameHeaderLen:]
		if uint32(len(body)) < hd.Length {
			return
		}
		body = body[:hd.Length]
		var fr Frame
		fr.Hd = hd
		var buf [8]SettingsEntry
		frag, err := parseFramePayload(&fr, body, buf[:0])
		if err != nil {
			if _, ok := err.(*codecError); !ok && err != errIgnoreFrame {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if len(fr.Settings) > len(buf) {
			t.Fatalf("settings overflowed caller storage: %d", len(fr.Settings))
		}
		re := reencode(&fr, frag)
		if re == nil {
			return
		}
		var fr2 Frame
		fr2.Hd = parseFrameHeader(re)
		var buf2 [8]SettingsEntry
		frag2, err := parseFramePayload(&fr2, re[FrameHeaderLen:], buf2[:0])
		if err != nil {
			t.Fatalf("re-encoded %v does not parse: %v", fr.Hd.Type, err)
		}
		fr.Hd.Flags, fr2.Hd.Flags = 0, 0 // encoders normalize flags
		fr.Hd.Length, fr2.Hd.Length = 0, 0
		if len(fr.Settings) == 0 && len(fr2.Settings) == 0 {
			fr.Settings, fr2.Settings = nil, nil
		}
		if !reflect.DeepEqual(fr, fr2) || string(frag) != string(frag2) {
			t.Fatalf("round trip differs\n got %+v\nwant %+v", fr2, fr)
		}
	})
}

// reencode writes fr back with the encoders; nil for types without one.
func reencode(fr *Frame, frag []byte) []byte {
	h := fr.Hd
	switch h.Type {
	case FrameData:
		return appendData(nil, h.StreamID, h.Flags, fr.Payload, fr.PadLen)
	case FrameHeaders:
		var pri *PrioritySpec
		if h.Flags.Has(FlagPriority) {
			pri = &fr.Priority
		}
		return appendHeadersFrame(nil, h.StreamID, h.Flags, pri, frag, fr.PadLen)
	case FramePriority:
		return appendPriority(nil, h.StreamID, fr.Priority)
	case FrameRSTStream:
		return appendRSTStream(nil, h.StreamID, fr.ErrorCode)
	case FrameSettings:
		return appendSettings(nil, h.Flags.Has(FlagAck), fr.Settings)
	case FramePushPromise:
		return appendPushPromise(nil, h.StreamID, h.Flags, fr.PromisedStreamID, frag, fr.PadLen)
	case FramePing:
		return appendPing(nil, h.Flags.Has(FlagAck), fr.OpaqueData)
	case FrameGoaway:
		return appendGoaway(nil, fr.LastStreamID, fr.ErrorCode, fr.DebugData)
	case FrameWindowUpdate:
		return appendWindowUpdate(nil, h.StreamID, fr.WindowSizeIncrement)
	case FrameContinuation:
		return appendContinuation(nil, h.StreamID, h.Flags.Has(FlagEndHeaders), frag)
	case FramePriorityUpdate:
		return appendPriorityUpdate(nil, fr.PrioritizedStreamID, fr.FieldValue)
	case FrameAltsvc:
		return appendAltsvc(nil, h.StreamID, fr.Origin, fr.FieldValue)
	}
	return nil
}
