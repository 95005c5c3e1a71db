package h2

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"
)

func nv(name, value string) NV { return NV{Name: []byte(name), Value: []byte(value)} }

var (
	typicalRequest = []NV{
		nv(":method", "GET"), nv(":scheme", "https"), nv(":authority", "example.com"),
		nv(":path", "/index.html"), nv("user-agent", "ngloop-test/1.0"),
		nv("accept", "*/*"), nv("accept-encoding", "gzip, deflate"),
	}
	typicalResponse = []NV{
		nv(":status", "200"), nv("content-type", "text/html; charset=utf-8"),
		nv("content-length", "1234"), nv("server", "ngloop"), nv("cache-control", "no-cache"),
	}
)

type gotField struct {
	name, value string
	flags       NVFlag
}

// fieldRecorder collects decoded fields; failAt makes the callback fail on
// the given field index of a block.
type fieldRecorder struct {
	got    []gotField
	failAt int
	n      int
}

var errRejected = errors.New("field rejected")

func (r *fieldRecorder) emit(name, value []byte, flags NVFlag) error {
	r.n++
	if r.failAt > 0 && r.n == r.failAt {
		return errRejected
	}
	r.got = append(r.got, gotField{string(name), string(value), flags})
	return nil
}

func newTestDecoder(maxList uint32) (*hpackDecoder, *fieldRecorder) {
	r := &fieldRecorder{}
	d := &hpackDecoder{}
	d.init(maxList, r.emit)
	return d, r
}

func wantFields(t *testing.T, what string, got []gotField, nva []NV) {
	t.Helper()
	if len(got) != len(nva) {
		t.Fatalf("%s: got %d fields %v, want %d", what, len(got), got, len(nva))
	}
	for i, f := range nva {
		want := gotField{string(f.Name), string(f.Value), f.Flags & NVFlagNoIndex}
		if got[i] != want {
			t.Fatalf("%s: field %d = %+v, want %+v", what, i, got[i], want)
		}
	}
}

func TestHPACKRoundTrip(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	d, r := newTestDecoder(0)
	for round := range 3 {
		for _, nva := range [][]NV{typicalRequest, typicalResponse} {
			block, err := e.Encode(nil, nva)
			if err != nil {
				t.Fatal(err)
			}
			r.got = r.got[:0]
			if err := d.Decode(block, true); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			wantFields(t, fmt.Sprintf("round %d", round), r.got, nva)
		}
	}
}

// TestHPACKInteropXNet checks our encoder against x/net's decoder and x/net's
// encoder against our decoder, over several blocks sharing one table.
func TestHPACKInteropXNet(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	xd := hpack.NewDecoder(DefaultHeaderTableSize, nil)
	var xbuf bytes.Buffer
	xe := hpack.NewEncoder(&xbuf)
	d, r := newTestDecoder(0)
	secret := NV{Name: []byte("authorization"), Value: []byte("Bearer x"), Flags: NVFlagNoIndex}
	lists := [][]NV{typicalRequest, append(append([]NV{}, typicalRequest...), secret), typicalResponse, typicalRequest}
	for i, nva := range lists {
		block, _ := e.Encode(nil, nva)
		fields, err := xd.DecodeFull(block)
		if err != nil {
			t.Fatalf("block %d: x/net cannot decode our block: %v", i, err)
		}
		for j, f := range fields {
			if f.Name != string(nva[j].Name) || f.Value != string(nva[j].Value) || f.Sensitive != (nva[j].Flags&NVFlagNoIndex != 0) {
				t.Fatalf("block %d field %d: x/net decoded %v, want %s", i, j, f, nva[j].Name)
			}
		}
		xbuf.Reset()
		for _, f := range nva {
			_ = xe.WriteField(hpack.HeaderField{Name: string(f.Name), Value: string(f.Value), Sensitive: f.Flags&NVFlagNoIndex != 0})
		}
		r.got = r.got[:0]
		if err := d.Decode(xbuf.Bytes(), true); err != nil {
			t.Fatalf("block %d: we cannot decode x/net's block: %v", i, err)
		}
		wantFields(t, fmt.Sprintf("x/net block %d", i), r.got, nva)
	}
}

func TestHPACKNoIndexIsNeverIndexedLiteral(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	block, _ := e.Encode(nil, []NV{{Name: []byte("cookie"), Value: []byte("a=b"), Flags: NVFlagNoIndex}})
	// RFC 7541, Section 6.2.3: '0001' followed by a 4-bit prefix index.
	if block[0]&0xf0 != 0x10 {
		t.Fatalf("NVFlagNoIndex must produce a never-indexed literal, first octet %#x", block[0])
	}
	again, _ := e.Encode(nil, []NV{{Name: []byte("cookie"), Value: []byte("a=b"), Flags: NVFlagNoIndex}})
	if !bytes.Equal(block, again) {
		t.Fatal("a never-indexed field must not enter the dynamic table")
	}
	d, r := newTestDecoder(0)
	if err := d.Decode(block, true); err != nil || len(r.got) != 1 || r.got[0].flags != NVFlagNoIndex {
		t.Fatalf("decoder must report never-indexed fields with NVFlagNoIndex: %v %v", r.got, err)
	}
}

