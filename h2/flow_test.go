package h2

import (
	"testing"

	"golang.org/x/net/http2"
)

// windowUpdates returns the WINDOW_UPDATE increments by stream.
func windowUpdates(fs []wireFrame) map[uint32]uint32 {
	out := map[uint32]uint32{}
	for _, f := range fs {
		if w, ok := f.Raw.(*http2.WindowUpdateFrame); ok {
			out[w.StreamID] += w.Increment
		}
	}
	return out
}

func TestFlowAutoWindowUpdateAfterHalfTheWindow(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil, 1)
	w.fr.WriteData(1, false, make([]byte, 16384))
	srv.feed(w.take())
	if wu := windowUpdates(rd.frames(srv.flush())); len(wu) != 0 {
		t.Fatalf("WINDOW_UPDATE %v after a quarter of the window, want none yet", wu)
	}
	w.fr.WriteData(1, false, make([]byte, 16384))
	srv.feed(w.take())
	wu := windowUpdates(rd.frames(srv.flush()))
	if wu[0] != 32768 || wu[1] != 32768 {
		t.Fatalf("after 32768 octets (half of 65535) the server sent WINDOW_UPDATE %v, want 32768 on stream 0 and stream 1", wu)
	}
}

func TestFlowManualModeConsume(t *testing.T) {
	srv, w, rd := serverWithStreams(t, &Options{NoAutoWindowUpdate: true}, 1)
	writeData(w, 1, 40000)
	w.fr.WriteDataPadded(1, false, make([]byte, 10), make([]byte, 9))
	srv.feed(w.take())
	if wu := windowUpdates(rd.frames(srv.flush())); len(wu) != 0 {
		t.Fatalf("manual mode sent WINDOW_UPDATE %v before Consume, want none", wu)
	}
	if err := srv.s.Consume(1, 40010); err != nil {
		t.Fatalf("Consume returned %v", err)
	}
	wu := windowUpdates(rd.frames(srv.flush()))
	// Padding (10 octets incl. the Pad Length octet) is given back by the
	// session itself.
	if wu[0] != 40020 || wu[1] != 40020 {
		t.Fatalf("after Consume(40010) the server sent WINDOW_UPDATE %v, want 40020 (with padding) on streams 0 and 1", wu)
	}
	writeData(w, 1, 40000)
	srv.feed(w.take())
	srv.s.ConsumeConnection(40000)
	if wu := windowUpdates(rd.frames(srv.flush())); wu[0] != 40000 || wu[1] != 0 {
		t.Fatalf("ConsumeConnection sent %v, want 40000 on stream 0 only", wu)
	}
	srv.s.ConsumeStream(1, 40000)
	if wu := windowUpdates(rd.frames(srv.flush())); wu[0] != 0 || wu[1] != 40000 {
		t.Fatalf("ConsumeStream sent %v, want 40000 on stream 1 only", wu)
	}
	auto, _, _ := serverWithStreams(t, nil, 1)
	if err := auto.s.Consume(1, 1); err != ErrInvalidState {
		t.Fatalf("Consume with automatic WINDOW_UPDATE returned %v, want ErrInvalidState", err)
	}
	if err := srv.s.Consume(0, 1); err != ErrInvalidArgument {
		t.Fatalf("Consume on stream 0 returned %v, want ErrInvalidArgument", err)
	}
}

func TestFlowInitialWindowSizeChangeAppliesToOpenStreams(t *testing.T) {
	c, w, rd := clientReady(t, nil)
	w.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10})
	c.feed(w.take())
	c.s.SubmitRequest(hdrs(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a"), bytesProvider(make([]byte, 100)), nil)
	if got := dataLen(rd.frames(c.flush())); got != 10 {
		t.Fatalf("with INITIAL_WINDOW_SIZE 10 the client sent %d octets, want 10", got)
	}
	// Raising it by 20 opens the stream's window by 20 (RFC 9113, 6.9.2).
	w.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 30})
	c.feed(w.take())
	if got := dataLen(rd.frames(c.flush())); got != 20 {
		t.Fatalf("after INITIAL_WINDOW_SIZE 10->30 the client sent %d more octets, want 20", got)
	}
	// Lowering it to 5 makes the window negative (-25): a WINDOW_UPDATE of
	// 25 does not let anything out yet, 26 lets one octet out.
	w.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 5})
	w.fr.WriteWindowUpdate(1, 25)
	c.feed(w.take())
	if got := dataLen(rd.frames(c.flush())); got != 0 {
		t.Fatalf("with a window of -25+25 the client sent %d octets, want 0", got)
	}
	w.fr.WriteWindowUpdate(1, 1)
	c.feed(w.take())
	if got := dataLen(rd.frames(c.flush())); got != 1 {
		t.Fatalf("with a window of 1 the client sent %d octets, want 1", got)
	}
}

