package h2

// Whole-session fuzzing: arbitrary bytes after the connection preface into
// a server and a client Session that behave like small applications
// (answering requests, reading bodies). Properties: no panic; every error
// MemRecv returns is an h2 error; what the session writes is a sequence of
// well-formed frames; output, live streams and retained memory stay
// bounded whatever the input.

import (
	"errors"
	"runtime"
	"testing"
)

// fuzzOptions are small limits so the bounds are reached quickly.
var fuzzOptions = Options{
	MaxConcurrentStreams: 8,
	MaxHeaderListSize:    4096,
	MaxHeaderBlockSize:   4096,
	MaxContinuations:     4,
	MaxOutboundAck:       16,
	MaxOutboundQueue:     64,
	MaxClosedStreams:     8,
	StreamResetBurst:     16,
	SettingsFloodLimit:   16,
	PingFloodLimit:       16,
	MaxEmptyFrames:       8,
}

// fuzzPeer is the application side of a fuzzed session.
type fuzzPeer struct {
	s   *Session
	out int // octets written by the session
	// wire collects the output still to be checked for frame validity.
	wire []byte
}

func newFuzzPeer(t *testing.T, server bool) *fuzzPeer {
	p := &fuzzPeer{}
	cb := &Callbacks{
		Send: func(s *Session, b []byte) (int, error) {
			p.out += len(b)
			p.wire = append(p.wire, b...)
			return len(b), nil
		},
		OnFrameRecv: func(s *Session, f *Frame) error {
			// A server answers every complete request with a body and
			// trailers, exercising the send path under hostile input.
			if server && f.Flags().Has(FlagEndStream) && (f.Type() == FrameHeaders || f.Type() == FrameData) {
				_ = s.SubmitResponse(f.StreamID(), hdrs(":status", "200"), ixBody([]byte("fuzz"), hdrs("x-t", "1")))
			}
			return nil
		},
		OnHeader: func(s *Session, f *Frame, name, value []byte, flags NVFlag) error {
			if !checkFieldName(name) && s.opt.NoHTTPMessaging == false {
				t.Fatalf("the session delivered an invalid field name %q with messaging checks on", name)
			}
			return nil
		},
	}
	var err error
	opt := fuzzOptions
	if server {
		p.s, err = NewServerSession(cb, &opt)
	} else {
		p.s, err = NewClientSession(cb, &opt)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkWire parses everything the session wrote since the last call: our
// own output must always be valid frames.
func (p *fuzzPeer) checkWire(t *testing.T) {
	b := p.wire
	for len(b) >= FrameHeaderLen {
		hd := parseFrameHeader(b)
		if len(b) < FrameHeaderLen+int(hd.Length) {
			break
		}
		if hd.Length > MinMaxFrameSize {
			t.Fatalf("the session wrote a %v frame of %d octets, above the peer's default SETTINGS_MAX_FRAME_SIZE", hd.Type, hd.Length)
		}
		f := Frame{Hd: hd}
		var buf [16]SettingsEntry
		if _, err := parseFramePayload(&f, b[FrameHeaderLen:FrameHeaderLen+hd.Length], buf[:0]); err != nil && err != errIgnoreFrame {
			t.Fatalf("the session wrote an invalid %v frame: %v", hd.Type, err)
		}
		b = b[FrameHeaderLen+hd.Length:]
	}
	p.wire = append(p.wire[:0], b...)
}

// fuzzSession feeds data to p's session in pieces whose sizes come from
// cuts, sending after each piece as an engine would.
func fuzzSession(t *testing.T, p *fuzzPeer, cuts []byte, data []byte) {
	var ts uint64
	in := 0
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if len(cuts) > 0 {
			n = min(n, 1+int(cuts[i%len(cuts)]))
		}
		in += n
		_, err := p.s.MemRecv(data[:n])
		data = data[n:]
		if err != nil {
			var h2err Error
			if !errors.As(err, &h2err) {
				t.Fatalf("MemRecv returned %T %v, want an h2.Error", err, err)
			}
		}
		ts += 1_000_000
		_ = p.s.HandleExpiry(ts)
		if err := p.s.Send(); err != nil {
			var h2err Error
			if !errors.As(err, &h2err) {
				t.Fatalf("Send returned %T %v, want an h2.Error", err, err)
			}
		}
		p.checkWire(t)
		if p.s.NumActiveStreams() > int(fuzzOptions.MaxConcurrentStreams)+1 {
			t.Fatalf("%d active streams, limit %d", p.s.NumActiveStreams(), fuzzOptions.MaxConcurrentStreams)
		}
		if IsFatal(err) {
			break
		}
	}
	// Output is bounded by the input: a peer cannot make us write much
	// more than it sent (amplification).
	if limit := 8192 + 16*in; p.out > limit {
		t.Fatalf("wrote %d octets for %d received (limit %d)", p.out, in, limit)
	}
}

// fuzzSeeds are byte streams (after the preface) that reach deep states.
func fuzzSeeds(server bool) [][]byte {
	// Each block starts from an empty dynamic table, as the receiving
	// decoder does.
	block := func(kv ...string) []byte {
		var enc hpackEncoder
		enc.init(0)
		b, _ := enc.Encode(nil, hdrs(kv...))
		return b
	}
	reqBlock := block(":method", "POST", ":scheme", "https", ":authority", "a", ":path", "/", "content-length", "4")
	respBlock := block(":status", "200", "content-length", "4")
	trBlock := block("x-trailer", "v")
	settings := appendSettings(nil, false, []SettingsEntry{{SettingsInitialWindowSize, 100}, {SettingsMaxFrameSize, 1 << 15}})
	ack := appendSettings(nil, true, nil)
	first := reqBlock
	id := int32(1)
	if !server {
		first = respBlock
	}
	var seeds [][]byte
	add := func(parts ...[]byte) { seeds = append(seeds, cat(parts...)) }
	add(settings, ack, appendHeadersFrame(nil, id, FlagEndHeaders, nil, first, 0), appendData(nil, id, FlagEndStream, []byte("body"), 0))
	add(settings, appendHeadersFrame(nil, id, 0, nil, first[:1], 4), appendContinuation(nil, id, true, first[1:]),
		appendData(nil, id, 0, []byte("bo"), 10), appendHeadersFrame(nil, id, FlagEndHeaders|FlagEndStream, nil, trBlock, 0))
	add(settings, appendPing(nil, false, [8]byte{1}), appendWindowUpdate(nil, 0, 1000), appendWindowUpdate(nil, id, 1),
		appendRSTStream(nil, id, Cancel), appendGoaway(nil, 0, NoError, []byte("bye")))
	add(settings, appendPriority(nil, id, PrioritySpec{StreamID: 3, Weight: 9}), appendPriorityUpdate(nil, id, []byte("u=1, i")),
		appendRawFrame(nil, 0xfe, 0, 0, []byte("ext")), appendOrigin(nil, [][]byte{[]byte("https://a")}), appendAltsvc(nil, 0, []byte("a"), []byte("clear")))
	add(settings, appendHeadersFrame(nil, id, FlagEndHeaders|FlagEndStream|FlagPriority, &PrioritySpec{StreamID: id}, first, 0))
	add(settings, appendWindowUpdate(nil, 0, MaxWindowSize), appendWindowUpdate(nil, 0, MaxWindowSize))
	if !server {
		add(settings, appendPushPromise(nil, id, FlagEndHeaders, 2, reqBlock, 0))
	}
	return seeds
}

func FuzzServerSession(f *testing.F) {
	for _, s := range fuzzSeeds(true) {
		f.Add([]byte{0xff}, s)
		f.Add([]byte{3, 17}, s)
	}
	f.Fuzz(func(t *testing.T, cuts []byte, data []byte) {
		p := newFuzzPeer(t, true)
		if _, err := p.s.MemRecv([]byte(ClientMagic)); err != nil {
			t.Fatal(err)
		}
		fuzzSession(t, p, cuts, data)
	})
}

func FuzzClientSession(f *testing.F) {
	for _, s := range fuzzSeeds(false) {
		f.Add([]byte{0xff}, s)
		f.Add([]byte{3, 17}, s)
	}
	f.Fuzz(func(t *testing.T, cuts []byte, data []byte) {
		p := newFuzzPeer(t, false)
		// Three requests in flight (stream 1 with a body), so responses,
		// resets and flow control in the input have streams to act on.
		_, _ = p.s.SubmitRequest(hdrs(":method", "POST", ":scheme", "https", ":authority", "a", ":path", "/"), ixBody(make([]byte, 70000), nil), nil)
		_, _ = p.s.SubmitRequest(hdrs(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/x"), nil, nil)
		_, _ = p.s.SubmitRequest(hdrs(":method", "HEAD", ":scheme", "https", ":authority", "a", ":path", "/y"), nil, nil)
		if err := p.s.Send(); err != nil {
			t.Fatal(err)
		}
		p.wire = p.wire[len(ClientMagic):]
		p.checkWire(t)
		p.out = 0
		fuzzSession(t, p, cuts, data)
	})
}

// TestFuzzSessionMemoryBounded feeds long hostile streams to a server
// whose answers are never read (no Send), and checks that the heap the
// session keeps stays bounded and the stream limit holds.
func TestFuzzSessionMemoryBounded(t *testing.T) {
	var enc hpackEncoder
	enc.init(0)
	block, _ := enc.Encode(nil, hdrs(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/"))
	big := make([]byte, 16000)
	floods := []struct {
		name  string
		frame func(i int32) []byte
	}{
		{"open streams and pings", func(i int32) []byte {
			return cat(appendHeadersFrame(nil, 2*i+1, FlagEndHeaders, nil, block, 0), appendPing(nil, false, [8]byte{}))
		}},
		{"endless CONTINUATION", func(i int32) []byte {
			if i == 0 {
				return appendHeadersFrame(nil, 1, 0, nil, block, 0)
			}
			return appendContinuation(nil, 1, false, big[:100])
		}},
		{"settings", func(i int32) []byte {
			return appendSettings(nil, false, []SettingsEntry{{SettingsMaxConcurrentStreams, uint32(i)}})
		}},
		{"requests with bodies nobody reads", func(i int32) []byte {
			id := 2*i + 1
			return cat(appendHeadersFrame(nil, id, FlagEndHeaders, nil, block, 0), appendData(nil, id, 0, big[:1000], 0))
		}},
		{"rapid reset", func(i int32) []byte {
			id := 2*i + 1
			return cat(appendHeadersFrame(nil, id, FlagEndHeaders, nil, block, 0), appendRSTStream(nil, id, Cancel))
		}},
	}
	for _, fl := range floods {
		t.Run(fl.name, func(t *testing.T) {
			p := newFuzzPeer(t, true)
			if _, err := p.s.MemRecv([]byte(ClientMagic)); err != nil {
				t.Fatal(err)
			}
			in := appendSettings(nil, false, nil)
			for i := int32(0); i < 3000; i++ {
				in = append(in, fl.frame(i)...)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for len(in) > 0 { // in engine-sized reads
				n := min(len(in), 16<<10)
				if _, err := p.s.MemRecv(in[:n]); IsFatal(err) {
					break
				}
				in = in[n:]
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 1<<20 {
				t.Fatalf("the session kept %d KiB of a hostile stream", grown>>10)
			}
			if p.s.NumActiveStreams() > int(fuzzOptions.MaxConcurrentStreams) {
				t.Fatalf("%d active streams beyond the limit %d", p.s.NumActiveStreams(), fuzzOptions.MaxConcurrentStreams)
			}
			runtime.KeepAlive(p)
		})
	}
}

// TestFuzzSeedsReachTheApplication makes sure the seeds are not refused at
// the door: the first server seed is a complete request, answered with a
// HEADERS frame on stream 1; the first client seed completes stream 1.
func TestFuzzSeedsReachTheApplication(t *testing.T) {
	p := newFuzzPeer(t, true)
	var frames []FrameHeader
	p.s.cb.OnFrameSend = func(s *Session, f *Frame) error {
		frames = append(frames, f.Hd)
		return nil
	}
	_, _ = p.s.MemRecv([]byte(ClientMagic))
	fuzzSession(t, p, nil, fuzzSeeds(true)[0])
	answered := false
	for _, hd := range frames {
		answered = answered || hd.Type == FrameHeaders && hd.StreamID == 1
	}
	if !answered {
		t.Fatalf("the server seed's request got no response; sent %v", frames)
	}

	c := newFuzzPeer(t, false)
	closed := map[int32]ErrorCode{}
	c.s.cb.OnStreamClose = func(s *Session, id int32, code ErrorCode) error {
		closed[id] = code
		return nil
	}
	if _, err := c.s.SubmitRequest(hdrs(":method", "POST", ":scheme", "https", ":authority", "a", ":path", "/"), ixBody([]byte("x"), nil), nil); err != nil {
		t.Fatal(err)
	}
	_ = c.s.Send()
	fuzzSession(t, c, nil, fuzzSeeds(false)[0])
	if code, ok := closed[1]; !ok || code != NoError {
		t.Fatalf("the client seed's response did not complete stream 1: %v", closed)
	}
}
