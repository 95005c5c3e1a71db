package wire

import (
	"bytes"
	"reflect"
	"testing"
)

// within reports whether s is a view into b (or empty).
func within(s, b []byte) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i+len(s) <= len(b); i++ {
		if &b[i] == &s[0] {
			return true
		}
	}
	return false
}

// FuzzParseHeader: no panics; every view stays inside the input; offsets
// are ordered; a long header re-encoded with AppendLongHeader parses to
// the same fields; DecodeVersionCID agrees on version and CIDs.
func FuzzParseHeader(f *testing.F) {
	f.Add(unhex("c000000001088394c8f03e5157080000449e00000002"), uint8(8))
	f.Add(unhex("4200bff4"), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, shortLen uint8) {
		sl := int(shortLen % 21)
		h, err := ParseHeader(b, sl)
		n, lerr := PacketLen(b, sl)
		if (err == nil || err == ErrUnsupportedVersion) != (lerr == nil || lerr == ErrUnsupportedVersion) || (lerr == nil && n != h.PacketLen) {
			t.Fatalf("PacketLen = %d, %v; ParseHeader = %+v, %v", n, lerr, h, err)
		}
		if err != nil && err != ErrUnsupportedVersion {
			return
		}
		if !within(h.DstConnID, b) || !within(h.SrcConnID, b) || !within(h.Token, b) {
			t.Fatal("header slice outside the input")
		}
		if h.PNOffset < 0 || h.PNOffset > h.PacketLen || h.PacketLen > len(b) {
			t.Fatalf("PNOffset %d PacketLen %d len %d", h.PNOffset, h.PacketLen, len(b))
		}
		v, dcid, scid, derr := DecodeVersionCID(b, sl)
		if derr == nil || derr == ErrVersionNegotiation {
			if v != h.Version || !bytes.Equal(dcid, h.DstConnID) || !bytes.Equal(scid, h.SrcConnID) {
				t.Fatalf("DecodeVersionCID = %#x %x %x; ParseHeader %+v", v, dcid, scid, h)
			}
		}
		switch h.Type {
		case PacketInitial, Packet0RTT, PacketHandshake:
			if err != nil || h.Length >= 1<<14 {
				return
			}
			pnLen := int(b[0]&3) + 1
			out, lo := AppendLongHeader(nil, h.Type, h.Version, h.DstConnID, h.SrcConnID, h.Token, pnLen)
			out = append(out, b[h.PNOffset:h.PacketLen]...)
			PutVarint2(out[lo:], h.Length)
			h2, err := ParseHeader(out, sl)
			if err != nil || h2.Type != h.Type || h2.Version != h.Version || h2.Length != h.Length ||
				!bytes.Equal(h2.DstConnID, h.DstConnID) || !bytes.Equal(h2.SrcConnID, h.SrcConnID) ||
				!bytes.Equal(h2.Token, h.Token) || h2.PacketLen != len(out) {
				t.Fatalf("re-encoded header parsed to %+v, %v; want %+v", h2, err, h)
			}
		}
	})
}

// FuzzParseFrame walks a payload frame by frame: no panics, consumed
// bytes always advance and stay in range, and every parsed frame survives
// AppendFrame + ParseFrame unchanged.
func FuzzParseFrame(f *testing.F) {
	for _, tt := range frameTests {
		f.Add(unhex(tt.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		f1 := Frame{AckRanges: make([]AckRange, 0, 16)}
		f2 := Frame{AckRanges: make([]AckRange, 0, 16)}
		for len(b) > 0 {
			n, err := ParseFrame(b, &f1)
			if err != nil {
				if _, ok := err.(*TransportError); !ok {
					t.Fatalf("error %v is not a *TransportError", err)
				}
				return
			}
			if n <= 0 || n > len(b) {
				t.Fatalf("consumed %d of %d bytes", n, len(b))
			}
			if !within(f1.Data, b) || !within(f1.ConnID, b) || !within(f1.Reason, b) {
				t.Fatal("frame slice outside the input")
			}
			if f1.AckRangesDropped == 0 {
				enc := AppendFrame(nil, &f1)
				m, err := ParseFrame(enc, &f2)
				if err != nil || m != len(enc) {
					t.Fatalf("re-parse of %x: %d, %v", enc, m, err)
				}
				if !reflect.DeepEqual(f1, f2) {
					t.Fatalf("round trip changed the frame:\n  %+v\n  %+v", f1, f2)
				}
			}
			b = b[n:]
		}
	})
}

// FuzzParseTransportParams: no panics; only TRANSPORT_PARAMETER_ERROR;
// accepted parameters re-encode and re-parse to the same value.
func FuzzParseTransportParams(f *testing.F) {
	for _, tt := range tpTests {
		before, after := tpFrame(tt.id, tt.hex, tt.fromServer)
		f.Add(unhex(before+tt.hex+after), tt.fromServer)
	}
	f.Fuzz(func(t *testing.T, b []byte, fromServer bool) {
		p, err := ParseTransportParams(b, fromServer)
		if err != nil {
			if te, ok := err.(*TransportError); !ok || te.Code != TransportParameterError {
				t.Fatalf("error %v is not a TRANSPORT_PARAMETER_ERROR", err)
			}
			return
		}
		enc := p.Append(nil, fromServer)
		q, err := ParseTransportParams(enc, fromServer)
		if err != nil {
			t.Fatalf("re-parse of %x: %v", enc, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the parameters:\n  %+v\n  %+v", p, q)
		}
	})
}