func dataLen(fs []wireFrame) int {
	n := 0
	for _, f := range fs {
		if f.Type == FrameData {
			n += len(f.Data)
		}
	}
	return n
}

func TestFlowSetLocalWindowSize(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil, 1)
	if err := srv.s.SetLocalWindowSize(FlagNone, 0, 1<<20); err != nil {
		t.Fatalf("SetLocalWindowSize(connection) returned %v", err)
	}
	if err := srv.s.SetLocalWindowSize(FlagNone, 1, 100000); err != nil {
		t.Fatalf("SetLocalWindowSize(stream 1) returned %v", err)
	}
	wu := windowUpdates(rd.frames(srv.flush()))
	if wu[0] != 1<<20-65535 || wu[1] != 100000-65535 {
		t.Fatalf("SetLocalWindowSize sent WINDOW_UPDATE %v, want %d on stream 0 and %d on stream 1", wu, 1<<20-65535, 100000-65535)
	}
	// The peer may now send 100000 octets on stream 1 without error.
	for i := 0; i < 6; i++ {
		w.fr.WriteData(1, false, make([]byte, 16000))
	}
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("96000 octets within the enlarged windows drew %v", err)
	}
	if err := srv.s.SetLocalWindowSize(FlagNone, 99, 1); err != ErrStreamClosed {
		t.Fatalf("SetLocalWindowSize on a missing stream returned %v, want ErrStreamClosed", err)
	}
	if err := srv.s.SetLocalWindowSize(FlagNone, 0, -1); err != ErrInvalidArgument {
		t.Fatalf("SetLocalWindowSize(-1) returned %v, want ErrInvalidArgument", err)
	}
}

func TestFlowConnectionWindowOptionSendsWindowUpdate(t *testing.T) {
	srv := newEndpoint(t).server(&Options{ConnectionWindowSize: 1 << 24})
	fs := newWireReader(t).frames(srv.flush())
	if len(fs) != 2 || fs[0].Type != FrameSettings || windowUpdates(fs)[0] != 1<<24-65535 {
		t.Fatalf("a server with a 16 MiB connection window starts with%s, want SETTINGS then WINDOW_UPDATE %d", summary(fs), 1<<24-65535)
	}
}

func TestFlowSubmitWindowUpdate(t *testing.T) {
	srv, _, rd := serverWithStreams(t, nil, 1)
	srv.s.SubmitWindowUpdate(FlagNone, 0, 1000)
	srv.s.SubmitWindowUpdate(FlagNone, 1, 2000)
	if wu := windowUpdates(rd.frames(srv.flush())); wu[0] != 1000 || wu[1] != 2000 {
		t.Fatalf("SubmitWindowUpdate sent %v, want 1000 on 0 and 2000 on 1", wu)
	}
	if err := srv.s.SubmitWindowUpdate(FlagNone, 0, 1<<31-1); err != ErrFlowControl {
		t.Fatalf("a WINDOW_UPDATE beyond 2^31-1 returned %v, want ErrFlowControl", err)
	}
}

func TestFlowDataOnResetStreamStillCreditsTheConnection(t *testing.T) {
	srv, w, rd := serverWithStreams(t, nil, 1)
	srv.s.SubmitRstStream(FlagNone, 1, Cancel)
	rd.frames(srv.flush())
	// Frames in flight after our RST_STREAM are ignored but counted.
	for i := 0; i < 3; i++ {
		w.fr.WriteData(1, false, make([]byte, 16384))
	}
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("DATA after our RST_STREAM drew %v, want it ignored", err)
	}
	if wu := windowUpdates(rd.frames(srv.flush())); wu[0] != 32768 || len(wu) != 1 {
		t.Fatalf("ignored DATA produced WINDOW_UPDATE %v, want 32768 (half the window) on the connection only", wu)
	}
}

