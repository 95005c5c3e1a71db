package h2

// HPACK (RFC 7541) for the session: thin wrappers over
// golang.org/x/net/http2/hpack that keep one encoder and one decoder per
// session, take and give []byte without copying where that is safe, apply
// SETTINGS_HEADER_TABLE_SIZE in both directions, and bound what a peer can
// make the decoder do (RFC 9113, Section 6.5.2 SETTINGS_MAX_HEADER_LIST_SIZE;
// RFC 7541, Section 7.3 memory consumption).

import (
	"unsafe"

	"golang.org/x/net/http2/hpack"
)

// DefaultHeaderTableSize is the initial SETTINGS_HEADER_TABLE_SIZE (RFC 9113,
// Section 6.5.2) and the default size of our encoder's dynamic table.
const DefaultHeaderTableSize = 4096

// DefaultMaxHeaderListSize is the decoder's default bound on a decoded field
// block: the sum over fields of name + value + 32 octets (RFC 9113, Section
// 6.5.2). nghttp2 refuses single fields over 64 KiB; this bounds the block.
const DefaultMaxHeaderListSize = 64 << 10

// hpackFieldOverhead is the per-field overhead counted by
// SETTINGS_MAX_HEADER_LIST_SIZE and by the dynamic table (RFC 7541, Section 4.1).
const hpackFieldOverhead = 32

var (
	// errHeaderListTooLarge: the decoded block exceeds the max header list
	// size. Decoding stops at the end of the fragment in hand, so the
	// dynamic table is no longer in step with the peer's and the connection
	// cannot continue (RFC 9113, Section 4.3: "A decoding error in a field
	// block MUST be treated as a connection error of type COMPRESSION_ERROR").
	errHeaderListTooLarge = connErr(CompressionError, "hpack_header_list_too_large")
	errHPACKDecode        = connErr(CompressionError, "hpack_decoding_error")
	errHPACKTruncated     = connErr(CompressionError, "hpack_truncated_block")
	errHPACKNoSizeUpdate  = connErr(CompressionError, "hpack_missing_table_size_update")
)

// appendWriter is the io.Writer the hpack.Encoder writes to: it appends to
// a slice the wrapper lends it for one Encode call.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// hpackEncoder encodes header lists for one session.
//
// The hpack.Encoder keeps the strings of every field it indexes in its
// dynamic table (and as map keys), so a string it may keep must not be a
// view of caller memory. Fields it cannot keep (never-indexed ones and those
// larger than the table) are passed as views; the others are interned: a
// field seen before reuses the string made the first time, so a steady
// stream of similar requests encodes without allocation. The intern cache
// is bounded and simply dropped when full; strings the encoder still holds
// stay valid because they are ordinary immutable strings.
type hpackEncoder struct {
	enc          *hpack.Encoder
	w            appendWriter
	maxTableSize uint32 // our cap on the table, whatever the peer allows
	intern       *[internSlots]string
	internBytes  int
	// lastName and lastValue remember, per position, the strings used for
	// the previous header list: similar requests or responses in a row
	// find theirs with one comparison, without hashing.
	lastName, lastValue [lastFields]string
}

// lastFields is how many leading fields of a header list the position
// memo covers; lastMaxLen bounds the strings it keeps alive.
const (
	lastFields = 16
	lastMaxLen = 256
)

// strAt is str with the position memo in front.
func (e *hpackEncoder) strAt(memo *[lastFields]string, i int, b []byte) string {
	if i >= lastFields || len(b) > lastMaxLen {
		return e.str(b)
	}
	if s := memo[i]; s == view(b) {
		return s
	}
	s := e.str(b)
	memo[i] = s
	return s
}

// init prepares e with a dynamic table of at most maxTableSize octets
// (DefaultHeaderTableSize if 0). The peer's SETTINGS_HEADER_TABLE_SIZE
// starts at its RFC default, 4096.
func (e *hpackEncoder) init(maxTableSize uint32) {
	if maxTableSize == 0 {
		maxTableSize = DefaultHeaderTableSize
	}
	e.maxTableSize = maxTableSize
	e.enc = hpack.NewEncoder(&e.w)
	// The intern cache (4 KiB) is made by the first block that uses it:
	// idle connections, of which a server may hold many, never pay.
	e.intern = nil
	e.internBytes = 0
	// The encoder starts at the RFC default, 4096, which the peer's
	// SETTINGS_HEADER_TABLE_SIZE also starts at; a smaller cap is
	// announced in the first block.
	e.SetPeerMaxTableSize(DefaultHeaderTableSize)
}

