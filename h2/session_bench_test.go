package h2

import (
	"bytes"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// memPair is a client and a server session wired back to back through
// reusable buffers, with callbacks that allocate nothing: the harness of
// the allocation proofs.
type memPair struct {
	c, s     *Session
	cbuf     []byte // client output
	sbuf     []byte // server output
	body     []byte // response body served by the server
	reqBody  []byte
	got      int // body octets the client received
	done     int // streams the client saw closed
	req      []NV
	resp     []NV
	provider DataProvider
	reqProv  DataProvider
	bodyOff  map[int32]int
}

func newMemPair(tb testing.TB, bodyLen int, opt *Options) *memPair {
	p := &memPair{
		cbuf:    make([]byte, 0, 1<<20),
		sbuf:    make([]byte, 0, 1<<20),
		body:    make([]byte, bodyLen),
		req:     getRequest(),
		resp:    hdrs(":status", "200", "content-type", "application/octet-stream"),
		bodyOff: make(map[int32]int, 16),
	}
	p.provider = DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
		off := p.bodyOff[id]
		n := copy(buf, p.body[off:])
		p.bodyOff[id] = off + n
		if off+n == len(p.body) {
			*flags |= DataFlagEOF
			delete(p.bodyOff, id)
		}
		return n, nil
	}}
	scb := &Callbacks{
		Send: func(s *Session, b []byte) (int, error) {
			p.sbuf = append(p.sbuf, b...)
			return len(b), nil
		},
		OnFrameRecv: func(s *Session, f *Frame) error {
			if f.Hd.Type == FrameHeaders && f.Cat == HCatRequest && f.Hd.Flags.Has(FlagEndStream) {
				if len(p.body) == 0 {
					return s.SubmitResponse(f.Hd.StreamID, p.resp, nil)
				}
				p.bodyOff[f.Hd.StreamID] = 0
				return s.SubmitResponse(f.Hd.StreamID, p.resp, &p.provider)
			}
			return nil
		},
	}
	ccb := &Callbacks{
		Send: func(s *Session, b []byte) (int, error) {
			p.cbuf = append(p.cbuf, b...)
			return len(b), nil
		},
		OnDataChunkRecv: func(s *Session, flags FrameFlags, id int32, data []byte) error {
			p.got += len(data)
			return nil
		},
		OnStreamClose: func(s *Session, id int32, code ErrorCode) error {
			p.done++
			return nil
		},
	}
	var err error
	if p.c, err = NewClientSession(ccb, opt); err != nil {
		tb.Fatal(err)
	}
	if p.s, err = NewServerSession(scb, opt); err != nil {
		tb.Fatal(err)
	}
	p.pump(tb)
	return p
}

// pump moves bytes until both sides are quiet.
func (p *memPair) pump(tb testing.TB) {
	for {
		p.cbuf = p.cbuf[:0]
		if err := p.c.Send(); err != nil {
			tb.Fatalf("client Send: %v", err)
		}
		if len(p.cbuf) > 0 {
			if _, err := p.s.MemRecv(p.cbuf); err != nil {
				tb.Fatalf("server MemRecv: %v", err)
			}
		}
		p.sbuf = p.sbuf[:0]
		if err := p.s.Send(); err != nil {
			tb.Fatalf("server Send: %v", err)
		}
		if len(p.sbuf) > 0 {
			if _, err := p.c.MemRecv(p.sbuf); err != nil {
				tb.Fatalf("client MemRecv: %v", err)
			}
		}
		if len(p.cbuf) == 0 && len(p.sbuf) == 0 {
			return
		}
	}
}

// roundTrip runs one GET: client submit, server response, client receive.
func (p *memPair) roundTrip(tb testing.TB) {
	done := p.done
	if _, err := p.c.SubmitRequest(p.req, nil, nil); err != nil {
		tb.Fatalf("SubmitRequest: %v", err)
	}
	p.pump(tb)
	if p.done != done+1 {
		tb.Fatalf("the request did not complete: %d streams closed, want %d", p.done, done+1)
	}
}

// bigWindows lets a 16 KiB body through without waiting for WINDOW_UPDATE.
var bigWindows = &Options{InitialWindowSize: 1 << 20, ConnectionWindowSize: 1 << 24}

func BenchmarkSessionGetRoundTrip(b *testing.B) {
	p := newMemPair(b, 0, nil)
	for range 100 {
		p.roundTrip(b)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p.roundTrip(b)
	}
}

