package h2

import (
	"errors"
	"testing"

	"golang.org/x/net/http2"
)

func TestSettingsApplyWhenAcknowledged(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil)
	if err := srv.s.SubmitSettings(FlagNone, []SettingsEntry{{SettingsMaxHeaderListSize, 1000}}); err != nil {
		t.Fatalf("SubmitSettings returned %v", err)
	}
	fs := rd.frames(srv.flush())
	sf, ok := fs[0].Raw.(*http2.SettingsFrame)
	if len(fs) != 1 || !ok {
		t.Fatalf("SubmitSettings sent%s, want one SETTINGS", summary(fs))
	}
	if v, _ := sf.Value(http2.SettingMaxHeaderListSize); v != 1000 {
		t.Fatalf("SETTINGS carries MAX_HEADER_LIST_SIZE %d, want 1000", v)
	}
	if v := srv.s.LocalSetting(SettingsMaxHeaderListSize); v == 1000 {
		t.Fatalf("the setting is in effect before the ACK")
	}
	w.fr.WriteSettingsAck() // acknowledges the initial SETTINGS
	w.fr.WriteSettingsAck() // and this one
	srv.feed(w.take())
	if v := srv.s.LocalSetting(SettingsMaxHeaderListSize); v != 1000 {
		t.Fatalf("after the ACK MAX_HEADER_LIST_SIZE is %d, want 1000", v)
	}
}

func TestSettingsAreAcknowledged(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil)
	w.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 20})
	srv.feed(w.take())
	fs := rd.frames(srv.flush())
	if len(fs) != 1 || fs[0].Type != FrameSettings || !fs[0].Flags.Has(FlagAck) {
		t.Fatalf("SETTINGS drew%s, want a SETTINGS ACK", summary(fs))
	}
	if v := srv.s.RemoteSetting(SettingsMaxFrameSize); v != 1<<20 {
		t.Fatalf("the peer's MAX_FRAME_SIZE is %d, want %d", v, 1<<20)
	}
}

func TestSettingsTimeoutSendsGoaway(t *testing.T) {
	srv := newEndpoint(t).server(&Options{SettingsTimeout: 5e9})
	rd := newWireReader(t)
	srv.s.HandleExpiry(1e9)
	rd.frames(srv.flush()) // our SETTINGS goes out at t=1s
	if exp := srv.s.Expiry(); exp != 6e9 {
		t.Fatalf("Expiry is %d, want 6e9 (SETTINGS sent at 1s, 5s timeout)", exp)
	}
	if err := srv.s.HandleExpiry(5999999999); err != nil {
		t.Fatalf("HandleExpiry before the deadline returned %v", err)
	}
	err := srv.s.HandleExpiry(6e9)
	if !errors.Is(err, SettingsTimeout) {
		t.Fatalf("HandleExpiry at the deadline returned %v, want an error matching SETTINGS_TIMEOUT", err)
	}
	if g := goaways(t, rd.frames(srv.flush())); len(g) != 1 || g[0].ErrCode != http2.ErrCodeSettingsTimeout {
		t.Fatalf("the timeout sent %v, want GOAWAY SETTINGS_TIMEOUT", g)
	}
}

func TestSettingsTimeoutStopsAtAck(t *testing.T) {
	srv := newEndpoint(t).server(&Options{SettingsTimeout: 5e9})
	srv.flush() // SETTINGS sent with no time known: the next HandleExpiry starts the clock
	srv.s.HandleExpiry(10e9)
	if exp := srv.s.Expiry(); exp != 15e9 {
		t.Fatalf("Expiry is %d, want 15e9", exp)
	}
	srv.feed(clientPreface())
	w := newRawWriter()
	w.fr.WriteSettingsAck()
	srv.feed(w.take())
	if exp := srv.s.Expiry(); exp != 0 {
		t.Fatalf("after the ACK Expiry is %d, want 0", exp)
	}
	if err := srv.s.HandleExpiry(100e9); err != nil {
		t.Fatalf("HandleExpiry after the ACK returned %v", err)
	}
}