// TestHPACKEncoderKeepsNoCallerMemory reuses and overwrites the caller's
// buffers between blocks: the encoder's table must hold its own copies.
func TestHPACKEncoderKeepsNoCallerMemory(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	d, r := newTestDecoder(0)
	name, value := []byte("x-custom"), []byte("first-value")
	for i := range 3 {
		block, _ := e.Encode(nil, []NV{{Name: name, Value: value}})
		r.got = r.got[:0]
		if err := d.Decode(block, true); err != nil {
			t.Fatal(err)
		}
		if r.got[0].name != "x-custom" || r.got[0].value != "first-value" {
			t.Fatalf("block %d decoded %+v after the caller reused its buffers", i, r.got[0])
		}
		copy(value, "XXXXXXXXXXX") // poison the caller's memory
		copy(name, "y-poison")
		name, value = []byte("x-custom"), []byte("first-value")
	}
}

func TestHPACKEncoderInternBounded(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	for i := range 10000 {
		_, _ = e.Encode(nil, []NV{nv("x-id", fmt.Sprintf("value-%08d", i))})
	}
	if e.internBytes > e.internLimit() {
		t.Fatalf("intern cache holds %d octets, limit %d", e.internBytes, e.internLimit())
	}
}

func TestHPACKEncoderTableSizeUpdate(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	_, _ = e.Encode(nil, typicalRequest)
	e.SetPeerMaxTableSize(0)
	block, _ := e.Encode(nil, typicalRequest[:1])
	// RFC 7541, Section 6.3: '001' followed by a 5-bit prefix size: 0x20 is size 0.
	if block[0] != 0x20 {
		t.Fatalf("after SETTINGS_HEADER_TABLE_SIZE=0 the next block must start with a size update to 0, got %x", block)
	}
	next, _ := e.Encode(nil, typicalRequest[:1])
	if next[0]&0xe0 == 0x20 {
		t.Fatalf("the size update is sent once, got %x", next)
	}
	// Shrink then grow before the next block: smallest first, then final.
	e.SetPeerMaxTableSize(100)
	e.SetPeerMaxTableSize(50)
	e.SetPeerMaxTableSize(8192)
	block, _ = e.Encode(nil, typicalRequest[:1])
	xd := hpack.NewDecoder(DefaultHeaderTableSize, nil)
	if block[0] != 0x3f || block[1] != 0x13 { // 50 = 31 + 19
		t.Fatalf("want the minimum (50) announced first, got %x", block)
	}
	if _, err := xd.DecodeFull(block); err != nil {
		t.Fatal(err)
	}
	if got := e.enc.MaxDynamicTableSize(); got != DefaultHeaderTableSize {
		t.Fatalf("our cap (4096) bounds the table whatever the peer allows, got %d", got)
	}
}

func TestHPACKDecoderTableSize(t *testing.T) {
	xenc := func(update uint32, fields ...hpack.HeaderField) []byte {
		var b bytes.Buffer
		e := hpack.NewEncoder(&b)
		if update != DefaultHeaderTableSize {
			e.SetMaxDynamicTableSizeLimit(update)
		}
		for _, f := range fields {
			_ = e.WriteField(f)
		}
		return b.Bytes()
	}
	get := hpack.HeaderField{Name: ":method", Value: "GET"}

	d, _ := newTestDecoder(0)
	d.SetMaxTableSize(100)
	if err := d.Decode(xenc(DefaultHeaderTableSize, get), true); err != errHPACKNoSizeUpdate {
		t.Fatalf("after lowering SETTINGS_HEADER_TABLE_SIZE a block without a size update is a COMPRESSION_ERROR, got %v", err)
	}

	d, r := newTestDecoder(0)
	d.SetMaxTableSize(100)
	if err := d.Decode(xenc(100, get), true); err != nil || len(r.got) != 1 {
		t.Fatalf("a block starting with the owed update decodes: %v %v", err, r.got)
	}
	if err := d.Decode(xenc(DefaultHeaderTableSize, get), true); err != nil {
		t.Fatalf("the update is owed once: %v", err)
	}

	d, _ = newTestDecoder(0)
	d.SetMaxTableSize(100)
	if err := d.Decode([]byte{0x3f, 0xe1, 0x1f}, true); err != errHPACKDecode { // update to 4096 > 100
		t.Fatalf("a size update above our setting is a COMPRESSION_ERROR, got %v", err)
	}

	d, _ = newTestDecoder(0)
	d.SetMaxTableSize(8192) // raising needs no update
	if err := d.Decode(xenc(DefaultHeaderTableSize, get), true); err != nil {
		t.Fatal(err)
	}
	d.SetMaxTableSize(0)
	if err := d.Decode(nil, true); err != errHPACKNoSizeUpdate {
		t.Fatalf("an empty block cannot carry an owed update: %v", err)
	}
}