// writeData writes n octets of DATA on id in frames of at most 16384.
func writeData(w *rawWriter, id uint32, n int) {
	for n > 0 {
		k := min(n, 16384)
		w.fr.WriteData(id, false, make([]byte, k))
		n -= k
	}
}

func TestFlowWindowUpdatesCoalesceWhileUnsent(t *testing.T) {
	// A peer that sends DATA and never reads: one WINDOW_UPDATE per
	// stream and one for the connection wait, carrying all the credit.
	srv, w, rd := serverWithStreams(t, &Options{InitialWindowSize: 1 << 20}, 1)
	rd.frames(srv.flush())
	for i := 0; i < 20; i++ {
		writeData(w, 1, 40000)
		if err := srv.feed(w.take()); err != nil {
			t.Fatalf("DATA within the windows drew %v", err)
		}
	}
	if srv.s.numItems > 2 {
		t.Fatalf("%d frames wait in the queue after 20 rounds of DATA, want at most 2 WINDOW_UPDATEs", srv.s.numItems)
	}
	wu := windowUpdates(rd.frames(srv.flush()))
	if wu[0] == 0 || wu[1] == 0 || wu[0] > 800000 || wu[1] > 800000 {
		t.Fatalf("the coalesced WINDOW_UPDATEs are %v, want credit for up to 800000 octets on 0 and 1", wu)
	}
}

func TestFlowWindowGetters(t *testing.T) {
	c, w, rd := clientReady(t, nil)
	w.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 100})
	c.feed(w.take())
	c.s.SubmitRequest(hdrs(":method", "POST", ":scheme", "https", ":path", "/", ":authority", "a"), bytesProvider(make([]byte, 30)), nil)
	if n := c.s.GetOutboundQueueSize(); n != 2 {
		t.Fatalf("GetOutboundQueueSize with a SETTINGS ACK and a request queued is %d, want 2", n)
	}
	rd.frames(c.flush())
	if got := c.s.GetStreamRemoteWindowSize(1); got != 70 {
		t.Fatalf("after 30 octets of a 100-octet window GetStreamRemoteWindowSize is %d, want 70", got)
	}
	if got := c.s.GetRemoteWindowSize(); got != 65535-30 {
		t.Fatalf("GetRemoteWindowSize is %d, want %d", got, 65535-30)
	}
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":status", "200"), EndHeaders: true})
	w.fr.WriteData(1, false, make([]byte, 1000))
	c.feed(w.take())
	if got := c.s.GetStreamLocalWindowSize(1); got != 65535-1000 {
		t.Fatalf("GetStreamLocalWindowSize after 1000 octets is %d, want %d", got, 65535-1000)
	}
	if got := c.s.GetLocalWindowSize(); got != 65535-1000 {
		t.Fatalf("GetLocalWindowSize after 1000 octets is %d, want %d", got, 65535-1000)
	}
	if c.s.GetStreamRemoteWindowSize(99) != -1 || c.s.GetStreamLocalWindowSize(99) != -1 {
		t.Fatalf("window getters for a missing stream do not return -1")
	}
}

// TestFlowLargerConnectionWindowKeepsCreditingInManualMode: raising the
// connection window (ConnectionWindowSize, SetLocalWindowSize) must not
// leave a debt on the consumed count: in manual mode, consuming half the
// larger window sends WINDOW_UPDATE, as it does for the default window.
func TestFlowLargerConnectionWindowKeepsCreditingInManualMode(t *testing.T) {
	srv, w, rd := serverWithStreams(t, &Options{NoAutoWindowUpdate: true, ConnectionWindowSize: 1 << 20, InitialWindowSize: 1 << 20}, 1)
	rd.frames(srv.flush())
	writeData(w, 1, 600000)
	srv.feed(w.take())
	if err := srv.s.Consume(1, 600000); err != nil {
		t.Fatalf("Consume returned %v", err)
	}
	if wu := windowUpdates(rd.frames(srv.flush())); wu[0] != 600000 {
		t.Fatalf("after consuming 600000 of a 1 MiB connection window the server sent WINDOW_UPDATE %v, want 600000 on stream 0", wu)
	}
	if got := srv.s.GetLocalWindowSize(); got != 1<<20 {
		t.Fatalf("connection window after the credit = %d, want %d", got, 1<<20)
	}
}