func TestSettingsTooManyInflight(t *testing.T) {
	srv := newEndpoint(t).server(nil)
	for i := 1; i < maxInflightSettings; i++ {
		if err := srv.s.SubmitSettings(FlagNone, nil); err != nil {
			t.Fatalf("SubmitSettings %d returned %v", i, err)
		}
	}
	if err := srv.s.SubmitSettings(FlagNone, nil); err != ErrTooManyInflightSettings {
		t.Fatalf("SubmitSettings beyond %d unacknowledged returned %v, want ErrTooManyInflightSettings", maxInflightSettings, err)
	}
}

func TestSettingsInvalidValuesAreRejected(t *testing.T) {
	srv := newEndpoint(t).server(nil)
	for _, e := range []SettingsEntry{{SettingsEnablePush, 1}, {SettingsMaxFrameSize, 100}, {SettingsInitialWindowSize, 1 << 31}} {
		if err := srv.s.SubmitSettings(FlagNone, []SettingsEntry{e}); err != ErrInvalidArgument {
			t.Errorf("a server's SubmitSettings(%v) returned %v, want ErrInvalidArgument", e, err)
		}
	}
}

func TestSettingsHeaderTableSizeFromPeerShrinksEncoder(t *testing.T) {
	srv, w, rd := serverWithGet(t, nil)
	w.fr.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 0})
	srv.feed(w.take())
	srv.s.SubmitResponse(1, hdrs(":status", "200", "x-long-field", "some value that would be indexed"), nil)
	out := srv.flush()
	fs := rd.frames(out)
	var block []byte
	for _, f := range fs {
		if h, ok := f.Raw.(*http2.HeadersFrame); ok {
			block = h.HeaderBlockFragment()
		}
	}
	// RFC 7541, Section 6.3: a dynamic table size update (001xxxxx) to 0.
	if len(block) == 0 || block[0] != 0x20 {
		t.Fatalf("after HEADER_TABLE_SIZE 0 the header block starts % x, want a size update to 0 (0x20)", block)
	}
}

func TestPingIsAcknowledgedAutomatically(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil)
	w.fr.WritePing(false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
	srv.feed(w.take())
	fs := rd.frames(srv.flush())
	if len(fs) != 1 {
		t.Fatalf("PING drew%s, want one PING ACK", summary(fs))
	}
	p := fs[0].Raw.(*http2.PingFrame)
	if !p.IsAck() || p.Data != [8]byte{1, 2, 3, 4, 5, 6, 7, 8} {
		t.Fatalf("PING drew %v, want an ACK with the same opaque data", p)
	}
	w.fr.WritePing(true, [8]byte{9})
	srv.feed(w.take())
	if fs := rd.frames(srv.flush()); len(fs) != 0 {
		t.Fatalf("a PING ACK drew%s, want nothing", summary(fs))
	}
}

func TestPingNoAutoPingAck(t *testing.T) {
	srv, w, rd := serverWithStreams(t, &Options{NoAutoPingAck: true})
	var got [8]byte
	srv.cb.OnFrameRecv = func(s *Session, f *Frame) error {
		if f.Type() == FramePing {
			got = f.OpaqueData
		}
		return nil
	}
	srv.s.cb = srv.cb
	w.fr.WritePing(false, [8]byte{7})
	srv.feed(w.take())
	if fs := rd.frames(srv.flush()); len(fs) != 0 || got != [8]byte{7} {
		t.Fatalf("with NoAutoPingAck a PING drew%s and OnFrameRecv saw %v; want nothing sent and the PING delivered", summary(fs), got)
	}
	srv.s.SubmitPing(FlagAck, &got)
	fs := rd.frames(srv.flush())
	if len(fs) != 1 || !fs[0].Raw.(*http2.PingFrame).IsAck() {
		t.Fatalf("SubmitPing(FlagAck) sent%s, want a PING ACK", summary(fs))
	}
}