// SetPeerMaxTableSize applies the peer's SETTINGS_HEADER_TABLE_SIZE. The
// table used is the smaller of v and our own cap; a change is announced by
// a dynamic table size update at the start of the next field block (RFC
// 7541, Section 4.2; if the table shrank and grew again in between, the
// smallest size is announced first, then the final one).
func (e *hpackEncoder) SetPeerMaxTableSize(v uint32) {
	want, cur := min(v, e.maxTableSize), e.enc.MaxDynamicTableSize()
	// Shrink through SetMaxDynamicTableSize, which remembers the minimum
	// to announce; hpack's SetMaxDynamicTableSizeLimit would shrink without
	// remembering it, and a later growth would then hide the eviction from
	// the peer's decoder.
	if want < cur {
		e.enc.SetMaxDynamicTableSize(want)
	}
	e.enc.SetMaxDynamicTableSizeLimit(v)
	if want > cur {
		e.enc.SetMaxDynamicTableSize(want)
	}
}

// internSlots is the size of the direct-mapped intern cache.
const internSlots = 256

// internLimit bounds the octets the intern cache holds. Only fields that
// fit the dynamic table are interned, so this keeps a few tables' worth.
func (e *hpackEncoder) internLimit() int {
	return 4*int(e.maxTableSize) + 4096
}

// internWays is the associativity of the intern cache: a set holds this
// many strings, most recently used first.
const internWays = 4

