package h2

import (
	"bytes"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The codec benchmarks do the same work on both sides: encode a HEADERS
// frame carrying a typical request (HPACK included) or a 16 KiB DATA frame,
// then parse it back (HPACK decoding included). Ours first, then
// golang.org/x/net/http2's Framer with its hpack package, in one run:
//
//	go test -run XXX -bench 'Codec|XNetFramer' -benchmem ./h2/

func BenchmarkCodecHeadersFrame(b *testing.B) {
	var enc hpackEncoder
	enc.init(0)
	var dec hpackDecoder
	fields := 0
	dec.init(0, func(name, value []byte, flags NVFlag) error { fields++; return nil })
	var blockBuf, wire [1024]byte
	var f Frame
	b.ReportAllocs()
	for b.Loop() {
		block, _ := enc.Encode(blockBuf[:0], typicalRequest)
		out := appendHeadersFrame(wire[:0], 1, FlagEndHeaders|FlagEndStream, nil, block, 0)
		f.Hd = parseFrameHeader(out)
		frag, err := parseFramePayload(&f, out[FrameHeaderLen:], nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := dec.Decode(frag, true); err != nil {
			b.Fatal(err)
		}
	}
	if fields == 0 {
		b.Fatal("nothing decoded")
	}
}

func BenchmarkXNetFramerHeadersFrame(b *testing.B) {
	var wire bytes.Buffer
	var blockBuf bytes.Buffer
	henc := hpack.NewEncoder(&blockBuf)
	fields := 0
	hdec := hpack.NewDecoder(DefaultHeaderTableSize, func(hpack.HeaderField) { fields++ })
	rd := bytes.NewReader(nil)
	fr := http2.NewFramer(&wire, rd)
	hfs := make([]hpack.HeaderField, len(typicalRequest))
	for i, nv := range typicalRequest {
		hfs[i] = hpack.HeaderField{Name: string(nv.Name), Value: string(nv.Value)}
	}
	b.ReportAllocs()
	for b.Loop() {
		blockBuf.Reset()
		for _, hf := range hfs {
			_ = henc.WriteField(hf)
		}
		wire.Reset()
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blockBuf.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
			b.Fatal(err)
		}
		rd.Reset(wire.Bytes())
		got, err := fr.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := hdec.Write(got.(*http2.HeadersFrame).HeaderBlockFragment()); err != nil {
			b.Fatal(err)
		}
		if err := hdec.Close(); err != nil {
			b.Fatal(err)
		}
	}
	if fields == 0 {
		b.Fatal("nothing decoded")
	}
}

func BenchmarkCodecDataFrame16K(b *testing.B) {
	data := bytes.Repeat([]byte("x"), 16<<10)
	wire := make([]byte, 0, 17<<10)
	var f Frame
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		out := appendData(wire[:0], 1, 0, data, 0)
		f.Hd = parseFrameHeader(out)
		if _, err := parseFramePayload(&f, out[FrameHeaderLen:], nil); err != nil {
			b.Fatal(err)
		}
		if len(f.Payload) != len(data) {
			b.Fatal("short payload")
		}
	}
}

func BenchmarkXNetFramerDataFrame16K(b *testing.B) {
	data := bytes.Repeat([]byte("x"), 16<<10)
	var wire bytes.Buffer
	wire.Grow(17 << 10)
	rd := bytes.NewReader(nil)
	fr := http2.NewFramer(&wire, rd)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		wire.Reset()
		if err := fr.WriteData(1, false, data); err != nil {
			b.Fatal(err)
		}
		rd.Reset(wire.Bytes())
		got, err := fr.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		if len(got.(*http2.DataFrame).Data()) != len(data) {
			b.Fatal("short payload")
		}
	}
}