func TestHPACKDecoderHeaderListSize(t *testing.T) {
	d, r := newTestDecoder(100)
	// 2 fields of 5+5+32 = 42 octets fit in 100; a third does not.
	var b bytes.Buffer
	e := hpack.NewEncoder(&b)
	for i := range 3 {
		_ = e.WriteField(hpack.HeaderField{Name: fmt.Sprintf("name%d", i), Value: "value"})
	}
	err := d.Decode(b.Bytes(), true)
	if err != errHeaderListTooLarge {
		t.Fatalf("want hpack_header_list_too_large, got %v", err)
	}
	if len(r.got) != 2 {
		t.Fatalf("fields within the limit are delivered, the rest not: %v", r.got)
	}
	if err := d.Decode([]byte{0x82}, true); err != errHeaderListTooLarge {
		t.Fatalf("the decoder stays broken: %v", err)
	}
}

func TestHPACKDecoderLongStringRefused(t *testing.T) {
	d, r := newTestDecoder(1000)
	block := []byte{0x00, 0x01, 'x', 0x7f, 0xe9, 0x07} // literal, value length 1000 (127+873), no data yet
	if err := d.Decode(block, false); err != errHPACKDecode {
		t.Fatalf("a string longer than the list bound is refused before its bytes arrive: %v", err)
	}
	if len(r.got) != 0 {
		t.Fatal(r.got)
	}
}

// TestHPACKDecoderBomb: one large table entry referenced thousands of times
// by a small block is stopped at the header list size.
func TestHPACKDecoderBomb(t *testing.T) {
	d, r := newTestDecoder(DefaultMaxHeaderListSize)
	var b bytes.Buffer
	e := hpack.NewEncoder(&b)
	_ = e.WriteField(hpack.HeaderField{Name: "x", Value: strings.Repeat("a", 4000)})
	bomb := bytes.Repeat([]byte{0xbe}, 16000) // indexed field 62: the entry above
	if err := d.Decode(b.Bytes(), false); err != nil {
		t.Fatal(err)
	}
	err := d.Decode(bomb, true)
	if err != errHeaderListTooLarge {
		t.Fatalf("want hpack_header_list_too_large, got %v", err)
	}
	if len(r.got) > DefaultMaxHeaderListSize/4000 {
		t.Fatalf("delivered %d fields (%d KiB) before stopping", len(r.got), len(r.got)*4)
	}
}

// TestHPACKDecoderCallbackErrorKeepsTable: a field rejected by the session
// stops delivery for the block but the table stays usable for the next.
func TestHPACKDecoderCallbackErrorKeepsTable(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	d, r := newTestDecoder(0)
	r.failAt = 2
	block1, _ := e.Encode(nil, typicalRequest)
	half := len(block1) / 2
	if err := d.Decode(block1[:half], false); err != errRejected {
		t.Fatalf("the callback's error is returned from the call where it arose: %v", err)
	}
	if err := d.Decode(block1[half:], true); err != nil {
		t.Fatalf("the error is reported once: %v", err)
	}
	if len(r.got) != 1 {
		t.Fatalf("no field is delivered after the callback fails: %v", r.got)
	}
	r.failAt, r.got = 0, nil
	block2, _ := e.Encode(nil, typicalRequest)
	if err := d.Decode(block2, true); err != nil {
		t.Fatal(err)
	}
	wantFields(t, "the block after a rejected one", r.got, typicalRequest)
}

