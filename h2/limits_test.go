package h2

import (
	"errors"
	"testing"

	"golang.org/x/net/http2"
)

// rapidReset opens stream id and resets it at once, as in CVE-2023-44487.
func rapidReset(w *rawWriter, id uint32) {
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
	w.fr.WriteRSTStream(id, http2.ErrCodeCancel)
}

func TestLimitRapidResetDrawsEnhanceYourCalm(t *testing.T) {
	srv, w, rd := serverWithStreams(t, &Options{StreamResetBurst: 10})
	for i := uint32(0); i < 10; i++ {
		rapidReset(w, 2*i+1)
	}
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("10 resets within a burst of 10 drew %v", err)
	}
	rapidReset(w, 21)
	err := srv.feed(w.take())
	if !errors.Is(err, ErrFlooded) || !errors.Is(err, EnhanceYourCalm) {
		t.Fatalf("the 11th reset drew %v, want ErrFlooded with ENHANCE_YOUR_CALM", err)
	}
	if g := goaways(t, rd.frames(srv.flush())); len(g) != 1 || g[0].ErrCode != http2.ErrCodeEnhanceYourCalm {
		t.Fatalf("the 11th reset drew %v, want GOAWAY ENHANCE_YOUR_CALM", g)
	}
}

func TestLimitResetTokensComeBackWithTimeAndCompletedStreams(t *testing.T) {
	srv, w, rd := serverWithStreams(t, &Options{StreamResetBurst: 5, StreamResetRate: 2})
	srv.s.HandleExpiry(1e9)
	id := uint32(1)
	next := func() uint32 { id += 2; return id - 2 }
	for i := 0; i < 5; i++ {
		rapidReset(w, next())
	}
	srv.feed(w.take())
	// One second at 2 tokens per second.
	srv.s.HandleExpiry(2e9)
	rapidReset(w, next())
	rapidReset(w, next())
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("two resets after a second at 2 per second drew %v", err)
	}
	// A stream that completes normally earns a token back.
	done := next()
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: done, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
	srv.feed(w.take())
	srv.s.SubmitResponse(int32(done), hdrs(":status", "204"), nil)
	rd.frames(srv.flush())
	rapidReset(w, next())
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("a reset after a completed stream drew %v", err)
	}
	rapidReset(w, next())
	if err := srv.feed(w.take()); !errors.Is(err, EnhanceYourCalm) {
		t.Fatalf("a reset with the bucket empty drew %v, want ENHANCE_YOUR_CALM", err)
	}
}

func TestLimitSettingsFlood(t *testing.T) {
	// The preface's SETTINGS counts as the first of 3.
	srv, w, _ := serverWithStreams(t, &Options{SettingsFloodLimit: 3})
	for i := 0; i < 2; i++ {
		w.fr.WriteSettings()
	}
	// Real work resets the count.
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: getBlock(w), EndHeaders: true, EndStream: true})
	for i := 0; i < 3; i++ {
		w.fr.WriteSettings()
	}
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("3 SETTINGS, a request, 3 SETTINGS drew %v", err)
	}
	w.fr.WriteSettings()
	if err := srv.feed(w.take()); !errors.Is(err, EnhanceYourCalm) {
		t.Fatalf("the 4th SETTINGS without work drew %v, want ENHANCE_YOUR_CALM", err)
	}
}

func TestLimitPingFlood(t *testing.T) {
	srv, w, _ := serverWithStreams(t, &Options{PingFloodLimit: 4})
	for i := 0; i < 5; i++ {
		w.fr.WritePing(false, [8]byte{})
	}
	if err := srv.feed(w.take()); !errors.Is(err, EnhanceYourCalm) {
		t.Fatalf("5 PINGs with a limit of 4 drew %v, want ENHANCE_YOUR_CALM", err)
	}
}

func TestLimitOutboundAckFlood(t *testing.T) {
	// A peer that sends PINGs but never reads our answers: the ACKs queue
	// up to MaxOutboundAck, then the session gives up.
	srv, w, _ := serverWithStreams(t, &Options{MaxOutboundAck: 10})
	for i := 0; i < 10; i++ {
		w.fr.WritePing(false, [8]byte{})
	}
	if err := srv.feed(w.take()); err != nil {
		t.Fatalf("10 unanswered PINGs with room for 10 ACKs drew %v", err)
	}
	w.fr.WritePing(false, [8]byte{})
	if err := srv.feed(w.take()); !errors.Is(err, ErrFlooded) {
		t.Fatalf("the 11th unanswered PING drew %v, want ErrFlooded", err)
	}
}

func TestLimitOutboundQueueBoundsTheApplication(t *testing.T) {
	srv := newEndpoint(t).server(&Options{MaxOutboundQueue: 3})
	srv.s.SubmitPing(FlagNone, nil)
	srv.s.SubmitPing(FlagNone, nil)
	if err := srv.s.SubmitPing(FlagNone, nil); err != ErrNoMem {
		t.Fatalf("a 4th queued frame (SETTINGS + 2 PINGs queued, limit 3) returned %v, want ErrNoMem", err)
	}
	srv.flush()
	if err := srv.s.SubmitPing(FlagNone, nil); err != nil {
		t.Fatalf("after Send emptied the queue SubmitPing returned %v", err)
	}
}

func TestLimitHeaderListSize(t *testing.T) {
	srv, w, rd := serverWithStreams(t, &Options{MaxHeaderListSize: 200})
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/", ":authority", "a", "x-big", string(make([]byte, 300))), EndHeaders: true, EndStream: true})
	err := srv.feed(w.take())
	if !errors.Is(err, CompressionError) {
		t.Fatalf("a header list beyond MaxHeaderListSize drew %v, want COMPRESSION_ERROR", err)
	}
	if g := goaways(t, rd.frames(srv.flush())); len(g) != 1 {
		t.Fatalf("a header list beyond MaxHeaderListSize drew %v, want GOAWAY", g)
	}
}

func TestLimitHeaderBlockSize(t *testing.T) {
	srv, _, _ := serverWithStreams(t, &Options{MaxHeaderBlockSize: 100})
	b := rawFrame(FrameHeaders, 0, 1, make([]byte, 60)...)
	b = append(b, rawFrame(FrameContinuation, 0, 1, make([]byte, 60)...)...)
	if err := srv.feed(b); !errors.Is(err, EnhanceYourCalm) {
		t.Fatalf("a header block of 120 octets with a limit of 100 drew %v, want ENHANCE_YOUR_CALM", err)
	}
}
