package tlsconn

import (
	"crypto/tls"
	"io"
	"testing"
)

func tlsRoundTrip(tb testing.TB, c *tls.Conn, msg, got []byte) {
	if _, err := c.Write(msg); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.ReadFull(c, got); err != nil {
		tb.Fatal(err)
	}
}

func dialEcho(tb testing.TB) *tls.Conn {
	tb.Helper()
	s := startServer(tb, serverConfig{inner: &rawEcho{}})
	c, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: s.roots()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// TestEchoOverTLSAllocatesOnlyInCryptoTLS: once the handshake is done,
// an echoed message costs two allocations in the whole process, both
// inside crypto/tls: each side's receive of one record refills
// tls.Conn's buffer through readFromUntil, whose &atLeastReader{...}
// escapes (24 bytes; Go 1.26 conn.go). The server's side costs exactly
// that one: pipe.readRecords hands whole records, so no Read is spent
// finding out there is nothing more. Decrypting on the loop, the inner
// handler, staging and sealing allocate nothing.
func TestEchoOverTLSAllocatesOnlyInCryptoTLS(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; BenchmarkEchoOverTLS shows the figure")
	}
	c := dialEcho(t)
	for _, size := range []int{64, 4096, 40000} {
		msg, got := make([]byte, size), make([]byte, size)
		for i := 0; i < 100; i++ {
			tlsRoundTrip(t, c, msg, got)
		}
		allocs := testing.AllocsPerRun(500, func() { tlsRoundTrip(t, c, msg, got) })
		// 40000 bytes are three records each way (crypto/tls splits
		// writes at 16 KiB).
		want := 2.0 * float64((size+maxPlaintext-1)/maxPlaintext)
		if allocs > want {
			t.Fatalf("a %d-byte echo over TLS allocated %v times per round trip, want at most %v (one per record received, in crypto/tls)", size, allocs, want)
		}
	}
}

func BenchmarkEchoOverTLS(b *testing.B) {
	for _, size := range []int{64, 4096} {
		b.Run(map[int]string{64: "64B", 4096: "4KiB"}[size], func(b *testing.B) {
			c := dialEcho(b)
			msg, got := make([]byte, size), make([]byte, size)
			for i := 0; i < 100; i++ {
				tlsRoundTrip(b, c, msg, got)
			}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				tlsRoundTrip(b, c, msg, got)
			}
		})
	}
}
