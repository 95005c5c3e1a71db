package wire

import "testing"

func TestParseHeaderAllocs(t *testing.T) {
	short := append(AppendShortHeader(nil, make([]byte, 8), 2, false), make([]byte, 1000)...)
	long, lo := AppendLongHeader(nil, PacketInitial, Version1, make([]byte, 8), make([]byte, 8), []byte("tok"), 2)
	long = append(long, make([]byte, 1000)...)
	PutVarint2(long[lo:], uint64(len(long)-lo-2))
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseHeader(short, 8); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseHeader(long, 8); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := DecodeVersionCID(long, 8); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ParseHeader/DecodeVersionCID allocate %.1f times per run, want 0", allocs)
	}
}

func BenchmarkParseHeaderShort(b *testing.B) {
	pkt := append(AppendShortHeader(nil, make([]byte, 8), 2, false), make([]byte, 1180)...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHeader(pkt, 8); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFrameStream(b *testing.B) {
	frame := AppendStreamFrame(nil, 4, 1<<20, make([]byte, 1150), false, true)
	var f Frame
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFrame(frame, &f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFrameAck(b *testing.B) {
	frame := ackWithRanges(16)
	f := Frame{AckRanges: make([]AckRange, 0, 32)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFrame(frame, &f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendStreamFrame(b *testing.B) {
	data := make([]byte, 1150)
	buf := make([]byte, 0, 1200)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		AppendStreamFrame(buf[:0], 4, 1<<20, data, false, true)
	}
}

func BenchmarkAppendAckFrame(b *testing.B) {
	ranges := make([]AckRange, 16)
	for i := range ranges {
		pn := uint64(1000 - 10*i)
		ranges[i] = AckRange{Smallest: pn - 5, Largest: pn}
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		AppendAckFrame(buf[:0], ranges, 100, nil)
	}
}

func BenchmarkParseTransportParams(b *testing.B) {
	p := baseParams(true)
	for _, tt := range tpTests {
		tt.set(&p)
	}
	enc := p.Append(nil, true)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTransportParams(enc, true); err != nil {
			b.Fatal(err)
		}
	}
}