// internHash is FNV-1a over the length and at most the first and last 16
// octets, so a long value (a 4 KiB cookie) costs no more to look up than
// a short one; values alike at both ends share a set, and the LRU ways
// absorb that.
func internHash(b []byte) uint64 {
	h := uint64(14695981039346656037) ^ uint64(len(b))
	head, tail := b, []byte(nil)
	if len(b) > 32 {
		head, tail = b[:16], b[len(b)-16:]
	}
	for _, c := range head {
		h = (h ^ uint64(c)) * 1099511628211
	}
	for _, c := range tail {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

// str returns an immutable string equal to b, reusing the one made last
// time b's content was seen. The cache is set associative over an FNV-1a
// hash of b (deterministic, so the allocation behaviour is reproducible; a
// collision costs an allocation, never a wrong string, because a hit is
// confirmed by comparing the content).
func (e *hpackEncoder) str(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	if e.intern == nil {
		e.intern = new([internSlots]string)
	}
	h := internHash(b)
	set := e.intern[(h%(internSlots/internWays))*internWays:][:internWays]
	for i, s := range set {
		if s == view(b) {
			copy(set[1:i+1], set[:i]) // move to front
			set[0] = s
			return s
		}
	}
	if e.internBytes+n > e.internLimit() {
		clear(e.intern[:])
		e.internBytes = 0
	}
	s := string(b)
	e.internBytes += n - len(set[internWays-1])
	copy(set[1:], set[:internWays-1])
	set[0] = s
	return s
}

func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Encode appends the field block for nva to dst and returns it. Fields with
// NVFlagNoIndex become never-indexed literals (RFC 7541, Section 6.2.3), so
// no intermediary will index them either. Field names must already be
// lowercase (RFC 9113, Section 8.2.1); Encode does not check or convert.
// Returns the block and nil; the error is kept for future encoders that can
// fail.
func (e *hpackEncoder) Encode(dst []byte, nva []NV) ([]byte, error) {
	e.w.b = dst
	tableMax := e.enc.MaxDynamicTableSize()
	for i := range nva {
		nv := &nva[i]
		f := hpack.HeaderField{Sensitive: nv.Flags&NVFlagNoIndex != 0}
		if f.Sensitive || uint32(len(nv.Name)+len(nv.Value)+hpackFieldOverhead) > tableMax {
			// Never added to the dynamic table: views are safe for the call.
			f.Name, f.Value = view(nv.Name), view(nv.Value)
		} else {
			f.Name, f.Value = e.strAt(&e.lastName, i, nv.Name), e.strAt(&e.lastValue, i, nv.Value)
		}
		if err := e.enc.WriteField(f); err != nil {
			dst, e.w.b = e.w.b, nil
			return dst, err
		}
	}
	dst, e.w.b = e.w.b, nil
	return dst, nil
}

// hpackFieldFunc receives one decoded field. name and value are views that
// are valid only during the call (for indexed fields they point into the
// decoder's dynamic or static table and must not be modified). flags has
// NVFlagNoIndex for never-indexed literals, which an intermediary must
// forward as such (RFC 7541, Section 7.1.3). A non-nil error stops the
// delivery of further fields of the block and is returned by Decode.
type hpackFieldFunc func(name, value []byte, flags NVFlag) error

// hpackDecoder decodes field blocks for one session, fragment by fragment
// (HEADERS or PUSH_PROMISE, then CONTINUATION frames).
//
// Two kinds of failure differ in what the session can do next. A field the
// emit callback rejects (a malformed request, a stream error) turns field
// delivery off for the rest of the block, but the block is still decoded so
// the dynamic table stays in step with the peer's and the connection can
// go on. A decoding error, an oversized header list or a missing table
// size update break the decoder: RFC 9113, Section 4.3: "A decoding error
// in a field block MUST be treated as a connection error of type
// COMPRESSION_ERROR".
type hpackDecoder struct {
	dec         *hpack.Decoder
	emit        hpackFieldFunc
	maxListSize uint64
	listSize    uint64
	emitErr     error // the callback failed: silent until the block ends
	newErr      error // error to report from the current Decode call
	broken      error // sticky connection-level failure

	// Dynamic table size bookkeeping (RFC 7541, Section 4.2).
	allowedTableSize uint32 // our SETTINGS_HEADER_TABLE_SIZE, as acknowledged
	tableSize        uint32 // the size the peer's last update set
	expectSizeUpdate bool   // the next block must start with an update
	atBlockStart     bool   // no byte of the current block seen yet
}

// init prepares d with the RFC's initial table size (4096) and maxListSize
// as the header list bound (DefaultMaxHeaderListSize if 0). emit is the
// per-field callback, set once so decoding does not allocate. Call
// SetMaxTableSize when the peer acknowledges another
// SETTINGS_HEADER_TABLE_SIZE.
func (d *hpackDecoder) init(maxListSize uint32, emit hpackFieldFunc) {
	*d = hpackDecoder{
		dec:              hpack.NewDecoder(DefaultHeaderTableSize, nil),
		emit:             emit,
		allowedTableSize: DefaultHeaderTableSize,
		tableSize:        DefaultHeaderTableSize,
		atBlockStart:     true,
	}
	d.dec.SetEmitFunc(d.onField)
	if maxListSize == 0 {
		maxListSize = DefaultMaxHeaderListSize
	}
	d.SetMaxHeaderListSize(maxListSize)
}

// SetMaxHeaderListSize changes the header list bound (our
// SETTINGS_MAX_HEADER_LIST_SIZE) from the next field on.
func (d *hpackDecoder) SetMaxHeaderListSize(v uint32) {
	d.maxListSize = uint64(v)
	// A single string longer than the whole list can never be accepted:
	// the decoder refuses it before Huffman-decoding or copying it.
	d.dec.SetMaxStringLength(int(v))
}

// SetMaxTableSize applies our SETTINGS_HEADER_TABLE_SIZE once the peer
// has acknowledged it (RFC 9113, Section 6.5.3: the value takes effect at
// the acknowledgment). If the peer's table is now larger than allowed, its
// next field block MUST begin with a dynamic table size update (RFC 7541,
// Section 4.2); a block without one draws COMPRESSION_ERROR.
func (d *hpackDecoder) SetMaxTableSize(v uint32) {
	d.allowedTableSize = v
	d.dec.SetAllowedMaxDynamicTableSize(v)
	if d.tableSize > v {
		d.expectSizeUpdate = true
	}
}

func (d *hpackDecoder) onField(f hpack.HeaderField) {
	d.listSize += uint64(len(f.Name)) + uint64(len(f.Value)) + hpackFieldOverhead
	if d.listSize > d.maxListSize {
		// An HPACK bomb (a small block referencing large table entries
		// many times) ends here: nothing more is handed out and the
		// session tears the connection down.
		d.breakWith(errHeaderListTooLarge)
		return
	}
	var flags NVFlag
	if f.Sensitive {
		flags = NVFlagNoIndex
	}
	name := unsafe.Slice(unsafe.StringData(f.Name), len(f.Name))
	value := unsafe.Slice(unsafe.StringData(f.Value), len(f.Value))
	if err := d.emit(name, value, flags); err != nil {
		d.emitErr, d.newErr = err, err
		d.dec.SetEmitEnabled(false)
	}
}

func (d *hpackDecoder) breakWith(err error) {
	if d.broken == nil {
		d.broken, d.newErr = err, err
	}
	d.dec.SetEmitEnabled(false)
}

// Decode decodes the next fragment of the current field block; end marks
// the last fragment (END_HEADERS). Fields go to the emit callback as they
// complete. An error is returned once, from the call in which it arose.
// After an emit callback error, call Decode for the remaining fragments
// all the same (it keeps the table in step and delivers nothing). After a
// *codecError the decoder is broken and every later call returns it.
//
// Returns nil on success, or one of: the emit callback's error; a
// *codecError with CompressionError — hpack_header_list_too_large (the
// block exceeds the max header list size, counting 32 octets per field as
// RFC 9113 Section 6.5.2 does), hpack_decoding_error (invalid HPACK,
// including a string longer than the list bound or a table size update
// above our setting), hpack_truncated_block (the block ended inside a
// representation), hpack_missing_table_size_update (RFC 7541, Section 4.2).
func (d *hpackDecoder) Decode(frag []byte, end bool) error {
	if d.broken != nil {
		return d.broken
	}
	d.newErr = nil
	if len(frag) > 0 && d.atBlockStart {
		d.atBlockStart = false
		frag = d.blockStart(frag)
	}
	if d.broken == nil && len(frag) > 0 {
		if _, err := d.dec.Write(frag); err != nil {
			d.breakWith(errHPACKDecode)
		}
	}
	if end && d.broken == nil {
		if d.atBlockStart && d.expectSizeUpdate {
			d.breakWith(errHPACKNoSizeUpdate) // an empty block cannot carry the update
		} else if err := d.dec.Close(); err != nil {
			d.breakWith(errHPACKTruncated)
		}
		d.listSize = 0
		d.atBlockStart = true
		d.emitErr = nil
		if d.broken == nil {
			d.dec.SetEmitEnabled(true)
		}
	}
	err := d.newErr
	d.newErr = nil
	return err
}

// blockStart handles the dynamic table size updates at the start of a
// block (RFC 7541, Section 6.3: pattern 001xxxxx, 5-bit prefix integer) and
// returns the rest of the fragment. RFC 7541, Section 4.2 allows two
// updates there (the smallest size reached, then the final one); the
// hpack.Decoder refuses a second update once its table holds entries, so
// the updates are applied here, each checked against our setting, and
// only the fields go to the hpack.Decoder. An update split across
// fragments (which no encoder does on purpose) is left to the
// hpack.Decoder, which accepts a single one.
func (d *hpackDecoder) blockStart(p []byte) []byte {
	sawUpdate := false
	for len(p) > 0 && p[0]&0xe0 == 0x20 {
		v, rest, ok := readPrefixInt(p, 5)
		if !ok {
			break
		}
		if v > uint64(d.allowedTableSize) {
			d.breakWith(errHPACKDecode)
			return nil
		}
		sawUpdate = true
		d.tableSize = uint32(v)
		d.dec.SetMaxDynamicTableSize(uint32(v))
		p = rest
	}
	if len(p) > 0 && p[0]&0xe0 == 0x20 {
		sawUpdate = true // split update: the hpack.Decoder checks it
	}
	if d.expectSizeUpdate {
		if !sawUpdate {
			d.breakWith(errHPACKNoSizeUpdate)
			return nil
		}
		d.expectSizeUpdate = false
	}
	return p
}

// readPrefixInt decodes an HPACK integer with an n-bit prefix (RFC 7541,
// Section 5.1). ok is false if p ends first or the value exceeds 2^32.
func readPrefixInt(p []byte, n uint) (v uint64, rest []byte, ok bool) {
	mask := uint64(1)<<n - 1
	v = uint64(p[0]) & mask
	p = p[1:]
	if v < mask {
		return v, p, true
	}
	for shift := uint(0); len(p) > 0 && shift <= 28; shift += 7 {
		b := p[0]
		p = p[1:]
		v += uint64(b&0x7f) << shift
		if b&0x80 == 0 {
			return v, p, true
		}
	}
	return 0, nil, false
}
