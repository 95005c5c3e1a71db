package tlsconn

import "testing"

// rec builds a TLS record of type typ around body.
func rec(typ byte, body ...byte) []byte {
	return append([]byte{typ, 3, 1, byte(len(body) >> 8), byte(len(body))}, body...)
}

func TestScanHelloTable(t *testing.T) {
	hello := append([]byte{typeClientHello, 0, 0, 6}, 1, 2, 3, 4, 5, 6) // 10-byte message
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   []byte
		max  int
		want helloState
	}{
		{"empty", nil, 100, helloPartial},
		{"first byte handshake", []byte{22}, 100, helloPartial},
		{"first byte not handshake", []byte{'G'}, 100, helloNotTLS},
		{"plaintext HTTP", []byte("GET / HTTP/1.1\r\n"), 100, helloNotTLS},
		{"SSLv2-style version", []byte{22, 2, 0, 0, 4}, 100, helloNotTLS},
		{"zero-length record", []byte{22, 3, 1, 0, 0}, 100, helloNotTLS},
		{"record over 2^14", []byte{22, 3, 1, 0x40, 1}, 100, helloNotTLS},
		{"header only", []byte{22, 3, 1, 0, 10}, 100, helloPartial},
		{"whole hello in one record", rec(22, hello...), 100, helloComplete},
		{"hello with bytes after it", append(rec(22, hello...), 23, 3, 3), 100, helloComplete},
		{"one byte short", rec(22, hello...)[:14], 100, helloPartial},
		{"split over two records", cat(rec(22, hello[:3]...), rec(22, hello[3:]...)), 100, helloComplete},
		{"split, second record partial", cat(rec(22, hello[:3]...), rec(22, hello[3:]...)[:7]), 100, helloPartial},
		{"header split byte by byte", cat(rec(22, hello[0]), rec(22, hello[1]), rec(22, hello[2]), rec(22, hello[3:]...)), 100, helloComplete},
		{"second record not handshake", cat(rec(22, hello[:3]...), rec(21, hello[3:]...)), 100, helloNotTLS},
		{"not a ClientHello", rec(22, 2, 0, 0, 1, 0), 100, helloNotTLS},
		{"hello over the limit", rec(22, hello...), 5, helloTooLarge},
		{"hello at the limit", rec(22, hello...), 6, helloComplete},
	} {
		if got := scanHello(tc.in, tc.max); got != tc.want {
			t.Errorf("scanHello(%s) = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// FuzzScanHello: any input gets an answer without a panic, and a
// complete answer never changes when more bytes follow.
func FuzzScanHello(f *testing.F) {
	f.Add(rec(22, typeClientHello, 0, 0, 2, 9, 9))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{22, 3, 1, 0, 1, 1, 22, 3, 1, 0, 3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		st := scanHello(in, 1<<10)
		if st == helloComplete && scanHello(append(in[:len(in):len(in)], 0xff, 0xff), 1<<10) != helloComplete {
			t.Fatalf("complete hello %x stops being complete with bytes after it", in)
		}
		if st == helloPartial && len(in) > 0 && in[0] != recordTypeHandshake {
			t.Fatalf("partial for %x, which does not start with a handshake record", in)
		}
	})
}