func BenchmarkSessionData16KiB(b *testing.B) {
	p := newMemPair(b, 16<<10, bigWindows)
	for range 100 {
		p.roundTrip(b)
	}
	b.ReportAllocs()
	b.SetBytes(16 << 10)
	b.ResetTimer()
	for range b.N {
		p.roundTrip(b)
	}
}

func TestSessionSteadyStateAllocatesNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		bodyLen int
	}{
		{name: "GET round trip", bodyLen: 0},
		{name: "16 KiB response", bodyLen: 16 << 10},
		{name: "100 KiB response", bodyLen: 100 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newMemPair(t, tc.bodyLen, bigWindows)
			for range 100 {
				p.roundTrip(t)
			}
			got := p.got
			allocs := testing.AllocsPerRun(200, func() { p.roundTrip(t) })
			if allocs != 0 {
				t.Errorf("a %s on a warm session allocates %.1f times, want 0", tc.name, allocs)
			}
			if p.got-got < 201*tc.bodyLen {
				t.Errorf("the client received %d body octets over 201 requests, want %d", p.got-got, 201*tc.bodyLen)
			}
		})
	}
}

// xnetPair does the work of a round trip with golang.org/x/net/http2's
// Framer and hpack, for the comparison the benchmarks below report next to
// ours in one run:
//
//	go test -run XXX -bench 'Session|XNetRoundTrip' -benchmem ./h2/
//
// Client: encode the request fields, write HEADERS; server: read it,
// decode the block, encode the response fields, write HEADERS (and DATA);
// client: read them and decode the block. The session does more (stream
// states, flow control, messaging checks, callbacks), so this is a floor
// for the framing and compression alone.
type xnetPair struct {
	toServer, toClient bytes.Buffer
	cfr, sfr           *http2.Framer
	cblock, sblock     bytes.Buffer
	cenc, senc         *hpack.Encoder
	cdec, sdec         *hpack.Decoder
	req, resp          []hpack.HeaderField
	body               []byte
	got                int
}

func newXNetPair(bodyLen int) *xnetPair {
	p := &xnetPair{body: make([]byte, bodyLen)}
	p.cfr = http2.NewFramer(&p.toServer, &p.toClient)
	p.sfr = http2.NewFramer(&p.toClient, &p.toServer)
	p.cenc = hpack.NewEncoder(&p.cblock)
	p.senc = hpack.NewEncoder(&p.sblock)
	p.cdec = hpack.NewDecoder(4096, func(hpack.HeaderField) {})
	p.sdec = hpack.NewDecoder(4096, func(hpack.HeaderField) {})
	for _, nv := range getRequest() {
		p.req = append(p.req, hpack.HeaderField{Name: string(nv.Name), Value: string(nv.Value)})
	}
	p.resp = []hpack.HeaderField{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "application/octet-stream"}}
	return p
}

func (p *xnetPair) roundTrip(b *testing.B, id uint32) {
	p.cblock.Reset()
	for _, f := range p.req {
		p.cenc.WriteField(f)
	}
	p.cfr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: p.cblock.Bytes(), EndStream: true, EndHeaders: true})
	f, err := p.sfr.ReadFrame()
	if err != nil {
		b.Fatal(err)
	}
	p.sdec.Write(f.(*http2.HeadersFrame).HeaderBlockFragment())
	p.sblock.Reset()
	for _, f := range p.resp {
		p.senc.WriteField(f)
	}
	p.sfr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: p.sblock.Bytes(), EndStream: len(p.body) == 0, EndHeaders: true})
	if len(p.body) > 0 {
		p.sfr.WriteData(id, true, p.body)
	}
	for {
		f, err := p.cfr.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		switch f := f.(type) {
		case *http2.HeadersFrame:
			p.cdec.Write(f.HeaderBlockFragment())
		case *http2.DataFrame:
			p.got += len(f.Data())
		}
		if f.Header().Flags.Has(http2.FlagDataEndStream) {
			return
		}
	}
}

func BenchmarkXNetRoundTripGet(b *testing.B) {
	p := newXNetPair(0)
	b.ReportAllocs()
	id := uint32(1)
	for b.Loop() {
		p.roundTrip(b, id)
		id += 2
	}
}

func BenchmarkXNetRoundTripData16KiB(b *testing.B) {
	p := newXNetPair(16 << 10)
	b.ReportAllocs()
	b.SetBytes(16 << 10)
	id := uint32(1)
	for b.Loop() {
		p.roundTrip(b, id)
		id += 2
	}
}