func TestHPACKDecoderTruncated(t *testing.T) {
	d, _ := newTestDecoder(0)
	if err := d.Decode([]byte{0x40, 0x05, 'a'}, true); err != errHPACKTruncated {
		t.Fatalf("a block ending inside a field is a COMPRESSION_ERROR: %v", err)
	}
	d, _ = newTestDecoder(0)
	if err := d.Decode([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, true); err != errHPACKDecode {
		t.Fatalf("an index past the tables is a COMPRESSION_ERROR: %v", err)
	}
}

func TestHPACKDecoderAnyFragmentation(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	block, _ := e.Encode(nil, append(append([]NV{}, typicalRequest...), nv("x-long", strings.Repeat("z", 300))))
	for cut := range len(block) + 1 {
		d, r := newTestDecoder(0)
		if err := d.Decode(block[:cut], false); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if err := d.Decode(block[cut:], true); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if len(r.got) != len(typicalRequest)+1 {
			t.Fatalf("cut %d: %d fields", cut, len(r.got))
		}
	}
}

// TestHPACKSteadyStateNoAllocs: a reused encoder and decoder exchange a
// typical request and response without allocating once the tables are warm.
func TestHPACKSteadyStateNoAllocs(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	var d hpackDecoder
	count := 0
	d.init(0, func(name, value []byte, flags NVFlag) error { count++; return nil })
	buf := make([]byte, 0, 1024)
	roundTrip := func() {
		for _, nva := range [][]NV{typicalRequest, typicalResponse} {
			block, _ := e.Encode(buf[:0], nva)
			if err := d.Decode(block, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	roundTrip()
	if n := testing.AllocsPerRun(100, roundTrip); n != 0 {
		t.Fatalf("steady-state HPACK must not allocate; got %v allocs per request/response", n)
	}
	if count != 102*(len(typicalRequest)+len(typicalResponse)) {
		t.Fatalf("decoded %d fields", count)
	}
}

func FuzzHPACKDecode(f *testing.F) {
	var e hpackEncoder
	e.init(0)
	for _, nva := range [][]NV{typicalRequest, typicalResponse} {
		b, _ := e.Encode(nil, nva)
		f.Add(uint8(len(b)/2), b)
	}
	f.Add(uint8(1), []byte{0x3f, 0xe1, 0x1f, 0x82})
	f.Add(uint8(0), []byte{0x40, 0x01, 'a', 0x01, 'b', 0xbe, 0xbe, 0xbe})
	f.Fuzz(func(t *testing.T, cut uint8, block []byte) {
		var got []hpack.HeaderField
		var d hpackDecoder
		d.init(512, func(name, value []byte, flags NVFlag) error {
			got = append(got, hpack.HeaderField{Name: string(name), Value: string(value), Sensitive: flags == NVFlagNoIndex})
			return nil
		})
		c := min(int(cut), len(block))
		err := d.Decode(block[:c], false)
		if err == nil {
			err = d.Decode(block[c:], true)
		}
		var size int
		for _, f := range got {
			size += len(f.Name) + len(f.Value) + 32
		}
		if size > 512 {
			t.Fatalf("delivered %d octets past the 512 limit", size)
		}
		if err != nil {
			if _, ok := err.(*codecError); !ok {
				t.Fatalf("decoder errors must be codecErrors: %T %v", err, err)
			}
			return
		}
		// What we accept, x/net's decoder decodes to the same fields, except
		// blocks opening with two size updates (RFC 7541, Section 4.2 allows
		// them; x/net's decoder refuses the second).
		updates := 0
		for p := block; len(p) > 0 && p[0]&0xe0 == 0x20; updates++ {
			var ok bool
			if _, p, ok = readPrefixInt(p, 5); !ok {
				break
			}
		}
		if updates > 1 {
			return
		}
		want, xerr := hpack.NewDecoder(DefaultHeaderTableSize, nil).DecodeFull(block)
		if xerr != nil {
			t.Fatalf("we accepted a block x/net rejects: %v", xerr)
		}
		if len(want) != len(got) {
			t.Fatalf("got %d fields, x/net %d", len(got), len(want))
		}
		for i := range want {
			if want[i] != got[i] {
				t.Fatalf("field %d: got %v, x/net %v", i, got[i], want[i])
			}
		}
	})
}

// TestHPACKEncoderShrinkThenGrowStaysInSync: a table shrunk to 0 and grown
// back between two blocks must announce the 0 so the peer evicts too.
func TestHPACKEncoderShrinkThenGrowStaysInSync(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	d, r := newTestDecoder(0)
	for i := range 4 {
		block, _ := e.Encode(nil, typicalRequest)
		r.got = r.got[:0]
		if err := d.Decode(block, true); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		wantFields(t, fmt.Sprintf("block %d", i), r.got, typicalRequest)
		e.SetPeerMaxTableSize(uint32(i%2) * 64)
		e.SetPeerMaxTableSize(DefaultHeaderTableSize)
	}
}

// TestHPACKLongValuesNoAllocs: long field values (a 3 KiB cookie) are
// interned like short ones and cost no allocation once seen.
func TestHPACKLongValuesNoAllocs(t *testing.T) {
	var e hpackEncoder
	e.init(0)
	nva := append(append([]NV{}, typicalRequest...), nv("cookie", strings.Repeat("c", 3000)))
	buf := make([]byte, 0, 8192)
	_, _ = e.Encode(buf[:0], nva)
	if n := testing.AllocsPerRun(100, func() { _, _ = e.Encode(buf[:0], nva) }); n != 0 {
		t.Fatalf("encoding a seen long value allocates %v times", n)
	}
}
